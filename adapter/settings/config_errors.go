package settings

import (
	"fmt"
	"strings"
)

// SettingError is one bad setting: the variable, the value it had and the
// form it accepts. Err, when set, is the underlying cause (a file that cannot
// be read, say).
type SettingError struct {
	Var      string // e.g. "SERVER_SOCKET_PORT"
	Value    string // the value as given
	Accepted string // e.g. "an integer from 0 to 65535"
	Err      error
}

func (e *SettingError) Error() string {
	msg := fmt.Sprintf("%s=%q: want %s", e.Var, e.Value, e.Accepted)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *SettingError) Unwrap() error { return e.Err }

// ConfigError reports every bad setting found at once. A main that gets one
// exits with code 2.
type ConfigError struct {
	Problems []*SettingError
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As every problem.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}
