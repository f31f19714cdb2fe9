package genericjwt

import (
	"context"
	"net/http"
	"testing"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

// FuzzDecodeError feeds the FastAPI error decoder any body: it must not
// panic, must leave the body alone, must keep Error() one bounded
// printable line and may only set the sentinels it documents.
// Seeds: testdata/fuzz/FuzzDecodeError.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, uint8(0), []byte(`{"detail":"LOGIN_BAD_CREDENTIALS"}`))
	f.Add(422, uint8(0), []byte(`{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":"x"}]}`))
	f.Fuzz(func(t *testing.T, status int, op uint8, body []byte) {
		e := faulttest.FuzzedError(Name, status, op, body)
		decodeError(e)
		faulttest.CheckDecoded(t, e, body, providers.ErrInvalidCredentials, ErrUserNotVerified)
	})
}

// FuzzTokenAnswer sends any 200 answer to a login, through the whole
// client: the result is a token that does not expire at once, or a
// bounded error that does not quote the answer.
// Seeds: testdata/fuzz/FuzzTokenAnswer.
func FuzzTokenAnswer(f *testing.F) {
	f.Add([]byte(`{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NzI0Mzg0MDB9.c2ln","token_type":"bearer"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		clk := clock.NewFake(faulttest.Start)
		c, err := New(Config{BaseURL: "https://kyc.example.com", Username: "fuzz", Password: "fuzz-password"},
			providers.WithTransport(faulttest.Answering(http.StatusOK, body)), providers.WithClock(clk), faulttest.NoRetries)
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
