// Package nginx holds the kit's nginx configuration examples: two
// instances behind one nginx (pool.conf), one instance on a unix socket
// (unix.conf, with SERVER_SOCKET_FILE_GROUP), and one speaking FastCGI
// (fastcgi.conf, SERVER_BACKEND=fastcgi, over a unix socket or TCP). Its
// tests run a real nginx in front of real instances of examples/hello and
// testdata/backendapp: rolling restarts under load, the socket's group,
// and FastCGI's answers, SCRIPT_NAME and PATH_INFO, 413 and 503, and a
// stop under load.
package nginx
