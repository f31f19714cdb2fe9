package kyconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/providers"
)

// Operation names, as they appear in errors.
const (
	opLogin   = "login"
	opRefresh = "refresh"
)

// mfaCodeTTL is how old an MFA code may be when the login is finally sent.
// TOTP codes change every 30 s; a login held back by the login limiter or
// a 429 cool-down asks for a new one rather than send a stale one.
const mfaCodeTTL = 15 * time.Second

// login holds what a login needs; it never prints (unexported, no String
// needed: it is reachable only through the Spec's closure).
type login struct {
	email    string
	password string
	mfa      func(ctx context.Context) (string, error)
}

// loginRequest is the body of POST /auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	MFACode  string `json:"mfa_code,omitempty"`
}

// refreshRequest is the body of POST /auth/refresh.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// tokenAnswer is the answer of login and refresh. (I): the field names are
// not published, so every spelling seen in NestJS back ends is accepted.
type tokenAnswer struct {
	AccessToken       string  `json:"access_token"`
	AccessTokenCamel  string  `json:"accessToken"`
	Token             string  `json:"token"`
	RefreshToken      string  `json:"refresh_token"`
	RefreshTokenCamel string  `json:"refreshToken"`
	ExpiresIn         seconds `json:"expires_in"`
}

// errNoToken reports a 2xx token answer without an access token.
var errNoToken = errors.New("unikyc: " + Name + ": token answer has no access token")

// login posts the credentials (and the MFA code) and returns the token.
func (l *login) login(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
	body := &loginBody{ctx: ctx, l: l, now: s.Now}
	if err := body.prepare(); err != nil {
		return nil, err
	}
	req, err := s.NewRequest(ctx, http.MethodPost, LoginPath, providers.RawBody{ContentType: "application/json"})
	if err != nil {
		return nil, err
	}
	// The body is produced when the transport writes it, after any wait in
	// the pipeline, so that the MFA code is current. Its length is unknown
	// until then.
	req.Body, _ = body.open()
	req.GetBody = body.open
	req.ContentLength = 0
	return exchange(s, req, opLogin)
}

// refresh exchanges a refresh token; KYConnect rotates it on every use.
func refresh(ctx context.Context, s *providers.Sender, refreshToken string) (*auth.Token, error) {
	req, err := s.NewRequest(ctx, http.MethodPost, RefreshPath, refreshRequest{RefreshToken: refreshToken})
	if err != nil {
		return nil, err
	}
	return exchange(s, req, opRefresh)
}

// exchange sends a login or refresh and reads the token answer.
func exchange(s *providers.Sender, req *http.Request, op string) (*auth.Token, error) {
	var ans tokenAnswer
	if err := s.Do(req, op, &ans); err != nil {
		return nil, err
	}
	access := first(ans.AccessToken, ans.AccessTokenCamel, ans.Token)
	if access == "" {
		return nil, errNoToken
	}
	tok := &auth.Token{
		AccessToken:  access,
		TokenType:    "Bearer",
		Expiry:       s.Expiry(access, time.Duration(ans.ExpiresIn), AccessTokenLifetime),
		RefreshToken: first(ans.RefreshToken, ans.RefreshTokenCamel),
	}
	// A JWT refresh token says when it dies; past that the cache logs in
	// instead of spending a refresh call on a token that will be refused.
	if exp, ok := jwtexp.Expiry(tok.RefreshToken); ok {
		tok.RefreshExpiry = exp
	}
	return tok, nil
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// loginBody makes the JSON body of one login, with an MFA code that is
// never older than mfaCodeTTL when the body is written.
type loginBody struct {
	ctx context.Context
	l   *login
	now func() time.Time

	mu   sync.Mutex
	code string
	at   time.Time
}

// prepare asks for the first MFA code, so that a failing callback fails the
// login before anything is sent.
func (b *loginBody) prepare() error {
	if b.l.mfa == nil {
		return nil
	}
	code, err := b.l.mfa(b.ctx)
	if err != nil {
		return fmt.Errorf("unikyc: %s %s: MFA code: %w", Name, opLogin, err)
	}
	if code = strings.TrimSpace(code); code == "" {
		return fmt.Errorf("unikyc: %s %s: the MFACode callback returned no code: %w", Name, opLogin, ErrMFARequired)
	}
	b.code, b.at = code, b.now()
	return nil
}

// bytes returns the body, asking for a new MFA code when the last one is
// too old. If that fails the old code is sent: the server's answer
// (ErrInvalidMFACode, not final) is a better report than a local error.
func (b *loginBody) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.l.mfa != nil && b.now().Sub(b.at) > mfaCodeTTL {
		if code, err := b.l.mfa(b.ctx); err == nil && strings.TrimSpace(code) != "" {
			b.code, b.at = strings.TrimSpace(code), b.now()
		}
	}
	data, _ := json.Marshal(loginRequest{Email: b.l.email, Password: b.l.password, MFACode: b.code})
	return data
}

func (b *loginBody) open() (io.ReadCloser, error) { return &lazyReader{b: b}, nil }

// lazyReader builds its content on the first Read.
type lazyReader struct {
	b *loginBody
	r *bytes.Reader
}

func (r *lazyReader) Read(p []byte) (int, error) {
	if r.r == nil {
		r.r = bytes.NewReader(r.b.bytes())
	}
	return r.r.Read(p)
}

func (r *lazyReader) Close() error { return nil }

// seconds is a lifetime in seconds, sent as a number or a numeric string.
// Anything else reads as zero (unknown) rather than failing the login.
type seconds time.Duration

func (s *seconds) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	if err == nil && v > 0 && v < 1e9 {
		*s = seconds(v * float64(time.Second))
	}
	return nil
}
