package providers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// jwtServer is a back office on Django REST Framework + SimpleJWT, as
// seeds/compliancely and PROVIDERS.md describe it: POST /token/ logs in
// and answers {"access", "refresh"}; POST /token/refresh/ with {"refresh"}
// answers a new pair (ROTATE_REFRESH_TOKENS with the blacklist: the old
// refresh token is refused after), or 401 {"detail": "Token is invalid or
// expired", "code": "token_not_valid"}; a throttle counts every request
// as DRF's SimpleRateThrottle does (the timestamps of the last window, a
// request one window old still counted) and answers 429 with Retry-After.
type jwtServer struct {
	srv           *httptest.Server
	clk           *clock.Fake
	access, fresh time.Duration // lifetimes of access and refresh tokens
	throttle      *fakekit.Window

	mu      sync.Mutex
	expiry  map[string]time.Time // access and refresh tokens
	revoked map[string]bool
	n       int

	logins, refreshes, calls atomic.Int64
	expiredOnWire            atomic.Int64 // API calls that carried an expired access token
	expiredRefresh           atomic.Int64 // refreshes that carried an expired refresh token
	refreshAfterExpiry       atomic.Int64 // refreshes that came after the access token they replace expired
	throttled                atomic.Int64
	loginStatus              atomic.Int64 // non-zero: logins answer it
	loginsRefused            atomic.Int64 // logins answered with loginStatus
	loginRetryAfter          string
	next429                  atomic.Value // a Retry-After: the next API call draws a 429 with it
	lastAccessExpiry         atomic.Pointer[time.Time]
}

func newJWTServer(t *testing.T, clk *clock.Fake, access, fresh time.Duration, limit int, window time.Duration) *jwtServer {
	s := &jwtServer{clk: clk, access: access, fresh: fresh, expiry: map[string]time.Time{}, revoked: map[string]bool{}}
	if limit > 0 {
		s.throttle = fakekit.NewLimit(clk, fakekit.Limit{Limit: limit, Window: window, Mode: fakekit.SlidingBothEnds})
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwtServer) pair(now time.Time) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	a, r := "access-"+strconv.Itoa(s.n), "refresh-"+strconv.Itoa(s.n)
	s.expiry[a], s.expiry[r] = now.Add(s.access), now.Add(s.fresh)
	exp := now.Add(s.access)
	s.lastAccessExpiry.Store(&exp)
	return map[string]any{"access": a, "refresh": r}
}

func (s *jwtServer) handle(w http.ResponseWriter, r *http.Request) {
	now := s.clk.Now()
	if s.throttle != nil {
		if ok, wait := s.throttle.Allow("alice"); !ok {
			s.throttled.Add(1)
			w.Header().Set("Retry-After", fakekit.RetryAfterSeconds(wait))
			fakekit.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"detail": "Request was throttled."})
			return
		}
	}
	switch r.URL.Path {
	case "/token/":
		if st := s.loginStatus.Load(); st != 0 {
			s.loginsRefused.Add(1)
			if s.loginRetryAfter != "" {
				w.Header().Set("Retry-After", s.loginRetryAfter)
			}
			fakekit.WriteJSON(w, int(st), map[string]string{"detail": "Request was throttled."})
			return
		}
		s.logins.Add(1)
		fakekit.WriteJSON(w, http.StatusOK, s.pair(now))
	case "/token/refresh/":
		var in struct{ Refresh string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		exp, known := s.expiry[in.Refresh]
		revoked := s.revoked[in.Refresh]
		s.revoked[in.Refresh] = true // rotated: blacklisted once used
		s.mu.Unlock()
		if known && !now.Before(exp) {
			s.expiredRefresh.Add(1)
		}
		if !known || revoked || !now.Before(exp) {
			fakekit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Token is invalid or expired", "code": "token_not_valid"})
			return
		}
		if last := s.lastAccessExpiry.Load(); last != nil && !now.Before(*last) {
			s.refreshAfterExpiry.Add(1)
		}
		s.refreshes.Add(1)
		fakekit.WriteJSON(w, http.StatusOK, s.pair(now))
	default:
		if ra, _ := s.next429.Swap("").(string); ra != "" {
			s.throttled.Add(1)
			w.Header().Set("Retry-After", ra)
			fakekit.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"detail": "Request was throttled."})
			return
		}
		s.calls.Add(1)
		s.mu.Lock()
		exp, ok := s.expiry[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if !ok || !now.Before(exp) {
			s.expiredOnWire.Add(1)
			fakekit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Given token not valid for any token type", "code": "token_not_valid"})
			return
		}
		fakekit.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

func (s *jwtServer) spec(budgets ...ratelimit.Budget) providers.Spec {
	answer := func(ctx context.Context, snd *providers.Sender, path string, body any) (*auth.Token, error) {
		req, err := snd.NewRequest(ctx, http.MethodPost, path, body)
		if err != nil {
			return nil, err
		}
		var out struct{ Access, Refresh string }
		if err := snd.Do(req, "token", &out); err != nil {
			return nil, err
		}
		now := snd.Now() // SimpleJWT's tokens carry exp; these lifetimes are theirs
		return &auth.Token{AccessToken: out.Access, Expiry: now.Add(s.access),
			RefreshToken: out.Refresh, RefreshExpiry: now.Add(s.fresh)}, nil
	}
	return providers.Spec{Name: "fake", BaseURL: s.srv.URL, Account: "alice", Budgets: budgets,
		Login: func(ctx context.Context, snd *providers.Sender) (*auth.Token, error) {
			return answer(ctx, snd, "/token/", map[string]string{"username": "alice", "password": "pw"})
		},
		Refresh: func(ctx context.Context, snd *providers.Sender, rt string) (*auth.Token, error) {
			return answer(ctx, snd, "/token/refresh/", map[string]string{"refresh": rt})
		}}
}

// countingLimiter is the client's own WindowLimiter, counting the slots
// held from admission to answer (or given back), so that a test moves its
// fake clock only when no request holds a slot, as real time would not
// jump while one is on its way. It keeps every interface of the limiter.
type countingLimiter struct {
	*ratelimit.WindowLimiter
	busy atomic.Int64
}

func (l *countingLimiter) Wait(ctx context.Context, p ratelimit.Priority) error {
	_, _, err := l.Admit(ctx, p)
	return err
}

func (l *countingLimiter) Admit(ctx context.Context, p ratelimit.Priority) (time.Time, bool, error) {
	at, q, err := l.WindowLimiter.Admit(ctx, p)
	if err == nil {
		l.busy.Add(1)
	}
	return at, q, err
}

func (l *countingLimiter) Return(at time.Time) {
	l.WindowLimiter.Return(at)
	l.busy.Add(-1)
}

// load runs goroutines calling GET /api back to back, per calls each, with
// a deadline of dl (0: none) in real time, and moves clk to its next timer
// whenever no request holds a slot. It returns each call's error and its
// wait on clk.
func load(t *testing.T, clk *clock.Fake, conn *providers.Core, lim *countingLimiter, goroutines, per int, dl time.Duration) ([]error, []time.Duration) {
	t.Helper()
	var (
		mu       sync.Mutex
		errs     []error
		waits    []time.Duration
		finished atomic.Int64
	)
	for range goroutines {
		go func() {
			defer finished.Add(1)
			for range per {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if dl > 0 {
					ctx, cancel = context.WithTimeout(ctx, dl)
				}
				start := clk.Now()
				req, _ := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
				err := conn.Do(req, "read", nil)
				cancel()
				mu.Lock()
				errs, waits = append(errs, err), append(waits, clk.Now().Sub(start))
				mu.Unlock()
			}
		}()
	}
	cache := conn.TokenSource().(*tokencache.Cache)
	for stuck := 0; finished.Load() < int64(goroutines); stuck++ {
		require.Less(t, stuck, 200000, "time stood still for 20 s: %d busy", lim.busy.Load())
		// A refresh the soft window's timer started is on its way to the
		// budget: wait until it queues there.
		refreshing := cache.Refreshing() && lim.QueuedTokenCalls() == 0
		// Time moves by two seconds at most: the cache's soft-window timer is
		// an AfterFunc, which NextTimer does not see.
		next, ok := clk.NextTimer()
		switch {
		case ok && !refreshing && lim.busy.Load() == 0 && stuck > 10:
			clk.Set(minTime(next, clk.Now().Add(2*time.Second)))
			stuck = 0
		case ok && stuck > 5000:
			// Slots held for half a second of real time by requests that
			// wait for something else (a token whose refresh waits for a
			// slot): time moves on, as it would, by a second at most.
			clk.Set(minTime(next, clk.Now().Add(time.Second)))
			stuck = 0
		}
		time.Sleep(100 * time.Microsecond)
	}
	return errs, waits
}

// Rule: token calls never wait for a window API calls filled. 16
// goroutines back to back against 10 a minute, 20 s access tokens, a
// server that counts like DRF: no 401 reaches a caller, no expired token
// is sent, every refresh leaves before its token expired, no 429.
func TestRuleTokenCallsNeverWaitForAWindowAPICallsFilled(t *testing.T) {
	clk := clock.NewFake(t0)
	budget := ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}
	srv := newJWTServer(t, clk, 20*time.Second, 60*time.Second, budget.Limit, budget.Window)
	var lim *countingLimiter
	conn, err := providers.Build(srv.spec(budget), providers.WithClock(clk),
		providers.WithLimiters(func(b ratelimit.Budget) ratelimit.Limiter {
			lim = &countingLimiter{WindowLimiter: ratelimit.NewWindowLimiter(b, clk)}
			return lim
		}),
		providers.WithTrace(&providers.Trace{AttemptDone: func(context.Context, providers.AttemptResult) { lim.busy.Add(-1) }}))
	require.NoError(t, err)
	defer conn.Close()

	errs, _ := load(t, clk, conn, lim, 16, 2, 0)
	unauthorized := 0
	for _, err := range errs {
		if errors.Is(err, providers.ErrUnauthorized) {
			unauthorized++
		} else {
			assert.NoError(t, err)
		}
	}
	assert.Zero(t, unauthorized, "401s that reached callers")
	assert.Zero(t, srv.expiredOnWire.Load(), "expired access tokens on the wire")
	assert.Zero(t, srv.expiredRefresh.Load(), "expired refresh tokens on the wire")
	assert.Zero(t, srv.refreshAfterExpiry.Load(), "refreshes after their token expired")
	assert.Zero(t, srv.throttled.Load(), "429s drawn by the client's own pacing")
	assert.Greater(t, srv.refreshes.Load()+srv.logins.Load(), int64(2), "the run outlived several tokens")
}

// Rule: once requests queue, the budget is spread evenly: 16 goroutines
// back to back against KYConnect's 100 a minute, with 20 s deadlines, get
// no RateLimitError, and each waits about Span/Limit per request ahead.
func TestRuleOnceRequestsQueueTheWaitIsAboutASlotPerRequestAhead(t *testing.T) {
	clk := clock.NewFake(t0)
	budget := ratelimit.Budget{Name: "requests", Limit: 100, Window: time.Minute}
	srv := newJWTServer(t, clk, time.Hour, 24*time.Hour, budget.Limit, budget.Window)
	var lim *countingLimiter
	conn, err := providers.Build(srv.spec(budget), providers.WithClock(clk),
		providers.WithLimiters(func(b ratelimit.Budget) ratelimit.Limiter {
			lim = &countingLimiter{WindowLimiter: ratelimit.NewWindowLimiter(b, clk)}
			return lim
		}),
		providers.WithTrace(&providers.Trace{AttemptDone: func(context.Context, providers.AttemptResult) { lim.busy.Add(-1) }}))
	require.NoError(t, err)
	defer conn.Close()

	const goroutines = 16
	errs, waits := load(t, clk, conn, lim, goroutines, 20, 20*time.Second)
	for _, err := range errs {
		assert.NoError(t, err)
	}
	var longest, sum time.Duration
	steady := waits[len(waits)/2:]
	for _, w := range waits {
		longest = max(longest, w)
	}
	for _, w := range steady {
		sum += w
	}
	mean := sum / time.Duration(len(steady))
	assert.Less(t, longest, 20*time.Second)
	assert.InDelta(t, float64(goroutines*budget.Slot()), float64(mean), float64(goroutines*budget.Slot())/3, "mean wait %v", mean)
	assert.Zero(t, srv.throttled.Load())
}

// Rule: the refresh-or-login choice is made at send time, after every
// wait: an expired refresh token is never sent. The refresh starts with a
// valid refresh token, a 429's pause holds it past that token's expiry;
// it then logs in instead.
func TestRuleAnExpiredRefreshTokenIsNeverSent(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := newJWTServer(t, clk, 20*time.Second, 45*time.Second, 0, 0)
	conn, err := providers.Build(srv.spec(), providers.WithClock(clk))
	require.NoError(t, err)
	defer conn.Close()
	get := func(ctx context.Context) error {
		req, _ := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
		return conn.Do(req, "read", nil)
	}
	require.NoError(t, get(context.Background())) // logs in at t0
	// A 429 at t0+5 asks for 50 s: until t0+55, past the refresh token's
	// t0+45; the refresh, due at t0+10, waits for it.
	clk.Set(t0.Add(5 * time.Second))
	srv.next429.Store("50")
	late := async(func() (*http.Response, error) {
		req, _ := conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
		return conn.HTTPClient().Do(req)
	})
	stepSettle(clk, late)
	assert.Zero(t, srv.expiredRefresh.Load(), "expired refresh tokens sent")
	assert.EqualValues(t, 2, srv.logins.Load(), "logged in again instead")
	assert.Zero(t, srv.expiredOnWire.Load())
}

// Rule: a patient caller whose deadline outlasts the pause waits and
// succeeds, instead of getting the stale failure of a login abandoned by
// a caller who could not wait. With Compliancely's token rules too: a
// throttled login was not judged, so it is not the one attempt "surface
// the error and stop retrying" allows.
func TestRuleAPatientCallerWaitsOutAPauseAnImpatientOneAbandoned(t *testing.T) {
	for _, rules := range []providers.TokenRules{{}, {LoginAttempts: 1, RefreshAttempts: 1}} {
		t.Run(fmt.Sprintf("%+v", rules), func(t *testing.T) { patientCallerAfterAbandonedLogin(t, rules) })
	}
}

func patientCallerAfterAbandonedLogin(t *testing.T, rules providers.TokenRules) {
	clk := clock.NewFake(t0)
	srv := newJWTServer(t, clk, time.Hour, 24*time.Hour, 0, 0)
	srv.loginStatus.Store(http.StatusTooManyRequests)
	srv.loginRetryAfter = "60"
	spec := srv.spec()
	spec.TokenRules = rules
	conn, err := providers.Build(spec, providers.WithClock(clk))
	require.NoError(t, err)
	defer conn.Close()
	get := func(ctx context.Context) (*http.Response, error) {
		req, _ := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
		return conn.HTTPClient().Do(req)
	}
	short, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = get(short)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl, "%v", err)

	srv.loginStatus.Store(0) // the pause over, logins work
	long, cancel2 := context.WithTimeout(context.Background(), 75*time.Second)
	defer cancel2()
	res := settle(clk, async(func() (*http.Response, error) { return get(long) }))
	require.NoError(t, res[0].err)
	assert.Equal(t, http.StatusOK, res[0].status)
	assert.GreaterOrEqual(t, clk.Now().Sub(t0), 60*time.Second, "it waited out the pause")
}

// Rule: callers joined to a login the provider throttles wait out its
// pause when their deadlines allow, with Compliancely's token rules as
// without: one login after the pause, and every caller served.
func TestRuleCallersWaitOutAThrottledLogin(t *testing.T) {
	for _, rules := range []providers.TokenRules{{}, {LoginAttempts: 1, RefreshAttempts: 1}} {
		t.Run(fmt.Sprintf("%+v", rules), func(t *testing.T) {
			clk := clock.NewFake(t0)
			srv := newJWTServer(t, clk, time.Hour, 24*time.Hour, 0, 0)
			srv.loginStatus.Store(http.StatusTooManyRequests)
			srv.loginRetryAfter = "4"
			spec := srv.spec()
			spec.TokenRules = rules
			conn, err := providers.Build(spec, providers.WithClock(clk))
			require.NoError(t, err)
			defer conn.Close()
			var calls []<-chan result
			for range 8 {
				calls = append(calls, async(func() (*http.Response, error) {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					req, _ := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
					return conn.HTTPClient().Do(req)
				}))
			}
			require.Eventually(t, func() bool { return srv.loginsRefused.Load() == 1 }, 10*time.Second, time.Millisecond)
			srv.loginStatus.Store(0) // the next login, after the pause, works
			res := settle(clk, calls...)
			for _, r := range res {
				require.NoError(t, r.err)
				assert.Equal(t, http.StatusOK, r.status)
			}
			assert.EqualValues(t, 1, srv.logins.Load(), "one login, after the pause")
			assert.GreaterOrEqual(t, clk.Now().Sub(t0), 4*time.Second, "the pause was waited out")
		})
	}
}

// Rule: a RateLimitError matches context.DeadlineExceeded when a 429's
// pause outlasts the caller's deadline.
func TestRuleARateLimitPastTheDeadlineMatchesDeadlineExceeded(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After", "60"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := e.conn.NewRequest(ctx, http.MethodGet, "/api", nil)
	require.NoError(t, err)
	err = e.conn.Do(req, "read", nil)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// Rule: a budget wait is counted (Stats.BudgetWaits, the BudgetWait hook)
// only when the request really queued — on the real clock too.
func TestRuleABudgetWaitIsCountedOnlyWhenTheRequestQueued(t *testing.T) {
	f := newFake(t)
	var hook atomic.Int64
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: f.srv.URL, Account: "alice", Login: f.login,
		Budgets: []ratelimit.Budget{{Name: "requests", Limit: 100, Window: time.Minute}}},
		providers.WithTrace(&providers.Trace{BudgetWait: func(context.Context, providers.Wait) { hook.Add(1) }}))
	require.NoError(t, err)
	defer conn.Close()
	for range 5 {
		req, _ := conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
		require.NoError(t, conn.Do(req, "read", nil))
	}
	assert.Zero(t, conn.Stats().BudgetWaits, "an idle budget makes no one wait")
	assert.Zero(t, hook.Load())

	// A budget of one a second really makes the second request queue.
	g := newFake(t)
	conn2, err := providers.Build(providers.Spec{Name: "fake", BaseURL: g.srv.URL, Account: "alice", Login: g.login,
		Budgets: []ratelimit.Budget{{Name: "requests", Limit: 2, Window: 100 * time.Millisecond, Margin: -1}}})
	require.NoError(t, err)
	defer conn2.Close()
	for range 3 {
		req, _ := conn2.NewRequest(context.Background(), http.MethodGet, "/api", nil)
		require.NoError(t, conn2.Do(req, "read", nil))
	}
	assert.GreaterOrEqual(t, conn2.Stats().BudgetWaits, int64(1))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Rule: a pause ends with one probe, then the budget's even pace: a slot's
// time is its send time, so the requests held while the probe was out
// (its answer slow to come) do not leave in a burst when it is answered;
// never more than Limit in any Span as the server counts arrivals, and no
// two requests closer than Slot/2 in the first window after the pause.
func TestRuleAPauseEndsWithOneProbeThenTheEvenPace(t *testing.T) {
	budget := ratelimit.Budget{Name: "requests", Limit: 4, Window: 4 * time.Second}
	f := newFake(t)
	clk := clock.NewFake(t0)
	f.clk = clk
	var lim *countingLimiter
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: f.srv.URL, Account: "alice", Login: f.login,
		Budgets: []ratelimit.Budget{budget}},
		providers.WithClock(clk),
		providers.WithLimiters(func(b ratelimit.Budget) ratelimit.Limiter {
			lim = &countingLimiter{WindowLimiter: ratelimit.NewWindowLimiter(b, clk)}
			return lim
		}),
		providers.WithTrace(&providers.Trace{AttemptDone: func(context.Context, providers.AttemptResult) { lim.busy.Add(-1) }}),
		providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetries: 3, MaxRetryWait: time.Minute}))
	require.NoError(t, err)
	defer conn.Close()
	ok := func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"ok":true}`)) }
	slow := func(w http.ResponseWriter) { clk.Advance(3 * time.Second); ok(w) } // the probe's answer takes 3 s
	f.then(ok, ok, status(429, "Retry-After", "10"), slow)

	errs, _ := load(t, clk, conn, lim, 6, 2, 0)
	for _, err := range errs {
		require.NoError(t, err)
	}
	arr := f.arrivals()
	var ts []time.Time
	probe := -1
	for i, a := range arr {
		ts = append(ts, a.at)
		if probe < 0 && i > 0 && arr[i-1].status == http.StatusTooManyRequests {
			probe = i
		}
	}
	require.Positive(t, probe, "a 429 and a probe after it")
	assert.LessOrEqual(t, maxIn(ts, budget.Window), budget.Limit, "as the server counts arrivals (both ends)")
	for i := probe + 1; i < len(arr) && arr[i].at.Sub(arr[probe].at) <= budget.Span(); i++ {
		assert.GreaterOrEqual(t, arr[i].at.Sub(arr[i-1].at), budget.Slot()/2,
			"arrival %d came %v after the one before, in the first window after the pause", i, arr[i].at.Sub(arr[i-1].at))
	}
}

// maxIn is the most arrivals in any closed window of length w.
func maxIn(ts []time.Time, w time.Duration) int {
	best := 0
	for i := range ts {
		n := 0
		for j := range ts {
			if !ts[j].Before(ts[i]) && ts[j].Sub(ts[i]) <= w {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// stepSettle is settle with time moving by a second at most, as real time
// would: the cache's soft-window timer is an AfterFunc, which NextTimer
// does not see, and must fire when it is due.
func stepSettle(clk *clock.Fake, calls ...<-chan result) []result {
	out := make([]result, len(calls))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, c := range calls {
			out[i] = <-c
		}
	}()
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok {
			clk.Set(minTime(next, clk.Now().Add(time.Second)))
			time.Sleep(time.Millisecond) // let what the second woke run
		}
	}
	return out
}
