// Package engine is the process bus.
package engine
