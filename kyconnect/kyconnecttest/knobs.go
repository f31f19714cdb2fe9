package kyconnecttest

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Paths in knobs and counters are relative to the API root ("/auth/me");
// "" means every path.

// ExpireAccessTokens makes every access token issued so far expire now.
func (s *Server) ExpireAccessTokens() { s.kit.Tokens.ExpireAll(kindAccess) }

// ExpireRefreshTokens makes every refresh token issued so far expire now.
func (s *Server) ExpireRefreshTokens() { s.kit.Tokens.ExpireAll(kindRefresh) }

// RevokeTokens revokes every access and refresh token issued so far, as a
// password change or an admin's "log out everywhere" would.
func (s *Server) RevokeTokens() { s.kit.Tokens.RevokeAll("") }

// LiveAccessTokens counts the access tokens still accepted.
func (s *Server) LiveAccessTokens() int { return s.kit.Tokens.Live(kindAccess) }

// FailNext answers the next n requests to path with status and a NestJS
// error body.
func (s *Server) FailNext(path string, n, status int) {
	s.kit.Faults.FailNext(api(path), n, status, nestBody(status, http.StatusText(status)))
}

// FailNextWith answers the next n requests to path with status and body.
func (s *Server) FailNextWith(path string, n, status int, body []byte) {
	s.kit.Faults.FailNext(api(path), n, status, body)
}

// RateLimitNext answers the next n requests to path with 429 and the given
// Retry-After value ("" for none).
func (s *Server) RateLimitNext(path string, n int, retryAfter string) {
	s.kit.Faults.RateLimitNext(api(path), n, retryAfter, nestBody(http.StatusTooManyRequests, throttled))
}

// DelayNext holds the next n answers to path for d of real time, or until
// the client gives up.
func (s *Server) DelayNext(path string, n int, d time.Duration) {
	s.kit.Faults.DelayNext(api(path), n, d)
}

// Delay holds every answer for d of real time (0 turns it off).
func (s *Server) Delay(d time.Duration) { s.kit.Faults.Delay(d) }

// ClearFaults drops every queued fault and the delay.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

// Logins counts successful logins.
func (s *Server) Logins() int { return s.kit.Counts.Get("logins") }

// LoginAttempts counts login requests that reached the login handler
// (rate-limited ones excluded), successful or not.
func (s *Server) LoginAttempts() int { return s.kit.Counts.Get("login attempts") }

// LoginAttemptTimes returns when, on the server's clock, each login attempt
// counted by LoginAttempts arrived.
func (s *Server) LoginAttemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attempts)
}

// MaxLoginAttemptsPerHour returns the most login attempts that arrived
// within any one hour: KYConnect allows 10.
func (s *Server) MaxLoginAttemptsPerHour() int {
	ts := s.LoginAttemptTimes()
	most := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < time.Hour; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// Refreshes counts successful refreshes.
func (s *Server) Refreshes() int { return s.kit.Counts.Get("refreshes") }

// MFAChecks counts MFA codes the server checked, right or wrong.
func (s *Server) MFAChecks() int { return s.kit.Counts.Get("mfa checks") }

// Calls counts the requests that reached path, faults included.
func (s *Server) Calls(path string) int { return s.kit.Counts.Path(api(path)) }

// Requests counts every request the server received.
func (s *Server) Requests() int { return s.kit.Counts.Get("requests") }

// Rejected counts the requests the server refused by its own rules (bad
// credentials or token, validation, rate limits, unknown routes); injected
// faults are not counted.
func (s *Server) Rejected() int { return s.kit.Counts.Get("rejected") }

// RateLimited counts the 429s the server sent by its own rules.
func (s *Server) RateLimited() int { return s.kit.Counts.Get("rate limited") }

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() {
	s.kit.Counts.Reset()
	s.mu.Lock()
	s.attempts = nil
	s.mu.Unlock()
}

// nestBody is a NestJS error body.
func nestBody(status int, message any) []byte {
	return fmt.Appendf(nil, `{"statusCode":%d,"message":%s,"error":%q}`, status, jsonString(message), http.StatusText(status))
}
