package settings

import (
	"reflect"
	"slices"
	"strings"
)

// settingNames are the variables of one server without their prefix
// ("SOCKET_PORT", …), read from Config's env tags.
var settingNames = func() []string {
	var names []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("env"); ok {
			names = append(names, strings.Split(tag, ",")[0])
		}
	}
	return names
}()

// Unknown returns a warning for every SERVER_* variable in environ that no
// server reads: a misspelled setting ("SERVER_SHUTDOWN_TIMEOT is not a
// setting; did you mean SERVER_SHUTDOWN_TIMEOUT?"), or a setting of a
// server that SERVER_NAMES does not list. The warnings are sorted by
// variable.
//
// They are warnings, not errors: other software puts SERVER_* variables
// into the environment too (Kubernetes injects SERVER_SERVICE_HOST,
// SERVER_PORT, … into every pod when a Service is called "server"), and
// those must not stop the program.
func Unknown(environ map[string]string) []string {
	names, _ := parseNames(environ)
	known := map[string]bool{namesVar: true}
	for _, name := range append([]string{""}, names...) {
		for _, s := range settingNames {
			known[envPrefix(name)+s] = true
		}
	}
	var keys []string
	for k := range environ {
		if strings.HasPrefix(k, "SERVER_") && !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	warnings := make([]string, 0, len(keys))
	for _, k := range keys {
		warnings = append(warnings, unknownWarning(k, known))
	}
	return warnings
}

// unknownWarning tells what k, a SERVER_* variable no server reads, may
// have been meant as.
func unknownWarning(k string, known map[string]bool) string {
	rest := strings.TrimPrefix(k, "SERVER_")
	for _, s := range settingNames {
		if name, ok := strings.CutSuffix(rest, "_"+s); ok && validName(strings.ToLower(name)) {
			return k + " is a setting of a server " + strings.ToLower(name) + " that " + namesVar + " does not list; add it there, or remove the variable"
		}
	}
	best, bestDist := "", len(k)
	for cand := range known {
		if d := editDistance(k, cand); d < bestDist || (d == bestDist && cand < best) {
			best, bestDist = cand, d
		}
	}
	if best != "" && bestDist <= max(2, len(best)/6) {
		return k + " is not a setting; did you mean " + best + "?"
	}
	return k + " is not a setting (see the settings table in README)"
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
