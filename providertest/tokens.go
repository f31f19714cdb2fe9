package providertest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unikyc/unikyc/clock"
)

// Token check failures.
var (
	ErrNoToken      = errors.New("no token")
	ErrUnknownToken = errors.New("unknown token")
	ErrExpiredToken = errors.New("token expired")
	ErrRevokedToken = errors.New("token revoked")
	ErrWrongKind    = errors.New("wrong kind of token")
)

// Tokens issues HS256 JWTs with "exp" on the Kit's clock and remembers
// them, so the fake can revoke or expire them on demand. A Kit's Tokens
// come made ([NewKit]); the zero value is not usable.
type Tokens struct {
	clk    clock.Clock
	key    []byte
	parser *jwt.Parser

	mu     sync.Mutex
	issued map[string]*issued
}

type issued struct {
	subject string
	kind    string
	expiry  time.Time // zero: none
	revoked bool
}

func newTokens(clk clock.Clock) *Tokens {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Tokens{clk: clk, key: key, issued: map[string]*issued{},
		// The fake checks expiry itself, on its own clock.
		parser: jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods([]string{"HS256"}))}
}

// Issue returns a signed JWT of kind ("access", "refresh", …) for subject,
// expiring after lifetime on the clock (0: no "exp" claim).
func (t *Tokens) Issue(subject, kind string, lifetime time.Duration) string {
	now := t.clk.Now()
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	claims := jwt.MapClaims{"sub": subject, "typ": kind, "iat": now.Unix(), "jti": hex.EncodeToString(jti)}
	var exp time.Time
	if lifetime > 0 {
		exp = now.Add(lifetime)
		claims["exp"] = exp.Unix()
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		panic(err) // HS256 with a fixed key cannot fail
	}
	t.mu.Lock()
	t.issued[s] = &issued{subject: subject, kind: kind, expiry: exp}
	t.mu.Unlock()
	return s
}

// Check verifies token's signature and that it was issued here, is of
// kind, is not revoked and has not expired on the clock. It returns the
// subject.
func (t *Tokens) Check(token, kind string) (string, error) {
	if token == "" {
		return "", ErrNoToken
	}
	if _, err := t.parser.Parse(token, func(*jwt.Token) (any, error) { return t.key, nil }); err != nil {
		return "", ErrUnknownToken
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	it, ok := t.issued[token]
	switch {
	case !ok:
		return "", ErrUnknownToken
	case it.kind != kind:
		return "", ErrWrongKind
	case it.revoked:
		return "", ErrRevokedToken
	case !it.expiry.IsZero() && !t.clk.Now().Before(it.expiry):
		return "", ErrExpiredToken
	}
	return it.subject, nil
}

// Bearer checks the request's "Authorization: Bearer" token of kind.
func (t *Tokens) Bearer(r *http.Request, kind string) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", ErrNoToken
	}
	return t.Check(strings.TrimSpace(tok), kind)
}

// Revoke revokes one token.
func (t *Tokens) Revoke(token string) {
	t.mu.Lock()
	if it, ok := t.issued[token]; ok {
		it.revoked = true
	}
	t.mu.Unlock()
}

// RevokeAll revokes every token of kind ("" for every kind).
func (t *Tokens) RevokeAll(kind string) {
	t.mu.Lock()
	for _, it := range t.issued {
		if kind == "" || it.kind == kind {
			it.revoked = true
		}
	}
	t.mu.Unlock()
}

// ExpireAll makes every token of kind ("" for every kind) expire now.
func (t *Tokens) ExpireAll(kind string) {
	now := t.clk.Now()
	t.mu.Lock()
	for _, it := range t.issued {
		if kind == "" || it.kind == kind {
			it.expiry = now
		}
	}
	t.mu.Unlock()
}

// Live counts the tokens of kind that are neither revoked nor expired.
func (t *Tokens) Live(kind string) int {
	now := t.clk.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, it := range t.issued {
		if it.kind == kind && !it.revoked && (it.expiry.IsZero() || now.Before(it.expiry)) {
			n++
		}
	}
	return n
}
