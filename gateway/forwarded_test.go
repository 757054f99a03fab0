package gateway

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseNode(t *testing.T) {
	for in, want := range map[string]string{ // "" : not an address
		"192.0.2.60":                 "192.0.2.60:0",
		"192.0.2.60:4711":            "192.0.2.60:4711",
		"192.0.2.60:_port":           "192.0.2.60:0",
		"[2001:db8:cafe::17]":        "[2001:db8:cafe::17]:0",
		"[2001:db8:cafe::17]:4711":   "[2001:db8:cafe::17]:4711",
		"[2001:db8:cafe::17]:_p":     "[2001:db8:cafe::17]:0",
		"2001:db8:cafe::17":          "[2001:db8:cafe::17]:0", // X-Forwarded-For's bare form
		"::ffff:192.0.2.1":           "192.0.2.1:0",
		"[::ffff:192.0.2.1]:80":      "192.0.2.1:80",
		"[fe80::1%eth0]:80":          "[fe80::1]:80",
		"unknown":                    "",
		"_hidden":                    "",
		"_SEVKISEK":                  "",
		"":                           "",
		"example.com":                "",
		"example.com:80":             "",
		"192.0.2.60:":                "",
		"192.0.2.60:_":               "",
		"192.0.2.60:65536":           "",
		"192.0.2.60:-1":              "",
		"192.0.2.60:x":               "",
		"[192.0.2.60]":               "", // brackets are for IPv6
		"[2001:db8::1":               "",
		"[2001:db8::1]4711":          "",
		"2001:db8::1:4711:extra:g":   "",
		"[2001:db8::1]:4711:4712":    "",
		"256.0.0.1":                  "",
		" 192.0.2.60":                "", // callers trim
		"192.0.2.60:4711 trailing":   "",
		"1.2.3.4:99999999999999999x": "",
	} {
		ap, ok := parseNode(in)
		if want == "" {
			assert.False(t, ok, "%q gave %v", in, ap)
			continue
		}
		if assert.True(t, ok, "%q", in) {
			assert.Equal(t, want, ap.String(), "%q", in)
		}
	}
}

func TestUnquote(t *testing.T) {
	for _, c := range []struct{ in, value, rest string }{
		{`"abc"`, "abc", ""},
		{`"[2001:db8::1]:4711";proto=https`, "[2001:db8::1]:4711", ";proto=https"},
		{`"a\"b"x`, `a"b`, "x"},
		{`"a\\"`, `a\`, ""},
		{`"a,b;c" , next`, "a,b;c", " , next"},
		{`""`, "", ""},
	} {
		v, rest, ok := unquote(c.in)
		assert.True(t, ok, c.in)
		assert.Equal(t, c.value, v, c.in)
		assert.Equal(t, c.rest, rest, c.in)
	}
	for _, in := range []string{`"`, `"abc`, `"abc\"`, `"abc\`} {
		_, _, ok := unquote(in)
		assert.False(t, ok, in)
	}
}

// hops is what walkForwarded reads from lines, as strings: "addr proto",
// "? proto" for an unknown hop.
func hops(lines ...string) []string {
	var rec hopRecorder
	for _, s := range lines {
		for {
			h, rest, empty := forwardedElement(s)
			if !empty {
				rec.add(h)
			}
			if rest == "" {
				break
			}
			s = rest[1:]
		}
	}
	return rec
}

type hopRecorder []string

func (r *hopRecorder) add(h hop) {
	a := "?"
	if h.known {
		a = h.addr.String()
	}
	*r = append(*r, strings.TrimSpace(a+" "+h.proto))
}

func TestForwardedElements(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  []string
	}{
		{[]string{`for=192.0.2.60;proto=http;by=203.0.113.43`}, []string{"192.0.2.60:0 http"}},
		{[]string{`for="_gazonk"`}, []string{"?"}},
		{[]string{`For="[2001:db8:cafe::17]:4711"`}, []string{"[2001:db8:cafe::17]:4711"}},
		{[]string{`for=192.0.2.43, for=198.51.100.17`}, []string{"192.0.2.43:0", "198.51.100.17:0"}},
		{[]string{`for=192.0.2.43`, `for=198.51.100.17;PROTO=HTTPS`}, []string{"192.0.2.43:0", "198.51.100.17:0 https"}},
		{[]string{`for=unknown;proto=https`}, []string{"? https"}},
		{[]string{`proto=https`}, []string{"? https"}}, // no for=: unknown
		{[]string{`for=192.0.2.1;proto=ftp`}, []string{"192.0.2.1:0"}},
		{[]string{`for="192.0.2.1,x";proto=https, for=10.0.0.1`}, []string{"? https", "10.0.0.1:0"}},
		{[]string{`for="a;b", for=10.0.0.1`}, []string{"?", "10.0.0.1:0"}},
		{[]string{`for="\[2001:db8::1\]"`}, []string{"[2001:db8::1]:0"}},
		{[]string{` for = 192.0.2.1 ; proto = https `}, []string{"192.0.2.1:0 https"}},
		{[]string{`,, for=192.0.2.1 ,;, `}, []string{"192.0.2.1:0"}},
		{[]string{`for=192.0.2.1;for=192.0.2.2`}, []string{"?"}}, // twice: unknown
		{[]string{`for=192.0.2.1;garbage, for=10.0.0.1`}, []string{"?", "10.0.0.1:0"}},
		{[]string{`for=192.0.2.1;gar"bage,;" , for=10.0.0.1`}, []string{"?", "10.0.0.1:0"}},
		{[]string{`for="192.0.2.1, for=10.0.0.1`, `for=10.0.0.2`}, []string{"?", "10.0.0.2:0"}}, // open quote: rest of the line
		{[]string{`for=[2001:db8::1]:80`}, []string{"[2001:db8::1]:80"}},                        // unquoted, leniently
		{[]string{`for=2001:db8::1`}, []string{"[2001:db8::1]:0"}},
		{[]string{``}, nil},
	} {
		assert.Equal(t, c.want, hops(c.lines...), "%q", c.lines)
	}
}

// walk runs a hopWalk over the X-Forwarded-For lines.
func walk(trusted string, xff ...string) (string, int) {
	var p Proxies
	for s := range strings.SplitSeq(trusted, ",") {
		p.Prefixes = append(p.Prefixes, netip.MustParsePrefix(s))
	}
	w := newHopWalk(p)
	walkXForwardedFor(&w, xff)
	client, ok, _, index := w.result()
	if !ok {
		return "peer", index
	}
	return client.String(), index
}

func TestHopWalk(t *testing.T) {
	const trusted = "10.0.0.0/8,2001:db8:ffff::/48"
	for _, c := range []struct {
		xff   []string
		want  string
		index int
	}{
		{nil, "peer", -1},
		{[]string{""}, "peer", -1},
		{[]string{"203.0.113.9"}, "203.0.113.9:0", 0},
		{[]string{"198.51.100.1, 203.0.113.9, 10.0.0.2"}, "203.0.113.9:0", 1},
		{[]string{"198.51.100.1, 203.0.113.9", "10.0.0.2, 10.1.1.1"}, "203.0.113.9:0", 1},
		{[]string{"10.0.0.5, 10.0.0.2"}, "10.0.0.5:0", 0}, // all trusted: the leftmost
		{[]string{"198.51.100.1, unknown, 10.0.0.2"}, "10.0.0.2:0", 1},
		{[]string{"198.51.100.1, 10.0.0.2, unknown"}, "peer", 2},
		{[]string{"garbage, 203.0.113.9:5555"}, "203.0.113.9:5555", 1},
		{[]string{"203.0.113.9,[2001:db8:ffff::1]:80,2001:db8:ffff::2"}, "203.0.113.9:0", 0},
		{[]string{"2001:db8::7, 2001:db8:ffff::2"}, "[2001:db8::7]:0", 0},
		{[]string{"::ffff:10.0.0.3, ::ffff:203.0.113.9, 10.0.0.3"}, "203.0.113.9:0", 1},
	} {
		got, index := walk(trusted, c.xff...)
		assert.Equal(t, c.want, got, "%q", c.xff)
		assert.Equal(t, c.index, index, "%q", c.xff)
	}
}

func TestXForwardedProto(t *testing.T) {
	for _, c := range []struct {
		lines    []string
		index, n int
		want     string
	}{
		{nil, 0, 1, ""},
		{[]string{"https"}, 0, 1, "https"},
		{[]string{"HTTPS"}, 3, 5, "https"}, // a single value: any hop
		{[]string{"ftp"}, 0, 1, ""},
		{[]string{"http, https"}, 1, 2, "https"},
		{[]string{"http, https"}, 0, 2, "http"},
		{[]string{"http", "https"}, 0, 2, "http"},
		{[]string{"https, http"}, 1, 3, "https"}, // from the right: hop 1 of 3 is value 0 of 2
		{[]string{"https, http"}, 0, 3, ""},      // not reached
		{[]string{"http, https, http"}, 0, 2, "https"},
		{[]string{" , https ,"}, 0, 1, "https"},
	} {
		assert.Equal(t, c.want, xForwardedProto(c.lines, c.index, c.n), "%q %d/%d", c.lines, c.index, c.n)
	}
}

func TestTrustsPeer(t *testing.T) {
	ip := Proxies{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	unix := Proxies{Unix: true}
	for addr, want := range map[string][2]bool{ // {ip, unix}
		"127.0.0.1:5000":       {true, false},
		"[::ffff:127.0.0.1]:5": {true, false},
		"[::1]:5000":           {true, false},
		"127.0.0.1":            {true, false},
		"192.0.2.1:5000":       {false, false},
		"":                     {false, true},
		"@":                    {false, true},
		"/run/proxy.sock":      {false, true},
		"garbage":              {false, false},
	} {
		assert.Equal(t, want[0], ip.trustsPeer(addr), "%q", addr)
		assert.Equal(t, want[1], unix.trustsPeer(addr), "%q", addr)
	}
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{`for=192.0.2.1;proto=https`, `for="[2001:db8::1]:4711", for=unknown`, `for="a\"b`, `;;,,`} {
		f.Add(s)
	}
	p := Proxies{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, s string) {
		w := newHopWalk(p)
		walkForwarded(&w, []string{s})
		client, ok, proto, index := w.result()
		if ok && !client.IsValid() {
			t.Fatalf("%q: an invalid client", s)
		}
		if proto != "" && proto != "http" && proto != "https" {
			t.Fatalf("%q: scheme %q", s, proto)
		}
		if index >= w.n {
			t.Fatalf("%q: index %d of %d", s, index, w.n)
		}
	})
}
