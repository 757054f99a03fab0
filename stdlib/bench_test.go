package stdlib

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// BenchmarkStartStop measures a whole cycle per backend, and reports its
// two halves: start-ns/op (Start until a real connect to the bound address
// succeeds) and stop-ns/op (Stop until the address can be bound again).
func BenchmarkStartStop(b *testing.B) {
	dir := shortDir(b)
	certFile, keyFile := certFiles(b, dir)
	backends := []struct {
		name string
		cfg  func() settings.Config
		opts []Option
	}{
		{"tcp4", testConfig, nil},
		{"dualstack", func() settings.Config { c := testConfig(); c.Host = ""; return c }, nil},
		{"unix", func() settings.Config { return unixConfig(filepath.Join(dir, "b.sock")) }, nil},
		{"tls", func() settings.Config {
			c := testConfig()
			c.SSLCertificate, c.SSLPrivateKey = certFile, keyFile
			return c
		}, nil},
		{"fastcgi", testConfig, []Option{WithFastCGI()}},
	}
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			srv, err := New(bk.cfg(), hello, bk.opts...)
			if err != nil {
				b.Fatal(err)
			}
			var startNs, stopNs time.Duration
			for b.Loop() {
				began := time.Now()
				done := make(chan error, 1)
				go func() { done <- srv.Start() }()
				select {
				case <-srv.Ready():
				case err := <-done:
					b.Fatalf("Start: %v", err)
				}
				addr := srv.Addr()
				network, target := addr.Network(), addr.String()
				if network == "tcp" && strings.HasPrefix(target, "[::]") {
					target = strings.Replace(target, "[::]", "127.0.0.1", 1)
				}
				c, err := net.Dial(network, target)
				if err != nil {
					b.Fatalf("connect after Ready: %v", err)
				}
				_ = c.Close()
				stopBegan := time.Now()
				startNs += stopBegan.Sub(began)

				if err := srv.Stop(context.Background()); err != nil {
					b.Fatalf("Stop: %v", err)
				}
				l, err := net.Listen(network, addr.String())
				if err != nil {
					b.Fatalf("bind after Stop: %v", err)
				}
				stopNs += time.Since(stopBegan)
				_ = l.Close()
				if err := <-done; err != nil {
					b.Fatalf("Start after Stop: %v", err)
				}
			}
			b.ReportMetric(float64(startNs.Nanoseconds())/float64(b.N), "start-ns/op")
			b.ReportMetric(float64(stopNs.Nanoseconds())/float64(b.N), "stop-ns/op")
		})
	}
}
