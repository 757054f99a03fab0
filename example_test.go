package cherrygo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/engine"
)

// The whole program: mount an app, serve it where SERVER_* says.
func ExampleQuickstart() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Hello, world!")
	}))
	os.Exit(cherrygo.Quickstart(context.Background(), tree))
}

// New and Start serve without signals and without blocking, for a test or
// a program that runs its own lifecycle; Exit stops everything again.
func ExampleNew() {
	tree := engine.NewTree()
	tree.Mount("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Hello, world!")
	}))
	m, err := cherrygo.New(tree,
		cherrygo.WithLogger(slog.New(slog.DiscardHandler)),
		cherrygo.WithDefaults("SERVER_SOCKET_HOST=127.0.0.1", "SERVER_SOCKET_PORT=0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer m.Exit(context.Background())

	resp, err := http.Get(m.URL() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: Hello, world!
}
