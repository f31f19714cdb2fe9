package faulttest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Probe is what the standard rows need to know of a provider that logs
// in: its paths as the front sees them, what its fake counts and the
// lifetime of the tokens the fake issues.
type Probe[F any, C Client] struct {
	Login    string                                        // login path
	API      string                                        // path of Suite.Call's request
	Logins   func(F) int                                   // successful logins the fake counted
	Token    func(context.Context, C) (*auth.Token, error) // the client's current token
	Lifetime time.Duration                                 // of the access tokens the fake issues
	// LoginOnce: the provider's rules allow one attempt per login
	// (Compliancely: "if re-authentication fails, surface the error and
	// stop retrying"); otherwise a login is retried three times.
	LoginOnce bool
}

// attempts is how many times one login is sent at most.
func (p Probe[F, C]) attempts() int {
	if p.LoginOnce {
		return 1
	}
	return 4
}

// Backoff is how long the token cache waits after a failed login before it
// tries again (its default first backoff).
const Backoff = time.Second

// injected is the body of the front's own error answers.
var injected = []byte(`{"detail":"injected fault","message":"injected fault"}`)

// LoginRows returns the rows that behave the same for every provider that
// logs in: 5xx at login (bounded retries), a hang, a reset mid-body,
// malformed, truncated and huge answers, a 429 with Retry-After, clock
// skew, and redirects to another host.
func LoginRows[F, O any, C Client](p Probe[F, C]) []Row[F, O, C] {
	type R = Row[F, O, C]
	type E = Env[F, O, C]
	persistent := func(status int) R {
		return R{
			Name:    "login answers " + http.StatusText(status),
			Arrange: func(e *E) { e.Front.Next(p.Login, 10, Answer(status, injected)) },
			Assert: func(t *testing.T, e *E, err error) {
				AssertProviderError(t, err, "login", status)
				assert.Equal(t, p.attempts(), e.Front.Calls(p.Login), "the provider's attempts, no more")
				assert.Zero(t, p.Logins(e.Fake))
				assert.Zero(t, e.Front.Calls(p.API), "no request without a token")
			},
		}
	}
	return []R{
		persistent(http.StatusInternalServerError),
		{
			Name:    "login answers 502 once",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, Answer(http.StatusBadGateway, injected)) },
			Assert: func(t *testing.T, e *E, err error) {
				if p.LoginOnce {
					AssertProviderError(t, err, "login", http.StatusBadGateway)
					assert.Equal(t, 1, e.Front.Calls(p.Login), "surfaced, not retried")
					assert.Zero(t, e.Front.Calls(p.API))
					return
				}
				require.NoError(t, err)
				assert.Equal(t, 2, e.Front.Calls(p.Login), "retried once")
				assert.Equal(t, 1, p.Logins(e.Fake))
				assert.Equal(t, 1, e.Front.Calls(p.API))
			},
		},
		persistent(http.StatusGatewayTimeout),
		{
			Name:    "login hangs until the caller's deadline",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, Hang()) },
			Timeout: 150 * time.Millisecond,
			Act: func(e *E) error {
				start := time.Now()
				err := e.Call()
				assert.Less(e.T, time.Since(start), 3*time.Second, "the caller left at its deadline")
				return err
			},
			Assert: func(t *testing.T, e *E, err error) {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, 1, e.Front.Calls(p.Login))
				assert.Zero(t, p.Logins(e.Fake))
				assert.Zero(t, e.Front.Calls(p.API))
			},
		},
		{
			Name:    "connection reset mid-body",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, ResetMidBody()) },
			Assert: func(t *testing.T, e *E, err error) {
				if p.LoginOnce {
					require.Equal(t, KindTransport, Kind(err), "%v", err)
					assert.Equal(t, 1, e.Front.Calls(p.Login), "surfaced, not retried")
					return
				}
				require.NoError(t, err, "a login answer cut off while read is asked for once more")
				assert.Equal(t, 2, e.Front.Calls(p.Login))
				assert.Equal(t, 1, p.Logins(e.Fake))
			},
		},
		recovering[F, O, C]("malformed JSON", p,
			Answer(http.StatusOK, []byte(`{"access_token": eyJhbGciOi, "token_type": "bearer"}`)), KindDecode, 1),
		recovering[F, O, C]("truncated JSON", p, Truncate(), KindDecode, 2),
		{
			Name:    "10 MB answer",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, Huge(http.StatusOK, 10<<20)) },
			Assert: func(t *testing.T, e *E, err error) {
				require.Equal(t, KindTooLarge, Kind(err), "%v", err)
				assert.Contains(t, err.Error(), "too large")
				assert.Less(t, len(err.Error()), 300, "the error does not quote the answer")
				assert.Equal(t, 1, e.Front.Calls(p.Login), "a capped read is not retried")
			},
		},
		{
			Name:    "429 on login with Retry-After, a caller that can wait",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, TooMany("7")) },
			Timeout: time.Minute, // longer than the pause: it waits
			Act: func(e *E) error {
				if p.LoginOnce {
					return e.Call()
				}
				err, waited := e.CallAdvancing(7 * time.Second)
				assert.True(e.T, waited, "the login waited for Retry-After on the clock")
				return err
			},
			Assert: func(t *testing.T, e *E, err error) {
				if p.LoginOnce {
					var rl *providers.RateLimitError
					require.ErrorAs(t, err, &rl, "the login's 429 surfaces")
					assert.Equal(t, 1, e.Front.Calls(p.Login))
					assert.Equal(t, Start, e.Clock.Now(), "nothing waited")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, 2, e.Front.Calls(p.Login), "one 429, then one login")
				assert.Equal(t, 1, p.Logins(e.Fake))
				assert.Equal(t, Start.Add(7*time.Second), e.Clock.Now(), "exactly the pause asked for")
			},
		},
		{
			Name:    "429 on login with Retry-After, a caller whose deadline is shorter",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, TooMany("60")) },
			Timeout: 5 * time.Second,
			Act: func(e *E) error {
				start := time.Now()
				err := e.Call()
				assert.Less(e.T, time.Since(start), 2*time.Second, "told at once, not at its deadline")
				return err
			},
			Assert: func(t *testing.T, e *E, err error) {
				var rl *providers.RateLimitError
				require.ErrorAs(t, err, &rl, "the login's 429 reaches the caller typed")
				assert.GreaterOrEqual(t, rl.RetryAfter, 60*time.Second)
				assert.Equal(t, 1, e.Front.Calls(p.Login))
				assert.Zero(t, e.Front.Calls(p.API))
			},
		},
		{
			Name:        "token already expired when issued (client clock ahead by twice the lifetime)",
			ClientAhead: 2 * p.Lifetime,
			Act: func(e *E) error {
				if err := e.Call(); err != nil {
					return err
				}
				tok, err := p.Token(context.Background(), e.Client)
				require.NoError(e.T, err)
				assert.True(e.T, tok.Expiry.After(e.ClientClock.Now()), "the expiry counts the token's lifetime from now")
				e.Advance(p.Lifetime / 2)
				return e.Call()
			},
			Assert: func(t *testing.T, e *E, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, p.Logins(e.Fake), "no login loop")
				assert.Zero(t, e.Front.Answered(p.API, http.StatusUnauthorized))
			},
		},
		{
			Name:        "local clock 5 minutes ahead of the server",
			ClientAhead: 5 * time.Minute,
			Act: func(e *E) error {
				for range 18 { // three lifetimes
					if err := e.Call(); err != nil {
						return err
					}
					e.Advance(p.Lifetime / 6)
				}
				return nil
			},
			Assert: func(t *testing.T, e *E, err error) {
				require.NoError(t, err)
				assert.Zero(t, e.Front.Answered(p.API, http.StatusUnauthorized), "never sent a token the server thinks expired")
				// The skew shortens each token's life on our clock, so a token
				// may be renewed earlier than its lifetime, but no more.
				assert.LessOrEqual(t, p.Logins(e.Fake), 7, "no login loop: at most two logins per lifetime")
			},
		},
		{
			Name:    "redirect to another host",
			Arrange: func(e *E) { e.Front.Next(p.API, 1, RedirectTo(e.Other.URL)) },
			Assert: func(t *testing.T, e *E, err error) {
				require.NoError(t, err, "the other host's answer is the caller's")
				assert.Equal(t, 1, e.Other.Requests())
				AssertNoCredentials(t, e.Other)
			},
		},
		{
			Name:    "login redirected to another host",
			Arrange: func(e *E) { e.Front.Next(p.Login, 1, RedirectTo(e.Other.URL)) },
			Assert: func(t *testing.T, e *E, err error) {
				AssertProviderError(t, err, "login", http.StatusTemporaryRedirect)
				assert.Zero(t, e.Other.Requests(), "token calls never follow redirects: the password stays home")
			},
		},
	}
}

// recovering is a login fault that fails the caller's request with a
// typed error of kind; after the token cache's backoff the next request
// logs in. logins is what the fake counts by then.
func recovering[F, O any, C Client](name string, p Probe[F, C], b Behavior, kind string, logins int) Row[F, O, C] {
	return Row[F, O, C]{
		Name:    name,
		Arrange: func(e *Env[F, O, C]) { e.Front.Next(p.Login, 1, b) },
		Act: func(e *Env[F, O, C]) error {
			err := e.Call()
			assert.Equal(e.T, kind, Kind(err), "%v", err)
			CheckError(e.T, err)
			e.Advance(Backoff)
			return e.Call()
		},
		Assert: func(t *testing.T, e *Env[F, O, C], err error) {
			require.NoError(t, err, "the next request after the backoff logs in")
			assert.Equal(t, 2, e.Front.Calls(p.Login))
			assert.Equal(t, logins, p.Logins(e.Fake))
		},
	}
}

// TooMany answers 429 with Retry-After retryAfter ("" for none).
func TooMany(retryAfter string) Behavior {
	return func(_ *Front, w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(injected)
	}
}

// AssertProviderError checks that err is the *providers.Error of
// operation with status.
func AssertProviderError(t testing.TB, err error, operation string, status int) *providers.Error {
	t.Helper()
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, status, pe.StatusCode)
	assert.Equal(t, operation, pe.Operation)
	return pe
}

// AssertRateLimited checks that err is a *providers.RateLimitError asking
// to wait retryAfter.
func AssertRateLimited(t testing.TB, err error, retryAfter time.Duration) {
	t.Helper()
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, retryAfter, rl.RetryAfter)
}

// AssertNoCredentials checks that the other host received no credential
// header.
func AssertNoCredentials(t testing.TB, o *Other) {
	t.Helper()
	for _, s := range o.Seen() {
		name, _, _ := strings.Cut(s, ":")
		switch strings.ToLower(name) {
		case "authorization", "x-api-key", "cookie":
			t.Errorf("another host received %s", name)
		}
	}
}
