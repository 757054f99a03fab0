// Package rwforward holds what every http.ResponseWriter wrapper of the
// kit does the same way: passing the optional methods of the writer it
// wraps on (io.StringWriter, io.ReaderFrom, flushing, hijacking), and the
// two status rules a wrapper needs to know what the client will see.
//
// The engine's response writer and the gateway's recording writer call
// these functions from their own methods, so that the two differ only in
// what they note down. The functions are plain calls on the
// http.ResponseWriter they are given: they add no allocation and no
// wrapper of their own, except writerOnly, which only hides ReadFrom from
// io.Copy.
package rwforward
