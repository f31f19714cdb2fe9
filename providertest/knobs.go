package providertest

import (
	"net/http"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Token kinds the Knobs' token methods act on; fakes issue tokens of these
// kinds (and others of their own, which only ExpireTokens and
// RevokeTokens reach).
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// Knobs is the one set of knob and counter names every fake server
// embeds, so a test reads the same for every provider. Each fake also
// declares them on its Server (written by internal/cmd/knobgen), so that
// go doc lists them there:
//
//	faults:   FailNext, AnswerNext, RateLimitNext, RateLimitNextNamed,
//	          UnavailableNext, DelayNext, Delay, ClearFaults
//	counters: Requests, Calls, Faults, Rejected, RateLimited, Logins,
//	          LoginAttempts, Refreshes, Count, Hits, MaxRequestsIn, ResetCounts
//	tokens:   ExpireTokens, ExpireAccessTokens, ExpireRefreshTokens,
//	          RevokeTokens, RevokeAccessTokens, RevokeRefreshTokens,
//	          LiveTokens, LiveRefreshTokens
//	wiring:   Clock, Transport, Client
//
// Paths are the ones the fake serves ("" means every path), except where
// a fake's doc says it maps them (kyconnecttest: relative to the API root).
// Faults answer before any of the fake's rules runs; they are counted by
// Requests, Calls, Faults and Hits, never as logins or rejections.
type Knobs struct {
	kit       *Kit
	errorBody func(status int) []byte
	path      func(string) string
}

// NewKnobs returns the knobs of a fake on kit. errorBody gives the
// provider's own error body for an injected status (nil: none); path maps
// a knob's path to the served one (nil: as given).
func NewKnobs(kit *Kit, errorBody func(status int) []byte, path func(string) string) *Knobs {
	if path == nil {
		path = func(p string) string { return p }
	}
	return &Knobs{kit: kit, errorBody: errorBody, path: path}
}

func (k *Knobs) body(status int, body []byte) []byte {
	if body == nil && k.errorBody != nil {
		return k.errorBody(status)
	}
	return body
}

// --- faults ---

// FailNext answers the next n requests to path ("" for any) with status
// and body (nil: the provider's own error body for status).
func (k *Knobs) FailNext(path string, n, status int, body []byte) {
	k.AnswerNext(path, n, status, nil, body)
}

// AnswerNext answers the next n requests to path with status, header and
// body (nil: the provider's own error body for status).
func (k *Knobs) AnswerNext(path string, n, status int, header http.Header, body []byte) {
	k.kit.Faults.Next(k.path(path), n, Fault{Status: status, Header: header.Clone(), Body: k.body(status, body)})
}

// RateLimitNext answers the next n requests to path with 429, the
// provider's throttled body and "Retry-After: <retryAfter>" ("" for no
// header).
func (k *Knobs) RateLimitNext(path string, n int, retryAfter string) {
	k.withRetryAfter(path, n, http.StatusTooManyRequests, "Retry-After", retryAfter)
}

// RateLimitNextNamed is RateLimitNext for a named limit: the header is
// "Retry-After-<name>" and there is no plain Retry-After, as NestJS's
// named throttlers answer.
func (k *Knobs) RateLimitNextNamed(path string, n int, name, retryAfter string) {
	k.withRetryAfter(path, n, http.StatusTooManyRequests, "Retry-After-"+name, retryAfter)
}

// UnavailableNext answers the next n requests to path with 503, the
// provider's error body and "Retry-After: <retryAfter>" ("" for none).
func (k *Knobs) UnavailableNext(path string, n int, retryAfter string) {
	k.withRetryAfter(path, n, http.StatusServiceUnavailable, "Retry-After", retryAfter)
}

func (k *Knobs) withRetryAfter(path string, n, status int, name, value string) {
	h := http.Header{}
	if value != "" {
		h.Set(name, value)
	}
	k.AnswerNext(path, n, status, h, nil)
}

// DelayNext holds the next n answers to path for d, or until the client
// gives up; the fake then answers as usual. d runs on real time, or on a
// synctest bubble's clock when the request comes through Transport from
// inside one.
func (k *Knobs) DelayNext(path string, n int, d time.Duration) {
	k.kit.Faults.Next(k.path(path), n, Fault{Delay: d})
}

// Delay holds every answer for d (0 turns it off).
func (k *Knobs) Delay(d time.Duration) { k.kit.Faults.Delay(d) }

// ClearFaults drops every queued fault and the delay.
func (k *Knobs) ClearFaults() { k.kit.Faults.Clear() }

// --- counters ---

// Requests counts every request the fake received, faults included.
func (k *Knobs) Requests() int { return k.kit.Counts.Get(CountRequests) }

// Calls counts the requests to path, faults and refusals included.
func (k *Knobs) Calls(path string) int { return k.kit.Counts.Path(k.path(path)) }

// Faults counts the answers given by injected faults.
func (k *Knobs) Faults() int { return k.kit.Counts.Get(CountFaults) }

// Rejected counts the requests the fake refused by its own rules (bad
// credentials or token, validation, its rate limit, unknown routes), not
// injected faults.
func (k *Knobs) Rejected() int { return k.kit.Counts.Get(CountRejected) }

// RateLimited counts the 429s the fake's own rate limits sent.
func (k *Knobs) RateLimited() int { return k.kit.Counts.Get(CountRateLimited) }

// Logins counts successful logins (0 for a provider without logins).
func (k *Knobs) Logins() int { return k.kit.Counts.Get(CountLogins) }

// LoginAttempts counts the login requests the fake judged, refused or not:
// wrong credentials, a malformed form or body and a wrong MFA code count
// as well as a success (0 for a provider without logins). A login refused
// by the fake's own rate limit is counted by RateLimited instead, and an
// injected fault never reaches the fake's rules; Calls counts both.
func (k *Knobs) LoginAttempts() int { return k.kit.Counts.Get(CountLoginAttempts) }

// Refreshes counts successful refreshes.
func (k *Knobs) Refreshes() int { return k.kit.Counts.Get(CountRefreshes) }

// Count returns a counter of the fake's own by name (see its package doc).
func (k *Knobs) Count(name string) int { return k.kit.Counts.Get(name) }

// Hits returns every request answered so far, in order of arrival.
func (k *Knobs) Hits() []Hit { return k.kit.Hits() }

// MaxRequestsIn returns the most requests to path ("" for every path)
// that arrived within any span of d on the fake's clock, both ends
// included: what a server counting "N in any window d" saw at its
// busiest.
func (k *Knobs) MaxRequestsIn(path string, d time.Duration) int {
	if path != "" {
		path = k.path(path)
	}
	return k.kit.MaxIn(path, d)
}

// ResetCounts sets every counter to zero and forgets the hits.
func (k *Knobs) ResetCounts() {
	k.kit.Counts.Reset()
	k.kit.resetHits()
}

// --- tokens ---

// ExpireTokens makes every token the fake issued, of every kind, expire
// now.
func (k *Knobs) ExpireTokens() { k.kit.Tokens.ExpireAll("") }

// ExpireAccessTokens makes every access token issued so far expire now.
func (k *Knobs) ExpireAccessTokens() { k.kit.Tokens.ExpireAll(KindAccess) }

// ExpireRefreshTokens makes every refresh token issued so far expire now.
func (k *Knobs) ExpireRefreshTokens() { k.kit.Tokens.ExpireAll(KindRefresh) }

// RevokeTokens revokes every token the fake issued, of every kind, as a
// password change or "log out everywhere" would.
func (k *Knobs) RevokeTokens() { k.kit.Tokens.RevokeAll("") }

// RevokeAccessTokens revokes every access token issued so far.
func (k *Knobs) RevokeAccessTokens() { k.kit.Tokens.RevokeAll(KindAccess) }

// RevokeRefreshTokens revokes every refresh token issued so far.
func (k *Knobs) RevokeRefreshTokens() { k.kit.Tokens.RevokeAll(KindRefresh) }

// LiveTokens counts the access tokens neither expired nor revoked.
func (k *Knobs) LiveTokens() int { return k.kit.Tokens.Live(KindAccess) }

// LiveRefreshTokens counts the refresh tokens neither expired nor revoked.
func (k *Knobs) LiveRefreshTokens() int { return k.kit.Tokens.Live(KindRefresh) }

// --- wiring ---

// Clock returns the fake's clock; give the client the same one
// (providers.WithClock).
func (k *Knobs) Clock() clock.Clock { return k.kit.Clock }

// Transport returns an in-memory http.RoundTripper to the fake (see
// providers.WithTransport): no socket and no goroutine, so client and fake
// can run inside a testing/synctest bubble.
func (k *Knobs) Transport() http.RoundTripper { return k.kit.Transport() }

// Client returns an http.Client for raw requests to the fake, through
// Transport.
func (k *Knobs) Client() *http.Client { return &http.Client{Transport: k.kit.Transport()} }
