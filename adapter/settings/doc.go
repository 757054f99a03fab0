// Package settings holds the server.* settings of cherrygo, read from the
// environment: one Config per server, SERVER_* for the default server and
// SERVER_<NAME>_* for each server SERVER_NAMES lists. It is the only
// package of the kit that parses environment variables, and it knows
// nothing of servers or requests: package adapter drives a server, package
// stdlib builds one from a Config.
//
// # Loading
//
// Load reads every server's Config from an environment map (LoadEnv from
// the process environment). Every variable has a documented default
// (Default; README.md has the whole table), and Load reports every bad
// value at once in a *ConfigError whose Problems are *SettingError values
// naming the variable, the value and the accepted form. Validate checks a
// Config built in code the same way.
//
// # Unknown variables
//
// Unknown names every SERVER_* variable no server reads, with the closest
// known name, for a warning at start: a typo then does not go unnoticed,
// and variables other software sets (Kubernetes injects SERVER_PORT and
// SERVER_SERVICE_HOST for a Service called "server") do not stop the
// program.
package settings
