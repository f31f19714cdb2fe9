package providers_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// Rule: a 401 drops exactly the refused token and replays the request
// once, body intact, with a new one.
func TestA401ReplaysOnceWithTheBodyIntact(t *testing.T) {
	e := setup(t)
	e.fake.then(status(401))
	resp, err := e.post(context.Background(), t, "")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, e.fake.auths)
	assert.Equal(t, []string{`{"n":1}`, `{"n":1}`}, e.fake.bodies)
	st := e.conn.Stats()
	assert.EqualValues(t, 1, st.Replays)
	assert.EqualValues(t, 1, st.Invalidations)
}

// Rule: a token minted for the replay and refused again means the account
// is refused: the 401 is returned, and 50 more calls within the backoff
// start no new login and send nothing (the refused token is never sent
// again): each gets the 401 as an error at once.
func TestAlways401CostsAtMostTwoLogins(t *testing.T) {
	e := setup(t)
	e.fake.always = status(401)
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err, "a final 401 is a response")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.ErrorIs(t, e.conn.CheckResponse(resp), providers.ErrUnauthorized)
	for range 50 {
		_, err := e.get(context.Background(), t)
		require.ErrorIs(t, err, providers.ErrUnauthorized, "refused at once while the account is refused")
	}
	assert.LessOrEqual(t, e.fake.logins.Load(), int64(2))
	assert.EqualValues(t, 2, e.fake.calls.Load(), "one replay, then nothing sent within the backoff")

	// After the backoff, one more login tells whether the account is back.
	e.clk.Advance(time.Second)
	resp, err = e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 3, e.fake.logins.Load())
	assert.EqualValues(t, 3, e.fake.calls.Load(), "still refused: the new token is not replayed")
}

// Rule: the backoff of a refused account resets on success: a second
// refusal after the account came back waits the least backoff again, not
// a doubled one.
func TestRefusedAccountBackoffResetsOnSuccess(t *testing.T) {
	e := setup(t)
	e.fake.always = status(401)
	resp, err := e.get(context.Background(), t) // tok-1, replayed with tok-2: refused
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 2, e.fake.logins.Load())

	e.clk.Advance(time.Second) // the least backoff
	e.fake.always = nil
	resp, err = e.get(context.Background(), t) // tok-3: accepted
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	e.fake.always = status(401)
	resp, err = e.get(context.Background(), t) // tok-3, replayed with tok-4: refused again
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 4, e.fake.logins.Load())

	e.clk.Advance(time.Second) // the least backoff again: the success reset it
	e.fake.always = nil
	resp, err = e.get(context.Background(), t)
	require.NoError(t, err, "the backoff after a success starts from its least")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 5, e.fake.logins.Load())
	sent := 0
	for _, a := range e.fake.authsSeen() {
		if a == "Bearer tok-4" {
			sent++
		}
	}
	assert.Equal(t, 1, sent, "the refused tok-4 is never sent again")
}

// Rule: one revocation does not refuse the account. A session revoked
// while a refresh minted the next token: the replay carries a token
// obtained before the refusal was seen, which is refused too; that is no
// proof the account is refused, so the client drops it and logs in, and
// the call succeeds. No token is sent after it was refused.
func TestOneRevocationDoesNotRefuseTheAccount(t *testing.T) {
	e := setup(t)
	resp, err := e.get(context.Background(), t) // tok-1
	require.NoError(t, err)
	resp.Body.Close()

	// A call leaves with tok-1; while the server holds it, a refresh mints
	// tok-2 (the user drops tok-1, as a soft-window refresh would replace
	// it), and then the session is revoked: tok-1 and tok-2 are refused.
	arrived, release := make(chan struct{}), make(chan struct{})
	var revoked atomic.Bool
	e.fake.then(func(w http.ResponseWriter) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusUnauthorized)
	})
	e.fake.always = func(w http.ResponseWriter) {
		if revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}
	done := make(chan error, 1)
	go func() {
		resp, err := e.get(context.Background(), t)
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = e.conn.CheckResponse(resp)
			}
		}
		done <- err
	}()
	<-arrived
	src := e.conn.TokenSource()
	old, err := src.Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, "tok-1", old.AccessToken)
	src.Invalidate(old)
	fresh, err := src.Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, "tok-2", fresh.AccessToken, "minted before the revocation")
	revoked.Store(true)
	e.fake.always = func(w http.ResponseWriter) {
		if r := e.fake.lastAuth(); r == "Bearer tok-1" || r == "Bearer tok-2" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}
	close(release)
	require.NoError(t, <-done, "one revocation is not a refused account")

	for range 5 {
		resp, err := e.get(context.Background(), t)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	auths := e.fake.authsSeen()
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}, auths[:4])
	for _, a := range auths[4:] {
		assert.Equal(t, "Bearer tok-3", a, "a refused token is never sent again")
	}
	assert.EqualValues(t, 3, e.fake.logins.Load())
}

// Rule: a body that cannot be replayed is sent once; the 401 is returned.
func TestA401WithAStreamedBodyIsNotReplayed(t *testing.T) {
	e := setup(t)
	e.fake.then(status(401))
	req, err := http.NewRequest(http.MethodPost, e.fake.srv.URL+"/api", readerOnly{strings.NewReader("stream")})
	require.NoError(t, err)
	resp, err := e.conn.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 1, e.fake.calls.Load())
	assert.EqualValues(t, 1, e.conn.Stats().Invalidations, "the next request gets a new token")
}

type readerOnly struct{ r *strings.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// Rule: a 401 about a token carried in the body (Compliancely's validate,
// iComply's tokenvalid) is an answer about that token: the client's own
// token stays, nothing is replayed.
func TestA401AboutATokenInTheBodyIsAnAnswer(t *testing.T) {
	e := setup(t)
	warm, err := e.get(context.Background(), t)
	require.NoError(t, err)
	warm.Body.Close()
	e.fake.then(status(401))
	req, err := e.conn.NewRequest(context.Background(), http.MethodPost, "/api", map[string]string{"token": "someone-else"})
	require.NoError(t, err)
	err = e.conn.Do(providers.TokenInBody(req), "validate", nil)
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	assert.EqualValues(t, 2, e.fake.calls.Load(), "one request for the check")
	assert.EqualValues(t, 1, e.fake.logins.Load())
	assert.Zero(t, e.conn.Stats().Invalidations)
}

// Rule: when a cool-down ends, one request goes first; the others follow
// once it was answered. 50 callers against a provider that answers 429
// (Retry-After: 1) three times send one request at each pause's end.
func TestCoolDownEndsWithOneProbeNotAHerd(t *testing.T) {
	e := setup(t)
	warm, err := e.get(context.Background(), t)
	require.NoError(t, err)
	warm.Body.Close()
	tooMany := status(429, "Retry-After", "1")
	e.fake.then(tooMany, tooMany, tooMany)

	calls := []<-chan result{e.getAsync(context.Background(), t)} // meets the first 429
	e.parked(t)
	for range 49 {
		calls = append(calls, e.getAsync(context.Background(), t))
	}
	require.True(t, e.clk.WaitForTimers(50, nil), "all 50 wait out the pause")
	for _, r := range settle(e.clk, calls...) {
		assert.Equal(t, result{status: 200}, r)
	}
	// 1 warm-up + the first 429 + one probe at each pause's end (two more
	// 429s, then the one answered 200) + the 49 that followed it.
	assert.EqualValues(t, 1+1+3+49, e.fake.calls.Load())
	assert.EqualValues(t, 3, e.conn.Stats().RateLimited)
	// Each pause ended with one request alone: the 429s came at three
	// times, each at least the pause after the one before, and the 49 left
	// only after the last pause ended. (The fake stamps arrivals on the
	// clock the pump moves, so a stamp may be late, never early.)
	var limited []time.Time
	var lastProbe time.Time
	for _, a := range e.fake.arrivals()[1:] {
		if a.status == http.StatusTooManyRequests {
			limited = append(limited, a.at)
		}
	}
	require.Len(t, limited, 3)
	assert.GreaterOrEqual(t, limited[1].Sub(limited[0]), time.Second, "the first pause's probe")
	assert.GreaterOrEqual(t, limited[2].Sub(limited[1]), time.Second, "the second pause's probe")
	lastProbe = limited[2].Add(time.Second)
	for _, a := range e.fake.arrivals()[1:] {
		if a.status == http.StatusOK {
			assert.False(t, a.at.Before(lastProbe), "a request left at %s, before the last pause's probe at %s", a.at, lastProbe)
		}
	}
}

// Rule: NestJS named throttlers send Retry-After-<name> and no plain
// Retry-After; it is honoured.
func TestNamedRetryAfterIsHonoured(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After-Login", "60"))
	done := e.getAsync(context.Background(), t)
	next := e.parked(t)
	assert.Equal(t, t0.Add(60*time.Second), next)
	e.clk.Set(next)
	require.NoError(t, (<-done).err)
}

// Rule: a 503 with Retry-After pauses on the clock for what it asked,
// once, instead of a fast backoff.
func TestA503WithRetryAfterPausesOnTheClock(t *testing.T) {
	e := setup(t)
	e.fake.then(status(503, "Retry-After", "1"))
	done := e.getAsync(context.Background(), t)
	next := e.parked(t)
	assert.Equal(t, t0.Add(time.Second), next)
	assert.EqualValues(t, 1, e.fake.calls.Load(), "no retry before the pause ends")
	e.clk.Set(next)
	require.NoError(t, (<-done).err)
	assert.EqualValues(t, 2, e.fake.calls.Load())
}

// Rule: an idempotent typed call whose answer breaks off mid-body is one
// more attempt, like a reset before the headers.
func TestAnAnswerCutOffMidBodyIsAttemptedAgain(t *testing.T) {
	e := setup(t)
	e.fake.then(func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte(`{"ok":`))
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
	})
	req, err := e.conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
	require.NoError(t, err)
	var out struct{ OK bool }
	require.NoError(t, e.conn.Do(req, "read", &out))
	assert.True(t, out.OK)
	assert.EqualValues(t, 2, e.fake.calls.Load())
}

// Rule: Close releases every request waiting out a pause, with ErrClosed.
func TestCloseReleasesRequestsInACoolDown(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After", "600"))
	errs := make(chan error, 5)
	read := func() {
		req, _ := e.conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
		errs <- e.conn.Do(req, "read", nil)
	}
	go read() // meets the 429
	require.True(t, e.clk.WaitForTimers(1, nil))
	for range 4 {
		go read()
	}
	require.True(t, e.clk.WaitForTimers(5, nil))
	require.NoError(t, e.conn.Close())
	for range 5 {
		select {
		case err := <-errs:
			assert.True(t, errors.Is(err, providers.ErrClosed), "%v", err)
		case <-time.After(2 * time.Second):
			t.Fatal("a waiter stayed behind after Close")
		}
	}
}

// tokenServer answers logins with tokens that live life on clk, and
// counts the API requests that carried an expired one.
type tokenServer struct {
	srv           *httptest.Server
	clk           *clock.Fake
	life          time.Duration
	mu            sync.Mutex
	expiry        map[string]time.Time
	logins, calls atomic.Int64
	expired       atomic.Int64
	loginStatus   atomic.Int64 // non-zero: logins answer it
	retryAfter    string
}

func newTokenServer(t *testing.T, clk *clock.Fake, life time.Duration) *tokenServer {
	ts := &tokenServer{clk: clk, life: life, expiry: map[string]time.Time{}}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := clk.Now()
		if r.URL.Path == "/login" {
			if st := ts.loginStatus.Load(); st != 0 {
				if ts.retryAfter != "" {
					w.Header().Set("Retry-After-Login", ts.retryAfter)
				}
				w.WriteHeader(int(st))
				return
			}
			n := ts.logins.Add(1)
			tok := "tok-" + string(rune('a'+n%26)) + time.Duration(n).String()
			ts.mu.Lock()
			ts.expiry[tok] = now.Add(life)
			ts.mu.Unlock()
			_, _ = w.Write([]byte(`{"token":"` + tok + `"}`))
			return
		}
		ts.calls.Add(1)
		ts.mu.Lock()
		exp, ok := ts.expiry[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		ts.mu.Unlock()
		if !ok || !now.Before(exp) {
			ts.expired.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) spec() providers.Spec {
	return providers.Spec{Name: "fake", BaseURL: ts.srv.URL, Account: "alice",
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			req, err := s.NewRequest(ctx, http.MethodPost, "/login", nil)
			if err != nil {
				return nil, err
			}
			var out struct{ Token string }
			if err := s.Do(req, "login", &out); err != nil {
				return nil, err
			}
			return &auth.Token{AccessToken: out.Token, Expiry: s.Expiry(out.Token, ts.life, 0)}, nil
		}}
}

// Rule: under a 10-a-minute budget, 16 goroutines and tokens that live
// 2 minutes, no request leaves with an expired token: the soft window's
// timer starts the refresh, and it waits ahead of the queued calls.
func TestNoRequestLeavesWithAnExpiredToken(t *testing.T) {
	clk := clock.NewFake(t0)
	ts := newTokenServer(t, clk, 2*time.Minute)
	lim := ratelimit.NewWindowLimiter(tenAMinute, clk)
	// busy counts attempts from their budget slot to their answer: the
	// stretch in which an attempt holds a token. The clock moves only when
	// none does, as real time would not jump while a request is on its way.
	var busy atomic.Int64
	admit := limiterFunc(func(ctx context.Context, p ratelimit.Priority) error {
		err := lim.Wait(ctx, p)
		if err == nil {
			busy.Add(1)
		}
		return err
	})
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		defer busy.Add(-1)
		return http.DefaultTransport.RoundTrip(r)
	})
	var wire atomic.Int64 // attempts from their token's attaching to their answer
	trace := &providers.Trace{
		AttemptStart: func(ctx context.Context, _ providers.Attempt) context.Context { wire.Add(1); return ctx },
		AttemptDone:  func(context.Context, providers.AttemptResult) { wire.Add(-1) },
	}
	conn, err := providers.Build(ts.spec(), providers.WithClock(clk), providers.WithLimiter(admit),
		providers.WithTransport(counting), providers.WithTrace(trace))
	require.NoError(t, err)
	defer conn.Close()

	const goroutines = 16
	var finished atomic.Int64
	for range goroutines {
		go func() {
			defer finished.Add(1)
			for range 5 {
				req, _ := conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
				assert.NoError(t, conn.Do(req, "read", nil))
			}
		}()
	}
	cache := conn.TokenSource().(*tokencache.Cache) // Refreshing, Waiting: diagnostics the user view leaves out
	for stuck := 0; finished.Load() < goroutines; stuck++ {
		require.Less(t, stuck, 100000, "time stood still for 10 s: %d busy, %d on the wire", busy.Load(), wire.Load())
		// A refresh the soft window's timer started is on its way to the
		// budget: wait until it queues there.
		refreshing := cache.Refreshing() && lim.QueuedTokenCalls() == 0
		next, ok := clk.NextTimer()
		switch {
		case !ok || refreshing:
		case busy.Load() == 0:
			clk.Set(next) // no attempt holds a slot: to the next timer
			stuck = 0
		case stuck > 200 && wire.Load() == 0 && lim.QueuedTokenCalls() > 0 && cache.Waiting() > 0:
			// Attempts hold slots and wait for a token whose refresh waits
			// for a slot (an attempt merely slow to run is no reason): time moves, as it would for real, but by a
			// second at most, far inside the 10 s hard window, so that an
			// attempt that just took its token still leaves with it valid.
			if step := clk.Now().Add(time.Second); next.After(step) {
				next = step
			}
			clk.Set(next)
			stuck = 0
		}
		time.Sleep(100 * time.Microsecond)
	}
	assert.EqualValues(t, 80, ts.calls.Load())
	assert.Zero(t, ts.expired.Load(), "requests that left with an expired token")
	assert.Greater(t, ts.logins.Load(), int64(1), "the run outlived several tokens")
	assert.Greater(t, clk.Now().Sub(t0), 6*time.Minute)
}

// Rule: a login's 429 reaches a waiting caller whose deadline is shorter
// than the pause as a *RateLimitError, at once; the login then retries
// when the pause ends.
func TestALogin429ReachesAShortDeadlineCallerAtOnce(t *testing.T) {
	clk := clock.NewFake(t0)
	ts := newTokenServer(t, clk, time.Hour)
	ts.loginStatus.Store(http.StatusTooManyRequests)
	ts.retryAfter = "60"
	conn, err := providers.Build(ts.spec(), providers.WithClock(clk))
	require.NoError(t, err)
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	req, _ := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
	err = conn.Do(req, "read", nil)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl, "%v", err)
	assert.Equal(t, 60*time.Second, rl.RetryAfter)
	assert.Less(t, time.Since(start), 2*time.Second, "told at once, not at its deadline")
	assert.Zero(t, ts.calls.Load())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type limiterFunc func(context.Context, ratelimit.Priority) error

func (f limiterFunc) Wait(ctx context.Context, p ratelimit.Priority) error { return f(ctx, p) }
