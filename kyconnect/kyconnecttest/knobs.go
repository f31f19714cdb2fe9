package kyconnecttest

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Paths in knobs and counters are relative to the API root ("/auth/me");
// "" means every path.

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

// MFAChecks counts MFA codes the server checked, right or wrong.
func (s *Server) MFAChecks() int { return s.kit.Counts.Get("mfa checks") }

// ResetCounts sets every counter to zero and forgets the hits and the
// login attempt times.
func (s *Server) ResetCounts() {
	s.Knobs.ResetCounts()
	s.mu.Lock()
	s.attempts = nil
	s.mu.Unlock()
}

// nestBody is a NestJS error body.
func nestBody(status int, message any) []byte {
	return fmt.Appendf(nil, `{"statusCode":%d,"message":%s,"error":%q}`, status, jsonString(message), http.StatusText(status))
}
