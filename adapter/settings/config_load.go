package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Default returns the settings of a server whose variables are all unset:
// the default server's, with On set. It equals the first Config Load
// returns for an empty environment.
func Default() Config {
	return Config{
		On:                   true,
		Port:                 8080,
		SocketFileMode:       0o660,
		SocketTimeout:        10 * time.Second,
		AcceptedQueueSize:    -1,
		AcceptedQueueTimeout: 10 * time.Second,
		ShutdownTimeout:      5 * time.Second,
		ProtocolVersion:      "HTTP/1.1",
		MaxRequestHeaderSize: 500 << 10,
		MaxRequestBodySize:   100 << 20,
		HTTP2:                true,
		Backend:              BackendHTTP,
		NoDelay:              true,
	}
}

// Load reads every server's settings from environ, a map of variable names
// to values: the default server first (prefix SERVER_), then the named
// servers in the order SERVER_NAMES lists them (prefix SERVER_<NAME>_).
//
// A named server starts from the defaults, not from the default server's
// settings: SERVER_SOCKET_PORT=9000 moves the default server only, and
// SERVER_ADMIN_SOCKET_PORT the "admin" server only. Servers switched off
// with SERVER_<NAME>_ON=false are returned too, with On false, so that
// callers can report them; their settings are checked all the same.
//
// Load checks everything it reads and reports every problem at once as a
// *ConfigError whose Problems are *SettingError values: values that do not
// parse, values Validate rejects, a socket file set together with
// SOCKET_HOST or SOCKET_PORT, bad SERVER_NAMES entries, and two servers
// that are on and would bind the same address. It returns no Config then.
// A nil environ is an empty one (Load never reads the process environment;
// LoadEnv does).
func Load(environ map[string]string) ([]Config, error) {
	if environ == nil {
		environ = map[string]string{}
	}
	names, problems := parseNames(environ)
	cfgs := make([]Config, 0, 1+len(names))
	for _, name := range append([]string{""}, names...) {
		c, p, err := loadOne(environ, name)
		if err != nil {
			return nil, err
		}
		cfgs = append(cfgs, c)
		problems = append(problems, p...)
	}
	problems = append(problems, addressConflicts(cfgs)...)
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return cfgs, nil
}

// LoadEnv is Load on the process environment (Environ).
func LoadEnv() ([]Config, error) {
	return Load(Environ())
}

// Environ returns the process environment as the map Load and Unknown
// take.
func Environ() map[string]string { return environMap(os.Environ()) }

// environMap turns "KEY=value" lines into a map; the last of repeated keys
// wins, as with os.Getenv.
func environMap(lines []string) map[string]string {
	m := make(map[string]string, len(lines))
	for _, line := range lines {
		k, v, ok := strings.Cut(line, "=")
		if ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// loadOne parses one server's settings and checks them. problems are the
// user's mistakes; err is a fault of this package (a field without a
// parser), which the tests rule out.
func loadOne(environ map[string]string, name string) (c Config, problems []*SettingError, err error) {
	prefix := envPrefix(name)
	source := environ
	if name == "" {
		// SERVER_ON is not a setting of the default server, which is
		// always on; it is checked below instead of parsed.
		source = withoutKey(environ, prefix+"ON")
	}
	perr := env.ParseWithOptions(&c, env.Options{
		Environment: source,
		Prefix:      prefix,
		FuncMap: map[reflect.Type]env.ParserFunc{
			reflect.TypeFor[time.Duration](): parseSeconds,
			reflect.TypeFor[fs.FileMode]():   parseFileMode,
			reflect.TypeFor[Proxies]():       func(s string) (any, error) { return ParseProxies(s) },
		},
	})
	c.Name = name
	if problems, err = parseProblems(perr, prefix, environ); err != nil {
		return c, nil, err
	}
	if raw, ok := environ[prefix+"SOCKET_HOST"]; ok {
		// env treats an empty value as unset; here it means all
		// interfaces.
		c.Host = raw
	}
	c.Host = normalizeHost(c.Host)

	if name == "" {
		c.On = true
		if raw, ok := environ[prefix+"ON"]; ok {
			if on, err := strconv.ParseBool(raw); err != nil || !on {
				problems = append(problems, &SettingError{Var: prefix + "ON", Value: raw, Accepted: acceptedForm("SERVER_ON")})
			}
		}
	}
	if c.SocketFile != "" {
		for _, key := range []string{"SOCKET_HOST", "SOCKET_PORT"} {
			if raw, ok := environ[prefix+key]; ok {
				problems = append(problems, &SettingError{
					Var:      prefix + key,
					Value:    raw,
					Accepted: fmt.Sprintf("unset while %sSOCKET_FILE is set (the socket file replaces host and port)", prefix),
				})
			}
		}
	}

	reported := make(map[string]bool, len(problems))
	for _, p := range problems {
		reported[p.Var] = true
	}
	for _, p := range c.problems() {
		if reported[p.Var] {
			continue // the value did not parse; that says it all
		}
		if raw, ok := environ[p.Var]; ok {
			p.Value = raw // as given, not as normalised
		}
		problems = append(problems, p)
	}
	slices.SortStableFunc(problems, func(a, b *SettingError) int {
		return settingRank(a.Var, prefix) - settingRank(b.Var, prefix)
	})
	return c, problems, nil
}

// settingRank orders a server's problems like Config's fields, ON first,
// and anything else (SERVER_NAMES) before them.
func settingRank(name, prefix string) int {
	key, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return -1
	}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("env") == key {
			return i
		}
	}
	return t.NumField()
}

// parseProblems maps env's errors to SettingErrors naming the variable.
func parseProblems(err error, prefix string, environ map[string]string) ([]*SettingError, error) {
	if err == nil {
		return nil, nil
	}
	var agg env.AggregateError
	errs := []error{err}
	if errors.As(err, &agg) {
		errs = agg.Errors
	}
	var problems []*SettingError
	for _, e := range errs {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			return nil, fmt.Errorf("adapter: reading settings: %w", e)
		}
		field, ok := reflect.TypeFor[Config]().FieldByName(pe.Name)
		if !ok {
			return nil, fmt.Errorf("adapter: reading settings: %w", e)
		}
		key := field.Tag.Get("env")
		problems = append(problems, &SettingError{
			Var:      prefix + key,
			Value:    environ[prefix+key],
			Accepted: acceptedForm(key),
		})
	}
	return problems, nil
}

// parseSeconds reads a duration as a number of seconds ("10", "0.5") or in
// Go's form ("10s", "1m30s"). Negative durations are refused.
func parseSeconds(s string) (any, error) {
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > math.MaxInt64/float64(time.Second) {
			return nil, errBadDuration
		}
		d = time.Duration(secs * float64(time.Second))
	} else {
		var perr error
		if d, perr = time.ParseDuration(s); perr != nil {
			return nil, errBadDuration
		}
	}
	if d < 0 {
		return nil, errBadDuration
	}
	return d, nil
}

// parseFileMode reads permission bits in octal: "0660", "660" or "0o660".
func parseFileMode(s string) (any, error) {
	digits := s
	if len(s) > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O') {
		digits = s[2:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return nil, errBadFileMode
	}
	mode, err := strconv.ParseUint(digits, 8, 32)
	if err != nil || mode > 0o777 {
		return nil, errBadFileMode
	}
	return fs.FileMode(mode), nil
}

// The parsers' causes; parseProblems replaces them with the accepted form.
var (
	errBadDuration = errors.New("not a duration")
	errBadFileMode = errors.New("not an octal file mode")
)

// normalizeHost gives Host's canonical form: "" for all interfaces ("*"
// included) and IPv6 literals without brackets.
func normalizeHost(h string) string {
	if h == "*" {
		return ""
	}
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

func withoutKey(m map[string]string, key string) map[string]string {
	if _, ok := m[key]; !ok {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
