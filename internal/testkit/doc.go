// Package testkit holds what this module's tests share and no binary
// ships: the fakes' private helpers (fakekit; the public fake kit is
// package providertest), the fault matrix (faulttest), the leak checks
// (leakcheck) and the soak (soak). Runtime helpers that ship stay directly
// under internal/; commands (the benchmark report) live under
// internal/cmd.
package testkit
