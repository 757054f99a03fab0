// Package adapter connects HTTP servers to the engine's bus.
package adapter
