package providers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

func jwtAt(t *testing.T, iat time.Time, life time.Duration) string {
	claims := jwt.MapClaims{"iat": iat.Unix(), "exp": iat.Add(life).Unix()}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

// expirySender returns a Sender on clk, captured from a Login call.
func expirySender(t *testing.T, clk clock.Clock) *providers.Sender {
	var got *providers.Sender
	conn, err := providers.Build(providers.Spec{Name: "x", BaseURL: "https://x.example.com",
		Login: func(_ context.Context, s *providers.Sender) (*auth.Token, error) {
			got = s
			return &auth.Token{AccessToken: "a"}, nil
		}}, providers.WithClock(clk), providers.WithTransport(http.DefaultTransport))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = conn.TokenSource().Token(context.Background())
	require.NoError(t, err)
	return got
}

func TestExpiryOrder(t *testing.T) {
	clk := clock.NewFake(t0)
	s := expirySender(t, clk)
	tok := jwtAt(t, t0, 20*time.Minute)
	assert.True(t, t0.Add(10*time.Minute).Equal(s.Expiry(tok, 10*time.Minute, 5*time.Minute)), "the answer's lifetime when it is the earlier")
	assert.True(t, t0.Add(20*time.Minute).Equal(s.Expiry(tok, time.Hour, 5*time.Minute)), "the JWT's exp when it is the earlier")
	assert.True(t, t0.Add(20*time.Minute).Equal(s.Expiry(tok, 0, 5*time.Minute)), "the JWT's exp without a lifetime field")
	assert.Equal(t, t0.Add(5*time.Minute), s.Expiry("opaque", 0, 5*time.Minute), "then the documented lifetime")
	assert.True(t, s.Expiry("opaque", 0, 0).IsZero(), "else unknown")
}

// Rule: a lifetime counts from when the login was sent, not from when its
// answer arrived, so our expiry never lands after the provider's.
func TestExpiryCountsFromTheSend(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		clk.Advance(2 * time.Second) // a slow login
		_, _ = w.Write([]byte(`{"token":"opaque","expires_in":900}`))
	}))
	defer srv.Close()
	var expiry time.Time
	conn, err := providers.Build(providers.Spec{Name: "x", BaseURL: srv.URL,
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			req, err := s.NewRequest(ctx, http.MethodPost, "/login", nil)
			if err != nil {
				return nil, err
			}
			var a struct {
				Token     string `json:"token"`
				ExpiresIn int    `json:"expires_in"`
			}
			if err := s.Do(req, "login", &a); err != nil {
				return nil, err
			}
			expiry = s.Expiry(a.Token, time.Duration(a.ExpiresIn)*time.Second, 0)
			return &auth.Token{AccessToken: a.Token, Expiry: expiry}, nil
		}}, providers.WithClock(clk))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.TokenSource().Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, t0.Add(15*time.Minute), expiry, "sent at t0, answered at t0+2s")
}

// Rule: a lifetime below the floor is raised to it, so a provider that
// answers "expires_in: 0.000001" does not cost a login per request.
func TestExpiryHasAFloor(t *testing.T) {
	clk := clock.NewFake(t0)
	s := expirySender(t, clk)
	assert.Equal(t, t0.Add(providers.MinTokenLifetime), s.Expiry("opaque", time.Microsecond, 0))
	assert.Equal(t, t0.Add(providers.MinTokenLifetime), s.Expiry(jwtAt(t, t0, time.Second), 0, 0))
}

func TestExpiryWithOurClockAheadOfTheProvider(t *testing.T) {
	clk := clock.NewFake(t0.Add(2 * time.Hour)) // we run 2 h ahead
	s := expirySender(t, clk)
	tok := jwtAt(t, t0, 20*time.Minute) // issued just now, by the provider's clock
	assert.Equal(t, clk.Now().Add(20*time.Minute), s.Expiry(tok, 0, 0),
		"a token that looks expired on arrival keeps its own lifetime")
}
