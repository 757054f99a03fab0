// Package stdlib holds the server backends built on net/http.Server: TCP
// (IPv4, IPv6, dual-stack, host names), unix sockets and TLS on either,
// optionally HTTP/2 without TLS (h2c), HTTP/3 beside TLS, and FastCGI,
// all in one type, Server, which New builds from a settings.Config alone.
// It implements adapter.Server and every optional interface of the
// adapter (ReadyNotifier, Addresser, Secure, Inheriter), so the adapter
// drives it as it drives any server:
//
//	srv, err := stdlib.New(cfg, handler, stdlib.WithLogger(logger))
//	if err != nil {
//		return err // a bad certificate is an *settings.ConfigError
//	}
//	go func() { errc <- srv.Start() }() // Start blocks while serving
//	<-srv.Ready()                       // bound: connections are accepted
//	...
//	err = srv.Stop(ctx) // returns once the address is free again
//
// Start blocks for as long as the server serves, as http.Server.Serve
// does: call it in its own goroutine (the adapter does).
//
// HTTPServer runs an *http.Server the program already has under the same
// contract, without the SERVER_* settings.
//
// # Addresses
//
// SOCKET_HOST "" or "*" means all interfaces, dual-stack: one IPv6 socket
// with IPV6_V6ONLY off, which also accepts IPv4 clients (plain IPv4 when
// the kernel has no IPv6). "::" is the same. "0.0.0.0" is IPv4 only:
// unlike net.Listen("tcp", "0.0.0.0:80"), which Go makes dual-stack. An
// IPv4 or IPv6 literal binds that address (brackets and a %zone are
// accepted). A host name is resolved when Start runs and each of its
// addresses is bound ("localhost" → 127.0.0.1 and ::1 where both are
// listed); an address the machine cannot bind is skipped with a warning
// if another one binds. With port 0 the first address gets an ephemeral
// port and the others reuse it; Addr and Addrs report the real addresses.
//
// A bind failure comes back from Start at once and names the address, as
// in "stdlib: listen tcp 127.0.0.1:8080: bind: address already in use";
// errors.Is finds the errno (syscall.EADDRINUSE, syscall.EACCES).
//
// # Listen backlog
//
// net.Listen cannot set a backlog, so on Linux the sockets are made with
// socket(2), setsockopt(2) (SO_REUSEADDR, IPV6_V6ONLY), bind(2) and
// listen(2) with SOCKET_QUEUE_SIZE, and then handed to net.FileListener.
// A SOCKET_QUEUE_SIZE of 0 (or less) asks for the system maximum, read
// from /proc/sys/net/core/somaxconn (syscall.SOMAXCONN where that file is
// missing); the kernel caps any larger value at that maximum. On other
// systems the sockets come from net.ListenConfig and the backlog is the
// system default.
//
// # Unix sockets
//
// With SOCKET_FILE set, a Server serves on that unix socket. A stale socket file (a connect is
// refused: its server is gone) is replaced; a live one (something answers)
// is an "already in use" error wrapping syscall.EADDRINUSE; a path that is
// not a socket is refused with ErrNotSocket and never touched. The file
// gets SOCKET_FILE_MODE between bind(2) and listen(2), so no client can
// connect while it has the looser default mode (a mode of 0 leaves the
// one the process's umask gave), and Stop removes it if it is still the
// file this server created.
//
// # TLS
//
// SSL_CERTIFICATE and SSL_PRIVATE_KEY (PEM files) switch TLS on; the
// certificates of SSL_CERTIFICATE_CHAIN follow the server's own in the
// chain it presents. The files are read and checked by New, before
// anything binds: a missing, unreadable or non-PEM file, a key that does
// not match the certificate, or only one of the pair set is an
// *settings.ConfigError listing every problem, each naming the variable and
// the file. TLS 1.2 is the minimum. HTTP/2 is offered through ALPN when
// Config.HTTP2 is set (the default).
//
// The pair is read again without a restart: by Server.ReloadCertificate
// (the Manager of package cherrygo calls it on every graceful reload,
// SIGUSR1), and, while the server runs, whenever the files change on
// disk: the directories holding them are watched (with fsnotify), so a
// file replaced by a rename and a Kubernetes Secret volume swapping its
// ..data link are both seen, and the files are read once they have been
// left alone for a quarter of a second, so that a certificate and key
// written one after the other are read as a pair. New handshakes get the
// new pair at once (it is served through tls.Config.GetCertificate);
// connections already open keep theirs. A new pair that cannot be read,
// is not PEM or does not match its key is refused: the previous one stays
// in use and a warning names the variable and the file.
//
// # HTTP/3
//
// With HTTP3 set (SERVER_HTTP3=true; it needs TLS, a TCP socket and the
// http backend), a TLS server also serves HTTP/3 over QUIC
// (github.com/quic-go/quic-go) on a UDP socket of the same address and
// port number as each of its TCP sockets: with port 0, the ephemeral port
// the TCP socket got (if that UDP port is taken, the pair is bound again,
// a few times); with a fixed port, a taken UDP port is a start error
// naming it, as in "stdlib: listen udp4 127.0.0.1:8443: bind: address
// already in use", and the TCP socket is released. Ready is closed once
// both are bound. Every response over TCP advertises HTTP/3 with
// Alt-Svc: h3=":PORT"; ma=86400 (HTTP/3 responses do not). Requests over
// HTTP/3 reach the same handler, so the gateway and its policies apply
// alike; the TLS configuration is the TCP one offering "h3", and its
// certificate reloads reach QUIC handshakes too. MAX_REQUEST_HEADER_SIZE
// bounds the request's HEADERS frame and its decoded fields, as quic-go
// counts them (a larger header gets 431; 0: 1 GiB), SOCKET_TIMEOUT is the
// idle timeout of an HTTP/3 connection and bounds each body read, and
// 0-RTT is off (a replayed request could run twice).
//
// Stop sends GOAWAY to every HTTP/3 client, in parallel with the TCP
// drain: new requests are refused, those in flight complete within
// SHUTDOWN_TIMEOUT (and ctx); then every QUIC connection is closed, each
// request's context cancelled. Stop returns once the UDP sockets are
// closed, so the port is free; a handler that ignores its context is
// waited for a quarter of a second more, then outlives Stop as over TCP.
// Each HTTP/3 request cut off counts as one connection in the
// *adapter.CutOffError; connections left at the end of the drain with no
// request (a client gone mid-handshake, say) are closed without one.
//
// The PROXY protocol is TCP's only: HTTP/3 clients reach the server
// directly, and r.RemoteAddr is their own address. Connections counts TCP
// connections only.
//
// A server given its TCP sockets (WithListener, WithOwnedListener)
// binds no UDP socket either: it serves HTTP/3 on the UDP sockets it is
// given with WithPacketConn (systemd's ListenDatagram= of the same port;
// the one the old process of a zero-downtime upgrade served, which
// ListenerFiles hands over after the TCP sockets), each run on a
// duplicate, as for TCP; without one it serves TCP only and logs a
// warning (so HTTP3 switched on by an upgrade whose old process served no
// HTTP/3 takes effect at the next restart, not at the upgrade).
// WithHTTP3After holds HTTP/3 back until a channel is closed:
// the run keeps the UDP socket but reads nothing from it, and TCP
// responses carry no Alt-Svc. The new process of an upgrade needs it,
// because the socket it is handed is the very one the old process still
// reads while it drains: both processes hold one file description, and
// each datagram goes to whichever reads first, so a second reader would
// take packets of the old process's QUIC connections (and, with a
// stateless reset key, answer them with resets), stalling or breaking the
// requests the old process is finishing. A Stop while held back closes the
// run's UDP sockets and returns at once, except after HandOver (a second
// upgrade while the first old process still drains): then it waits for
// the channel, within the drain, since its own successor waits for it
// alone. A server that was handed over
// (HandOver) closes its UDP descriptors at Stop, once its HTTP/3 drain is
// over, and waits for neither port to be free. HTTPServer never serves
// HTTP/3.
//
// # Timeouts and limits
//
// SOCKET_TIMEOUT bounds inactivity, never a whole exchange: the request
// header must arrive within it (which also bounds the TLS handshake), a
// keep-alive connection idle for that long is closed, each read of a
// request body and each 64 KiB chunk of a response must make progress
// within it. A large upload or download that keeps moving is never cut
// off; a client that trickles its header or stalls mid-body is, and the
// handler's body read then fails with an error matching
// os.ErrDeadlineExceeded. Zero switches these timeouts off. The read
// timeouts cost a keep-alive request no runtime timer: net/http moves the
// read deadline several times per request, and each connection keeps the
// deadline asked for with a timer of its own, reset only when it fires
// early (about once per SOCKET_TIMEOUT), giving the socket a deadline only
// to fail a read whose deadline has passed.
//
// MAX_REQUEST_HEADER_SIZE bounds the request line and headers exactly: a
// head of the limit is served, one byte more gets 431. (net/http reads
// 4096 bytes more than http.Server.MaxHeaderBytes, so that field is set
// 4096 below the limit; a limit of 4096 or less, which it cannot express,
// is checked on each HTTP/1 request's parsed head, counted in canonical
// form.) Over HTTP/2 it bounds the decoded header list, as net/http does.
// Zero means no limit of ours: net/http needs some bound, so 1 GiB is
// used. NODELAY false switches TCP_NODELAY off on
// accepted connections (Go switches it on).
//
// # PROXY protocol
//
// With PROXY_PROTOCOL on, every socket of the server (TCP or unix, plain
// or TLS) reads HAProxy's PROXY protocol, v1 or v2 (with
// github.com/pires/go-proxyproto), from the peers TRUSTED_PROXIES lists:
// a connection from one of them must begin with a PROXY header, sent
// before anything else (before the TLS handshake too), and its header's
// source address becomes the connection's RemoteAddr, so r.RemoteAddr,
// the engine request's client address, the access log and the gateway's
// Forwarded policy all see the client (and LocalAddr becomes the header's
// destination). Headers are accepted from trusted peers only:
//
//   - a trusted peer that sends no header within SOCKET_TIMEOUT (5 s when
//     that is 0), or a malformed one, is closed without an answer;
//   - an untrusted peer that sends a header is closed without an answer:
//     its header is refused, never skipped;
//   - an untrusted peer that sends no header is served as usual, with its
//     own address, so clients may reach the port directly too.
//
// A trusted proxy's own health checks must send a header as well; a
// PROXY v2 LOCAL header (HAProxy's check-send-proxy) keeps the peer's
// address. With FastCGI the client's address comes from the web server's
// REMOTE_ADDR instead, and the header only decides who is served.
//
// The header is read by the connection's own goroutine when net/http
// first asks for its address, never in Accept, so a slow peer holds up
// nobody else. The wrapping sits under the connection tracker: a
// connection that has not sent its header yet counts as new and silent,
// and Stop closes it after StopGrace like any other.
//
// # Stopping
//
// Stop closes the listeners (after accepting what waits in their queues),
// gives every connection that carries no request StopGrace (100 ms) for
// one to arrive, and closes it if none does: a new connection that never
// sent anything, and an idle keep-alive one, which gets what is left of
// KeepAliveGrace (500 ms) instead when its last response went out less than
// that ago, for its client may be sending the next request. A request
// that arrives in time, or is already in the socket buffer, is served
// with Connection: close. Stop closes each other connection as soon as
// its request is answered, and waits for
// in-flight requests until ctx is done or SHUTDOWN_TIMEOUT passes. Then it
// closes what is left, hijacked connections included, and returns only
// once every listener and connection is closed and a unix socket file is
// removed: the address can be bound again the moment it returns. It
// returns the context's error if requests had to be cut off. HTTP/2
// connections are sent GOAWAY and closed once their last frames are out.
//
// A server can be started again after Stop; Ready then returns a new
// channel. Stop before Start, during a Start that is still binding, or
// twice, returns nil.
//
// # HTTP/2 without TLS, FastCGI
//
// WithUnencryptedHTTP2 (or Config.Backend "h2c", SERVER_BACKEND=h2c) lets
// a plain server speak HTTP/2 with prior knowledge (h2c) besides HTTP/1 on
// the same port. WithFastCGI (Backend "fastcgi") makes a TCP or unix
// server speak FastCGI (net/http/fcgi, the responder role) to a web server
// in front; the request is routed on the web server's REQUEST_URI. As
// net/http/fcgi has no shutdown of its own, the server follows the
// FastCGI records itself, and Stop drops nothing the web server sent: the
// accept queues are emptied, a connection without a request gets
// StopGrace (the rest of KeepAliveGrace after its last response, when
// more) for a BEGIN_REQUEST, a connection closes right after the
// END_REQUEST of its last request, and requests in flight get
// SHUTDOWN_TIMEOUT as above. FastCGI cannot tell the web server to stop
// reusing a connection, so a web server that keeps connections
// (fastcgi_keep_conn) may send a request on one as it is closed; nginx
// retries such a request on a new connection.
//
// # Inherited sockets
//
// WithListener hands a server a socket someone else bound (systemd socket
// activation, a parent process before a re-exec). The server reports
// Inherited() true, so the adapter skips its port checks; each run serves
// a duplicate of the descriptor, so Stop leaves the socket itself bound
// for the next run, and its owner closes it. WithPacketConn does the same
// for the UDP socket of HTTP/3 (see HTTP/3 above).
package stdlib
