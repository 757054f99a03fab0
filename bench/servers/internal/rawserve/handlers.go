package rawserve

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

// Greeting is the body every benchmark server answers on GET /.
const Greeting = "Hello, world!"

// SlowDelay is how long the /slow handler holds its request.
const SlowDelay = 2 * time.Second

// Hello writes Greeting as text/plain.
func Hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(Greeting))
}

// Slow announces itself on standard error, waits SlowDelay and then
// answers like Hello.
func Slow(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(os.Stderr, "slow-start")
	time.Sleep(SlowDelay)
	Hello(w, r)
}
