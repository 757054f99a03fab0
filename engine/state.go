package engine

import "strconv"

// State is where the bus is in its lifecycle.
//
// The allowed moves are:
//
//	Stopped  → Starting  (Start)
//	Starting → Started   (every start listener succeeded)
//	Starting → Stopping  (a start listener failed: roll back)
//	Started  → Stopping  (Stop, Exit, Restart)
//	Stopping → Stopped
//	Stopped  → Exiting   (Exit, Restart)
//
// Exiting is terminal: a bus that reached it never leaves it.
type State int32

const (
	// Stopped is the initial state, and the state after Stop or a failed
	// Start. It can move to Starting or Exiting.
	Stopped State = iota
	// Starting means the start channel is being published. It moves to
	// Started, or to Stopping when a start listener fails.
	Starting
	// Started means every start listener succeeded. It moves to Stopping.
	Started
	// Stopping means the stop channel (or a roll-back) is running. It moves
	// to Stopped.
	Stopping
	// Exiting is terminal: the exit channel was published and the process
	// is expected to end (or re-execute itself).
	Exiting
)

var stateNames = [...]string{
	Stopped:  "STOPPED",
	Starting: "STARTING",
	Started:  "STARTED",
	Stopping: "STOPPING",
	Exiting:  "EXITING",
}

// String returns the state's name in capitals, as CherryPy prints it.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// canMove reports whether the bus may go from s to next.
func (s State) canMove(next State) bool {
	switch s {
	case Stopped:
		return next == Starting || next == Exiting
	case Starting:
		return next == Started || next == Stopping
	case Started:
		return next == Stopping
	case Stopping:
		return next == Stopped
	}
	return false
}
