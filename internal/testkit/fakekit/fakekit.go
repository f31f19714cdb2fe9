// Package fakekit holds what the fake provider servers share that has no
// public promise: rate-limit windows in the modes the providers'
// frameworks count them, and small answer helpers. The public part of the
// fake kit (the knobs, counters, tokens and faults every fake has) is
// package providertest.
package fakekit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// RetryAfterSeconds formats d as a Retry-After header value, rounded up.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// SetRetryAfter sets the Retry-After header for d, as "Retry-After" when
// name is "" and as "Retry-After-<name>" (and no plain Retry-After) for a
// named limit, as NestJS's named throttlers send it.
func SetRetryAfter(h http.Header, name string, d time.Duration) {
	if name == "" {
		h.Set("Retry-After", RetryAfterSeconds(d))
		return
	}
	h.Set("Retry-After-"+name, RetryAfterSeconds(d))
}
