package genericjwttest

import (
	"encoding/json"
	"net/http"
)

// Unauthorized counts 401s sent for a missing, unknown, expired or revoked
// token.
func (s *Server) Unauthorized() int { return s.kit.Counts.Get(cUnauthorized) }

// ExpiredRejections counts 401s sent because the token had expired: a
// client that renews ahead of expiry keeps it at zero.
func (s *Server) ExpiredRejections() int { return s.kit.Counts.Get(cExpired) }

// errorBody is FastAPI's body for an injected status: {"detail": <the
// status text>}, as HTTPException(status_code) sends it.
func errorBody(status int) []byte {
	b, _ := json.Marshal(map[string]string{"detail": http.StatusText(status)})
	return b
}
