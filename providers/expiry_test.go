package providers_test

import (
	"context"
	"net/http"
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
	assert.Equal(t, t0.Add(time.Hour), s.Expiry(tok, time.Hour, 5*time.Minute), "the answer's lifetime first")
	assert.True(t, t0.Add(20*time.Minute).Equal(s.Expiry(tok, 0, 5*time.Minute)), "then the JWT's exp")
	assert.Equal(t, t0.Add(5*time.Minute), s.Expiry("opaque", 0, 5*time.Minute), "then the documented lifetime")
	assert.True(t, s.Expiry("opaque", 0, 0).IsZero(), "else unknown")
}

func TestExpiryWithOurClockAheadOfTheProvider(t *testing.T) {
	clk := clock.NewFake(t0.Add(2 * time.Hour)) // we run 2 h ahead
	s := expirySender(t, clk)
	tok := jwtAt(t, t0, 20*time.Minute) // issued just now, by the provider's clock
	assert.Equal(t, clk.Now().Add(20*time.Minute), s.Expiry(tok, 0, 0),
		"a token that looks expired on arrival keeps its own lifetime")
}
