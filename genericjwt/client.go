package genericjwt

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Client talks to one back-office account. Besides the typed calls,
// [Client.NewRequest] and [Client.Do], or [Client.HTTPClient], reach any
// route of the back office, logged in, throttled and retried. It is safe
// for concurrent use; Close it when done.
type Client struct {
	conn   *providers.Core
	mePath string
}

//go:generate go run ../internal/cmd/clientgen

// New checks cfg and returns a Client. Nothing is sent until the first
// call: the first request logs in. A bad Config is reported as a
// *providers.ValidationError naming the field.
func New(cfg Config, opts ...providers.Option) (_ *Client, err error) {
	defer func() { err = providers.Named(Name, err) }()
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	conn, err := providers.Build(providers.Spec{
		Name:        Name,
		BaseURL:     cfg.BaseURL,
		Account:     cfg.Username,
		Config:      cfg,
		Login:       cfg.login,
		DecodeError: decodeError,
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, mePath: cfg.MePath}, nil
}

// loginAnswer is the 200 answer of the login route.
type loginAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"` // always "bearer"
}

// errNoToken reports a 200 login answer without a token.
var errNoToken = errors.New("unikyc: " + Name + " login: answer has no access_token")

// login posts the OAuth2 password form. Expiry comes from the JWT's "exp",
// else from TokenLifetime; zero means valid until a 401.
func (c Config) login(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
	form := url.Values{
		"username":   {c.Username},
		"password":   {string(c.Password)},
		"grant_type": {"password"},
	}
	req, err := s.NewRequest(ctx, http.MethodPost, c.LoginPath, form)
	if err != nil {
		return nil, err
	}
	var ans loginAnswer
	if err := s.Do(req, "login", &ans); err != nil {
		// The form's values are what a 422 "loc" could echo.
		scrubFields(err, c.Username, string(c.Password))
		return nil, err
	}
	if ans.AccessToken == "" {
		return nil, errNoToken
	}
	return &auth.Token{
		AccessToken: ans.AccessToken,
		TokenType:   ans.TokenType,
		Expiry:      s.Expiry(ans.AccessToken, 0, c.TokenLifetime),
	}, nil
}
