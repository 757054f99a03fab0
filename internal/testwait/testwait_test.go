package testwait

import "testing"

func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if got := Receive(t, ch, "seven"); got != 7 {
		t.Fatalf("Receive = %d, want 7", got)
	}
	ctx := Context(t)
	if _, ok := ctx.Deadline(); !ok {
		t.Fatal("Context has no deadline")
	}
}
