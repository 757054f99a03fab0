package adapter_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/seed-49a6713b/cherrygo/adapter"
	"github.com/seed-49a6713b/cherrygo/adapter/settings"
	"github.com/seed-49a6713b/cherrygo/engine"
	"github.com/seed-49a6713b/cherrygo/stdlib"
)

// A server of the kit driven by the bus through a ServerAdapter: the
// adapter checks the port, waits until the server is bound and verified,
// and frees the port again on stop. (It binds a port, so it has no
// Output to check.)
func ExampleNewServerAdapter() {
	cfg := settings.Default()
	cfg.Host, cfg.Port = "127.0.0.1", 0
	srv, err := stdlib.New(cfg, http.NotFoundHandler())
	if err != nil {
		fmt.Println(err)
		return
	}
	bus := engine.New()
	a := adapter.NewServerAdapter(bus, srv, adapter.WithAddress(cfg.Network(), cfg.Addr()))
	defer a.Subscribe()()
	if err := bus.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("serving on", a.URL())
	_ = bus.Exit(context.Background())
}
