package idenfy_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

type (
	idRow = faulttest.Row[*idenfytest.Server, idenfytest.Option, *idenfy.Client]
	idEnv = faulttest.Env[*idenfytest.Server, idenfytest.Option, *idenfy.Client]
)

// TestFaults is the fault matrix: each row a fault, against the fake
// iDenfy (behind a front that makes the faults its knobs cannot). Besides
// its own assertions every row checks that the error is typed, that no
// secret reaches the error or a log line and that no goroutine leaks.
//
// iDenfy has no login and no tokens: every call carries the key pair. The
// login faults of the other providers' matrices are here faults of the
// caller's request (Status, a read, so retried after a 5xx); the token
// rows (no exp, expired when issued, revoked refresh token) have nothing
// to act on, and clock skew is a row that shows nothing depends on the
// clock. A POST that mints a session is not retried after a 5xx.
func TestFaults(t *testing.T) {
	const status, kyb = idenfytest.PathStatus, idenfytest.PathKYBTokens
	var scanRef string // set by Start: the verification the caller reads
	persistent := func(code int) idRow {
		return idRow{
			Name:    "answers " + http.StatusText(code),
			Arrange: func(e *idEnv) { e.Fake.FailNext(status, 10, code, nil) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				faulttest.AssertProviderError(t, err, "status", code)
				assert.Equal(t, 4, e.Fake.Calls(status), "one attempt and three retries, no more")
			},
		}
	}
	rows := []idRow{
		persistent(http.StatusInternalServerError),
		{
			Name:    "answers 502 once",
			Arrange: func(e *idEnv) { e.Fake.FailNext(status, 1, http.StatusBadGateway, nil) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Calls(status))
			},
		},
		persistent(http.StatusGatewayTimeout),
		{
			Name:    "a POST that mints a session answers 502 (not retried)",
			Arrange: func(e *idEnv) { e.Fake.FailNext(kyb, 10, http.StatusBadGateway, nil) },
			Act: func(e *idEnv) error {
				_, err := e.Client.CreateKYBToken(context.Background(), validKYB())
				return err
			},
			Assert: func(t *testing.T, e *idEnv, err error) {
				faulttest.AssertProviderError(t, err, "create KYB token", http.StatusBadGateway)
				assert.Equal(t, 1, e.Fake.Calls(kyb), "a retry could mint a second session")
			},
		},
		{
			Name:    "hangs until the caller's deadline",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.Hang()) },
			Timeout: 150 * time.Millisecond,
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, 1, e.Front.Calls(status))
			},
		},
		{
			Name:    "connection reset before the answer (retried)",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.ResetBeforeAnswer()) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Front.Calls(status))
			},
		},
		idRow{
			Name:    "connection reset mid-body (status is idempotent: one more attempt)",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.ResetMidBody()) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err, "an answer cut off mid-body is attempted again")
				assert.Equal(t, 2, e.Front.Calls(status))
			},
		},
		recovering(status, "malformed JSON", faulttest.Answer(http.StatusOK, []byte(`{"status": APPROVED}`)), faulttest.KindDecode),
		recovering(status, "truncated JSON", faulttest.Truncate(), faulttest.KindDecode),
		{
			Name:    "10 MB error answer (64 KiB kept)",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.Huge(http.StatusBadRequest, 10<<20)) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				pe := faulttest.AssertProviderError(t, err, "status", http.StatusBadRequest)
				assert.Len(t, pe.Body, 64<<10)
				assert.Less(t, len(err.Error()), 300, "the error does not quote the answer")
				assert.Equal(t, 1, e.Front.Calls(status))
			},
		},
		{
			Name:    "answer over the 16 MiB cap",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.Huge(http.StatusOK, 17<<20)) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.Equal(t, faulttest.KindTooLarge, faulttest.Kind(err), "%v", err)
				assert.Less(t, len(err.Error()), 300)
			},
		},
		{
			Name:        "local clock 5 minutes ahead of the server",
			ClientAhead: 5 * time.Minute,
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err, "static credentials: nothing depends on the clock")
				assert.Equal(t, 1, e.Fake.Calls(status))
			},
		},
		{
			Name:    "429 with Retry-After",
			Arrange: func(e *idEnv) { e.Fake.RateLimitNext("", 1, "3") },
			Act: func(e *idEnv) error {
				err, waited := e.CallAdvancing(3 * time.Second)
				assert.True(e.T, waited, "waited for Retry-After on the clock")
				return err
			},
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Calls(status))
				assert.Equal(t, faulttest.Start.Add(3*time.Second), e.Clock.Now())
			},
		},
		{
			Name:    "429 without Retry-After (30 s pause, longer than the caller's deadline)",
			Arrange: func(e *idEnv) { e.Fake.RateLimitNext("", 1, "") },
			Act: func(e *idEnv) error {
				faulttest.AssertRateLimited(e.T, e.Call(), 30*time.Second)
				require.ErrorIs(e.T, e.Call(), providers.ErrRateLimited, "still cooling down: nothing sent")
				e.Advance(30 * time.Second)
				return e.Call()
			},
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Calls(status), "the 429 and the call after the pause")
			},
		},
		{
			Name: "wrong credentials (exactly one attempt)",
			NewClient: func(e *idEnv, base string, opts ...providers.Option) (*idenfy.Client, error) {
				cfg := e.Fake.Config()
				cfg.BaseURL, cfg.APISecret = base, "wrong-secret-4711"
				e.AddSecret(string(cfg.APISecret))
				return idenfy.New(cfg, opts...)
			},
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				faulttest.AssertProviderError(t, err, "status", http.StatusUnauthorized)
				assert.Equal(t, 1, e.Fake.Calls(status))
			},
		},
		{
			Name:    "401 on every call (no replay with static credentials)",
			Arrange: func(e *idEnv) { e.Fake.FailNext(status, 100, http.StatusUnauthorized, nil) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				assert.Equal(t, 1, e.Fake.Calls(status))
			},
		},
		{
			Name:    "redirect to another host",
			Arrange: func(e *idEnv) { e.Front.Next(status, 1, faulttest.RedirectTo(e.Other.URL)) },
			Assert: func(t *testing.T, e *idEnv, err error) {
				require.NoError(t, err, "the other host's answer is the caller's")
				assert.Equal(t, 1, e.Other.Requests())
				faulttest.AssertNoCredentials(t, e.Other)
			},
		},
	}
	faulttest.Run(t, faulttest.Suite[*idenfytest.Server, idenfytest.Option, *idenfy.Client]{
		Start: func(t *testing.T, clk *clock.Fake, opts ...idenfytest.Option) (*idenfytest.Server, string, func()) {
			srv := idenfytest.NewServer(append([]idenfytest.Option{idenfytest.WithClock(clk)}, opts...)...)
			c, err := idenfy.New(srv.Config(), providers.WithClock(clk))
			require.NoError(t, err)
			defer c.Close()
			v, err := c.CreateVerificationToken(context.Background(), idenfy.CreateVerificationTokenParams{ClientID: "client-42"})
			require.NoError(t, err)
			scanRef = v.ScanRef
			srv.ResetCounts()
			return srv, srv.URL, srv.Close
		},
		New: func(srv *idenfytest.Server, base string, opts ...providers.Option) (*idenfy.Client, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			return idenfy.New(cfg, opts...)
		},
		Call: func(ctx context.Context, c *idenfy.Client) error {
			_, err := c.Status(ctx, scanRef)
			return err
		},
		Secrets: func(*idenfytest.Server) []string { return []string{idenfytest.APIKey, idenfytest.APISecret} },
	}, rows)
}

// recovering is a fault that fails one request with a typed error of kind;
// the next request succeeds.
func recovering(path, name string, b faulttest.Behavior, kind string) idRow {
	return idRow{
		Name:    name,
		Arrange: func(e *idEnv) { e.Front.Next(path, 1, b) },
		Act: func(e *idEnv) error {
			err := e.Call()
			assert.Equal(e.T, kind, faulttest.Kind(err), "%v", err)
			faulttest.CheckError(e.T, err)
			return e.Call()
		},
		Assert: func(t *testing.T, e *idEnv, err error) {
			require.NoError(t, err)
			assert.Equal(t, 2, e.Front.Calls(path))
		},
	}
}
