// Package exechook is a test hook: it lets a test replace the call that
// re-executes the program after a bus restart (syscall.Exec) by a function
// of its own, so that the test can watch the re-exec without the test
// binary being replaced.
//
// The hook rides on a context, not on the bus: a test puts it into the
// context it hands to engine.Bus.Block with With, and Block looks it up
// with From. Production code never calls With, so From finds nothing and
// Block uses syscall.Exec. There is no package-level state.
package exechook
