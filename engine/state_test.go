package engine

import "testing"

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{
		Stopped:   "STOPPED",
		Starting:  "STARTING",
		Started:   "STARTED",
		Stopping:  "STOPPING",
		Exiting:   "EXITING",
		State(-1): "State(-1)",
		State(9):  "State(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestStateZeroValueIsStopped(t *testing.T) {
	var s State
	if s != Stopped {
		t.Fatalf("zero State = %v, want STOPPED", s)
	}
	if got := New().State(); got != Stopped {
		t.Fatalf("New().State() = %v, want STOPPED", got)
	}
}

// TestStateMoves checks canMove against the table of REFERENCE.md for every
// pair of states.
func TestStateMoves(t *testing.T) {
	allowed := map[[2]State]bool{
		{Stopped, Starting}:  true,
		{Starting, Started}:  true,
		{Starting, Stopping}: true,
		{Started, Stopping}:  true,
		{Stopping, Stopped}:  true,
		{Stopped, Exiting}:   true,
	}
	all := []State{Stopped, Starting, Started, Stopping, Exiting}
	for _, from := range all {
		for _, to := range all {
			if got, want := from.canMove(to), allowed[[2]State{from, to}]; got != want {
				t.Errorf("%v → %v allowed = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestSetStatePanicsOnIllegalMove(t *testing.T) {
	b := New()
	defer func() {
		if recover() == nil {
			t.Fatal("STOPPED → STARTED did not panic")
		}
		if got := b.State(); got != Stopped {
			t.Errorf("state after refused move = %v, want STOPPED", got)
		}
	}()
	b.setState(Started)
}
