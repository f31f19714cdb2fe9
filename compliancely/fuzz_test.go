package compliancely

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// FuzzDecodeError feeds the DRF error decoder any body: it must not
// panic, must leave the body alone, must keep Error() one bounded
// printable line, may only set the sentinels it documents, and may call
// credentials invalid (final) only at login.
// Seeds: testdata/fuzz/FuzzDecodeError.
func FuzzDecodeError(f *testing.F) {
	f.Add(401, uint8(0), []byte(`{"detail":"No active account found with the given credentials","code":"no_active_account"}`))
	f.Add(400, uint8(2), []byte(`{"tin":["Ensure this field has no more than 9 characters."]}`))
	f.Fuzz(func(t *testing.T, status int, op uint8, body []byte) {
		e := faulttest.FuzzedError(Name, status, op, body)
		decodeError(e)
		faulttest.CheckDecoded(t, e, body, providers.ErrInvalidCredentials, providers.ErrUnauthorized, providers.ErrValidation)
		if e.Err == providers.ErrInvalidCredentials && e.Operation != "login" {
			t.Fatalf("a %s answer made final", e.Operation)
		}
	})
}

// FuzzTokenAnswer sends any 200 answer to a login, and to a refresh,
// through the whole client: the result is a token that does not expire at
// once, or a bounded error that does not quote the answer.
// Seeds: testdata/fuzz/FuzzTokenAnswer.
func FuzzTokenAnswer(f *testing.F) {
	f.Add(false, []byte(`{"access":"a.b.c","access_expiry_seconds":3600,"refresh":"d.e.f","refresh_expiry_seconds":"86400"}`))
	f.Add(true, []byte(`{"new_access_token":"a.b.c","new_refresh_token":"d.e.f"}`))
	f.Fuzz(func(t *testing.T, refresh bool, body []byte) {
		clk := clock.NewFake(faulttest.Start)
		opts := []providers.Option{providers.WithTransport(faulttest.Answering(http.StatusOK, body)),
			providers.WithClock(clk), providers.WithLimiter(nil), faulttest.NoRetries}
		if refresh { // an expired access token with a live refresh token: the cache refreshes first
			opts = append(opts, providers.WithTokenCacheOptions(tokencache.WithToken(&auth.Token{AccessToken: "old",
				Expiry: clk.Now().Add(-time.Second), RefreshToken: "refresh-token", RefreshExpiry: clk.Now().Add(time.Hour)})))
		}
		c, err := New(Config{BaseURL: "https://api.example.com", Username: "fuzz", Password: "fuzz-password"}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		faulttest.Within(func(ctx context.Context) {
			tok, err := c.TokenSource().Token(ctx)
			faulttest.CheckTokenAnswer(t, tok, err, clk.Now(), body)
		})
	})
}
