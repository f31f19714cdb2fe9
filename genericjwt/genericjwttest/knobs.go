package genericjwttest

import "time"

// Logins counts successful logins (tokens issued).
func (s *Server) Logins() int { return s.kit.Counts.Get(cLogins) }

// LoginAttempts counts login requests the server judged, refused or not
// (injected faults excluded).
func (s *Server) LoginAttempts() int { return s.kit.Counts.Get(cLoginAttempts) }

// Requests counts every request received, faults included.
func (s *Server) Requests() int { return s.kit.Counts.Get("requests") }

// Calls counts the requests received for path, faults included.
func (s *Server) Calls(path string) int { return s.kit.Counts.Path(path) }

// Rejected counts requests the server refused by its own rules (400, 401,
// 404, 405, 422), not by an injected fault.
func (s *Server) Rejected() int { return s.kit.Counts.Get(cRejected) }

// Unauthorized counts 401s sent for a missing, unknown, expired or revoked
// token.
func (s *Server) Unauthorized() int { return s.kit.Counts.Get(cUnauthorized) }

// ExpiredRejections counts 401s sent because the token had expired: a
// client that renews ahead of expiry keeps it at zero.
func (s *Server) ExpiredRejections() int { return s.kit.Counts.Get(cExpired) }

// Faults counts answers given by injected faults.
func (s *Server) Faults() int { return s.kit.Counts.Get("faults") }

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() { s.kit.Counts.Reset() }

// LiveTokens counts issued tokens neither expired nor revoked.
func (s *Server) LiveTokens() int { return s.kit.Tokens.Live("access") }

// ExpireTokens makes every issued token expire now.
func (s *Server) ExpireTokens() { s.kit.Tokens.ExpireAll("access") }

// RevokeTokens revokes every issued token (a logout, a key rotation).
func (s *Server) RevokeTokens() { s.kit.Tokens.RevokeAll("access") }

// FailNext answers the next n requests to path ("" for any) with status
// and body (nil: {"detail":"injected fault"}).
func (s *Server) FailNext(path string, n, status int, body []byte) {
	s.kit.Faults.FailNext(path, n, status, body)
}

// RateLimitNext answers the next n requests to path ("" for any) with 429
// and the given Retry-After value ("" for none).
func (s *Server) RateLimitNext(path string, n int, retryAfter string) {
	s.kit.Faults.RateLimitNext(path, n, retryAfter, nil)
}

// DelayNext holds the next n answers to path ("" for any) for d of real
// time, or until the client gives up.
func (s *Server) DelayNext(path string, n int, d time.Duration) { s.kit.Faults.DelayNext(path, n, d) }

// Delay holds every answer for d of real time (0 turns it off).
func (s *Server) Delay(d time.Duration) { s.kit.Faults.Delay(d) }

// ClearFaults drops every queued fault and the delay.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }
