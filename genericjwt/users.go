package genericjwt

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/unikyc/unikyc/providers"
)

// User is the FastAPI-Users BaseUser schema that GET /users/me answers.
// Back offices add their own fields: Raw keeps the whole answer for them.
type User struct {
	ID          UserID `json:"id"`
	Email       string `json:"email"`
	IsActive    bool   `json:"is_active"`
	IsSuperuser bool   `json:"is_superuser"`
	IsVerified  bool   `json:"is_verified"`

	// Raw is the answer as received, for fields this type does not name.
	// It holds personal data: do not log it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the known fields and keeps the answer in Raw.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Raw = append(json.RawMessage(nil), b...)
	*u = User(p)
	return nil
}

// UserID is a user's id: FastAPI-Users uses UUIDs by default, ObjectIds
// with Beanie, and some back offices integers; all decode to their text
// (providers.ID).
type UserID = providers.ID

// opMe names GET /users/me in errors; the error decoder reads a 403 on it
// as an unverified user.
const opMe = "me"

// Me returns the user the client is logged in as (GET /users/me, or
// Config.MePath). It logs in first when needed. When the back office's
// users router requires a verified user and this one is not, the answer is
// 403 and the error matches [ErrUserNotVerified] and [ErrForbidden].
func (c *Client) Me(ctx context.Context) (*User, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, c.mePath, nil)
	if err != nil {
		return nil, err
	}
	var u User
	if err := c.Do(req, opMe, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CheckAuth reports whether the account can log in and make an
// authenticated call, with the cheapest call the back office has (Me).
func (c *Client) CheckAuth(ctx context.Context) error {
	_, err := c.Me(ctx)
	return err
}
