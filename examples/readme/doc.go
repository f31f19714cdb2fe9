// Package readme holds, as compiled Example functions, every Go snippet of
// the repository's README.md, so that a snippet that stops compiling fails
// `go test`. Those that need no real provider run against the fakes and
// check their output. It has no API.
package readme
