// Command restarttest is the program engine's restart test re-executes for
// real. It is not meant to be run by hand.
//
// # First run
//
// When the file named by RESTARTTEST_MARKER does not exist yet, it creates
// it, prints "run=1" and its process ID, creates and starts a bus, starts a
// goroutine owned by the bus, then changes its working directory and its
// RESTARTTEST_VALUE variable (which the re-executed program must not see)
// and calls Restart and Block. Block replaces the process, so nothing after
// it runs unless the re-exec fails.
//
// # Second run
//
// When the marker exists, it prints "run=2", its process ID, its arguments,
// working directory and RESTARTTEST_VALUE, one per line as key=value, and
// exits 0.
package main
