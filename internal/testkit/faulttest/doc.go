// Package faulttest runs fault matrices against the fake providers: one
// table per provider, each fault a row, all rows through the same
// machinery. For each row it starts the provider's fake on a fake clock,
// puts a programmable [Front] server in front of it (for faults the fakes'
// knobs cannot make: a connection reset mid-body, a truncated or huge
// answer, a hang, a redirect to another host), builds a client whose base
// transport records every credential and token that crosses the wire, runs
// the row and then checks, whatever the row asserted itself, that the
// caller's error is typed, that no secret appears in the error or in any
// log line, and that no goroutine outlives the row.
//
// It also holds the pieces the soak test shares: [Chaos], a seeded
// random-fault front, [Pump], which moves a fake clock whenever goroutines
// wait on it, and [Kind], which names the type of a client error.
//
// Tests only: it imports testing.
package faulttest
