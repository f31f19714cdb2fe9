package kyconnect

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/unikyc/unikyc/providers"
)

// Client talks to one KYConnect account. Besides the typed calls,
// [Client.NewRequest] and [Client.Do], or [Client.HTTPClient], reach any
// KYConnect endpoint, authenticated, throttled and retried. It is safe for
// concurrent use; share one per account and Close it when done.
type Client struct {
	conn *providers.Core
	mode string // "login" or "api-key", for printing
}

//go:generate go run ../internal/cmd/clientgen

// New checks cfg and returns a Client. Nothing is sent until the first
// call, which logs in (login mode). A bad Config is reported as a
// *providers.ValidationError naming the field.
func New(cfg Config, opts ...providers.Option) (_ *Client, err error) {
	defer func() { err = providers.Named(Name, err) }()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var conn *providers.Core
	if secret := cfg.TOTPSecret; secret != "" {
		// Codes on the client's clock (providers.WithClock); conn is set
		// before any login can run.
		cfg.MFACode = func(context.Context) (string, error) { return totpCode(secret, conn.Now()) }
	}
	conn, err = providers.Build(cfg.spec(), opts...)
	if err != nil {
		return nil, err
	}
	mode := "login"
	if cfg.APIKey != "" {
		mode = "api-key"
	}
	return &Client{conn: conn, mode: mode}, nil
}

// String describes the client without any secret.
func (c *Client) String() string {
	return fmt.Sprintf("kyconnect.Client{BaseURL:%s Auth:%s}", c.BaseURL(), c.mode)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb: the Conn is never walked.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, c.String()) }

// LogValue implements slog.LogValuer.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes String as a JSON string.
func (c *Client) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", c.String()), nil }
