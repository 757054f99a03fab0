package settings_test

import (
	"errors"
	"fmt"

	"github.com/seed-49a6713b/cherrygo/adapter/settings"
)

// Load takes the environment as a map, so a program (or a test) can pass
// any set of variables; LoadEnv reads the process environment.
func ExampleLoad() {
	cfgs, err := settings.Load(map[string]string{
		"SERVER_SOCKET_HOST":      "::",
		"SERVER_SOCKET_PORT":      "8443",
		"SERVER_SSL_CERTIFICATE":  "/etc/app/cert.pem",
		"SERVER_SSL_PRIVATE_KEY":  "/etc/app/key.pem",
		"SERVER_SHUTDOWN_TIMEOUT": "30",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := cfgs[0]
	fmt.Println(c.Network(), c.Addr(), "TLS:", c.TLS(), "shutdown:", c.ShutdownTimeout)
	// Output:
	// tcp [::]:8443 TLS: true shutdown: 30s
}

// Named servers are listed in SERVER_NAMES and configured by their own
// SERVER_<NAME>_* variables; they start from the defaults, not from the
// default server's settings.
func ExampleLoad_namedServers() {
	cfgs, err := settings.Load(map[string]string{
		"SERVER_NAMES":               "admin,metrics",
		"SERVER_ADMIN_SOCKET_FILE":   "/run/app/admin.sock",
		"SERVER_METRICS_SOCKET_PORT": "9090",
		"SERVER_METRICS_ON":          "false",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cfgs {
		fmt.Printf("%q on=%v %s %s\n", c.Name, c.On, c.Network(), c.Addr())
	}
	// Output:
	// "" on=true tcp :8080
	// "admin" on=true unix /run/app/admin.sock
	// "metrics" on=false tcp :9090
}

// Every bad setting is reported at once, naming the variable, the value
// and the accepted form.
func ExampleLoad_errors() {
	_, err := settings.Load(map[string]string{
		"SERVER_SOCKET_PORT":      "http",
		"SERVER_SOCKET_FILE_MODE": "rw-rw----",
		"SERVER_SOCKET_TIMEOUT":   "-5",
	})
	fmt.Println(err)

	var ce *settings.ConfigError
	if errors.As(err, &ce) {
		fmt.Println("first:", ce.Problems[0].Var)
	}
	// Output:
	// configuration: 3 problem(s)
	//	SERVER_SOCKET_PORT="http": want an integer from 0 to 65535 (0: any free port)
	//	SERVER_SOCKET_FILE_MODE="rw-rw----": want octal permission bits up to 0777, like 0660, 660 or 0o660
	//	SERVER_SOCKET_TIMEOUT="-5": want a duration of at least 0: seconds (10, 0.5) or Go form (10s, 1m30s)
	// first: SERVER_SOCKET_PORT
}

// A Config built by hand is checked with Validate; Addr and Network give
// what to bind.
func ExampleConfig_Validate() {
	c := settings.Default()
	c.Host = "[::1]"
	c.Port = 0
	fmt.Println(c.Validate(), c.Network(), c.Addr())

	c.Name = "admin"
	c.Port = -1
	fmt.Println(c.Validate())
	// Output:
	// <nil> tcp [::1]:0
	// configuration: 1 problem(s)
	//	SERVER_ADMIN_SOCKET_PORT="-1": want an integer from 0 to 65535 (0: any free port)
}
