package kyconnect

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/unikyc/unikyc/providers"
)

// User is the account behind the token or API key, as GET /auth/me answers
// it. (I): the fields are not published; snake_case names are read, and
// their camelCase spellings too. IDs decode from a JSON number (NestJS
// apps on TypeORM or Prisma answer "id": 1) or a string.
type User struct {
	ID         providers.ID `json:"id"`
	Email      string       `json:"email"`
	FirstName  string       `json:"first_name,omitempty"`
	LastName   string       `json:"last_name,omitempty"`
	Role       string       `json:"role,omitempty"`
	FirmID     providers.ID `json:"firm_id,omitempty"`
	MFAEnabled bool         `json:"mfa_enabled"`
}

// UnmarshalJSON reads both snake_case and camelCase field names.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	var w struct {
		plain
		FirstName  string       `json:"firstName"`
		LastName   string       `json:"lastName"`
		FirmID     providers.ID `json:"firmId"`
		MFAEnabled *bool        `json:"mfaEnabled"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = User(w.plain)
	u.FirstName = first(u.FirstName, w.FirstName)
	u.LastName = first(u.LastName, w.LastName)
	u.FirmID = providers.ID(first(string(u.FirmID), string(w.FirmID)))
	if w.MFAEnabled != nil {
		u.MFAEnabled = *w.MFAEnabled
	}
	return nil
}

// Me returns the user the client acts as (GET /auth/me). In login mode the
// first call logs in.
func (c *Client) Me(ctx context.Context) (*User, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, MePath, nil)
	if err != nil {
		return nil, err
	}
	var u User
	if err := c.Do(req, "me", &u); err != nil {
		return nil, err
	}
	return &u, nil
}
