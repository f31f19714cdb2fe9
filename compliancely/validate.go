package compliancely

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// TokenStatus is what Compliancely says about the client's access token.
type TokenStatus struct {
	Valid     bool
	Status    string        // as sent: "valid", "expired", "invalid", …
	TokenType string        // "access"
	Remaining time.Duration // lifetime left; 0 when invalid or unknown
	ExpiresAt time.Time     // as said, else the token's own expiry; zero when unknown
}

type validateRequest struct {
	Token string `json:"token"`
}

// validateAnswer: Simple JWT's stock verify view answers 200 {} for a
// valid token; the guide says the endpoint reports status and remaining
// lifetime without naming fields, so these (I) are read when present.
type validateAnswer struct {
	Valid            *bool     `json:"valid"`
	Status           string    `json:"status"`
	TokenType        string    `json:"token_type"`
	RemainingSeconds seconds   `json:"remaining_seconds"`
	ExpiresIn        seconds   `json:"expires_in"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// ValidateToken asks Compliancely whether the access token the client holds
// is valid and how long it has left (POST Config.ValidatePath, body
// {"token"}). It logs in first when the client has no token yet. The guide
// suggests it before large batches and for monitoring; the client does not
// need it, as it refreshes ahead of expiry on its own. It counts against
// the 10 requests a minute.
//
// A token the provider refuses with 401 "token_not_valid" gives a status
// with Valid false and no error.
func (c *Client) ValidateToken(ctx context.Context) (*TokenStatus, error) {
	var a validateAnswer
	req, err := c.NewRequest(ctx, http.MethodPost, c.validatePath, validateRequest{})
	if err != nil {
		return nil, err
	}
	// The body names the token the request carries, built when it leaves
	// (after the budget wait, which a refresh may outlast). A 401 here is
	// the verdict on that token, not a refused call: no token is dropped
	// and nothing is replayed.
	var sent *auth.Token
	err = c.Do(providers.BodyWithToken(req, func(tok *auth.Token) ([]byte, error) {
		sent = tok
		return json.Marshal(validateRequest{Token: tok.AccessToken})
	}), "validate", &a)
	var pe *providers.Error
	if errors.As(err, &pe) && pe.StatusCode == http.StatusUnauthorized && pe.Code == CodeTokenNotValid {
		return &TokenStatus{Status: "invalid"}, nil
	}
	if err != nil {
		return nil, err
	}
	st := &TokenStatus{Status: a.Status, TokenType: a.TokenType, ExpiresAt: a.ExpiresAt,
		Remaining: max(a.RemainingSeconds.duration(), a.ExpiresIn.duration())}
	// A 2xx is the verdict "valid" unless the answer says otherwise:
	// Simple JWT's verify view answers a bare {}.
	switch {
	case a.Valid != nil:
		st.Valid = *a.Valid
	case a.Status != "":
		st.Valid = strings.EqualFold(a.Status, "valid")
	default:
		st.Valid, st.Status = true, "valid"
	}
	if st.Valid && st.ExpiresAt.IsZero() && st.Remaining == 0 {
		// Stock verify says nothing about lifetime: the token's own expiry
		// (its answer's lifetime or JWT "exp") is the best we know.
		st.ExpiresAt = sent.Expiry
	}
	if st.Remaining == 0 && st.Valid && !st.ExpiresAt.IsZero() {
		st.Remaining = max(st.ExpiresAt.Sub(c.conn.Now()), 0)
	}
	return st, nil
}
