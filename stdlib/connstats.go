package stdlib

import "net/http"

// ConnCounts counts a server's open connections by their http.ConnState.
// Closed connections are gone, so there is no count for them.
type ConnCounts struct {
	// New counts connections that have sent no request yet.
	New int
	// Active counts connections serving a request (HTTP/2: one or more).
	Active int
	// Idle counts keep-alive connections between two requests.
	Idle int
	// Hijacked counts connections a handler took over (WebSockets, say),
	// which are no longer HTTP but are still closed by Stop.
	Hijacked int
}

// Total is the number of open connections.
func (c ConnCounts) Total() int { return c.New + c.Active + c.Idle + c.Hijacked }

// Connections returns the server's open connections by state, as its
// tracker knows them now: all zero while it is not serving. It takes the
// tracker's lock for a pass over the connections, so it is meant for a
// metrics scrape, not for every request. FastCGI has no connection states:
// its connections all count as New.
//
// It is safe for concurrent use, also while the server starts and stops.
func (c *core) Connections() ConnCounts {
	c.mu.Lock()
	r := c.run
	var t *tracker
	if r != nil {
		t = r.tracker // set under c.mu once bound
	}
	c.mu.Unlock()
	if t == nil {
		return ConnCounts{}
	}
	return t.counts()
}

// counts counts the tracked connections by state.
func (t *tracker) counts() ConnCounts {
	var n ConnCounts
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		switch c.loadState() {
		case http.StateNew:
			n.New++
		case http.StateActive:
			n.Active++
		case http.StateIdle:
			n.Idle++
		case http.StateHijacked:
			n.Hijacked++
		}
	}
	return n
}
