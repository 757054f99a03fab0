// Package nginx holds the kit's nginx configuration examples: two
// instances behind one nginx (pool.conf), and one instance on a unix socket
// (unix.conf). Its test runs a real nginx in front of two real instances of
// examples/hello and restarts each in turn under load.
package nginx
