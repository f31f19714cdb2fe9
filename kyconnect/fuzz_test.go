package kyconnect

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// FuzzDecodeError feeds the NestJS error decoder any body: it must not
// panic, must leave the body alone, must keep Error() one bounded
// printable line, may only set the sentinels it documents, and may call
// credentials invalid (final) only at login.
// Seeds: testdata/fuzz/FuzzDecodeError.
func FuzzDecodeError(f *testing.F) {
	f.Add(401, uint8(0), []byte(`{"statusCode":401,"message":"Invalid MFA code","error":"Unauthorized"}`))
	f.Add(400, uint8(2), []byte(`{"statusCode":400,"message":["email must be an email"],"error":"Bad Request"}`))
	f.Fuzz(func(t *testing.T, status int, op uint8, body []byte) {
		e := faulttest.FuzzedError(Name, status, op, body)
		decodeError(e)
		faulttest.CheckDecoded(t, e, body, ErrMFARequired, ErrInvalidMFACode, providers.ErrInvalidCredentials,
			providers.ErrValidation, ErrForbidden, ErrConflict, ErrServer, ErrBusinessRule)
		if errors.Is(e, providers.ErrInvalidCredentials) && e.Operation != opLogin {
			t.Fatalf("a %s answer made final", e.Operation)
		}
	})
}

// FuzzTokenAnswer sends any 2xx answer to a login, and to a refresh,
// through the whole client: the result is a token that does not expire at
// once, or a bounded error that does not quote the answer.
// Seeds: testdata/fuzz/FuzzTokenAnswer.
func FuzzTokenAnswer(f *testing.F) {
	f.Add(false, []byte(`{"access_token":"a.b.c","refresh_token":"d.e.f","expires_in":900}`))
	f.Add(true, []byte(`{"accessToken":"a.b.c","refreshToken":"d.e.f"}`))
	f.Fuzz(func(t *testing.T, refresh bool, body []byte) {
		clk := clock.NewFake(faulttest.Start)
		opts := []providers.Option{providers.WithTransport(faulttest.Answering(http.StatusCreated, body)),
			providers.WithClock(clk), providers.WithLimiter(nil), providers.WithLoginLimiter(nil), faulttest.NoRetries}
		if refresh {
			opts = append(opts, providers.WithTokenCacheOptions(tokencache.WithToken(&auth.Token{AccessToken: "old",
				Expiry: clk.Now().Add(-time.Second), RefreshToken: "refresh-token", RefreshExpiry: clk.Now().Add(time.Hour)})))
		}
		c, err := New(Config{BaseURL: "https://api.example.com/api/v1", Email: "fuzz@example.com", Password: "fuzz-password"}, opts...)
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
