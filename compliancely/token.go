package compliancely

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// tokenAnswer is the answer to a login or a refresh. Login answers
// {"access","access_expiry_seconds","refresh","refresh_expiry_seconds"};
// the guide says a refresh answers {"new_access_token","new_refresh_token"}
// and the reference {"access","refresh"}: every spelling decodes.
type tokenAnswer struct {
	Access               string  `json:"access"`
	AccessToken          string  `json:"access_token"`
	NewAccessToken       string  `json:"new_access_token"`
	Refresh              string  `json:"refresh"`
	RefreshToken         string  `json:"refresh_token"`
	NewRefreshToken      string  `json:"new_refresh_token"`
	AccessExpirySeconds  seconds `json:"access_expiry_seconds"`
	RefreshExpirySeconds seconds `json:"refresh_expiry_seconds"`
}

// token turns the answer into an auth.Token. Lifetimes come from the
// answer's *_expiry_seconds, else the JWT "exp", else the documented ones.
func (a *tokenAnswer) token(s *providers.Sender, operation, scheme string) (*auth.Token, error) {
	access := first(a.NewAccessToken, a.Access, a.AccessToken)
	if access == "" {
		return nil, fmt.Errorf("unikyc: %s %s: answer has no access token", Name, operation)
	}
	t := &auth.Token{
		AccessToken:  access,
		TokenType:    scheme,
		Expiry:       s.Expiry(access, a.AccessExpirySeconds.duration(), AccessLifetime),
		RefreshToken: first(a.NewRefreshToken, a.Refresh, a.RefreshToken),
	}
	if t.RefreshToken != "" {
		t.RefreshExpiry = s.Expiry(t.RefreshToken, a.RefreshExpirySeconds.duration(), RefreshLifetime)
	}
	return t, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// seconds is a lifetime in seconds, sent as a number or a numeric string.
type seconds float64

func (s *seconds) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return nil // a lifetime we cannot read is unknown, not an error
	}
	*s = seconds(v)
	return nil
}

func (s seconds) duration() time.Duration {
	if s <= 0 || s > seconds(10*365*24*3600) {
		return 0
	}
	return time.Duration(float64(s) * float64(time.Second))
}

var _ json.Unmarshaler = (*seconds)(nil)
