// Package soak holds the soak test: every provider's client, 64
// goroutines, thousands of requests, against its fake behind a front that
// faults 5 % of the requests at random (seeded). See soak_test.go.
package soak
