package stdlib_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// ExampleNew starts a TCP server on an ephemeral loopback port, waits until
// it is bound, makes one request and stops it.
func ExampleNew() {
	cfg := settings.Config{
		Host:            "127.0.0.1",
		Port:            0, // ephemeral: Addr reports the real port
		SocketTimeout:   10 * time.Second,
		ShutdownTimeout: 5 * time.Second,
		NoDelay:         true,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})
	srv, err := stdlib.New(cfg, handler)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	select {
	case <-srv.Ready(): // closed once the socket is bound
	case err := <-done:
		fmt.Println("start:", err)
		return
	}

	url := "http://" + srv.Addr().String() + "/"
	if resp, err := http.Get(url); err == nil {
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		fmt.Println(string(body))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Stop(ctx) // the port is free again once this returns
	fmt.Println("stopped:", <-done)
}

// New serves on a unix socket file when SocketFile is set.
func ExampleNew_unix() {
	cfg := settings.Config{SocketFile: "/run/myapp/http.sock", SocketFileMode: 0o660}
	srv, err := stdlib.New(cfg, http.NotFoundHandler())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(srv.Path(), srv.IsTLS())
	// Output: /run/myapp/http.sock false
}

// ExampleWithPacketConn serves HTTP/3 beside TCP on sockets someone else
// bound (a service manager's, say): a TCP listener and the UDP socket of
// the same port. With WithHTTP3After, HTTP/3 would wait for a channel.
// It does not run: it needs a certificate.
func ExampleWithPacketConn() {
	l, err := net.Listen("tcp", "127.0.0.1:8443")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:8443")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pc.Close()
	cfg := settings.Config{
		SSLCertificate:  "cert.pem",
		SSLPrivateKey:   "key.pem",
		HTTP3:           true,
		HTTP2:           true,
		ShutdownTimeout: 5 * time.Second,
	}
	srv, err := stdlib.New(cfg, http.NotFoundHandler(), stdlib.WithListener(l), stdlib.WithPacketConn(pc))
	if err != nil {
		fmt.Println(err) // the certificate files are read here
		return
	}
	go func() { _ = srv.Start() }()
	<-srv.Ready()
	_ = srv.Stop(context.Background()) // l and pc stay bound: they are the caller's
}
