//go:build integration

package integration

// Scenarios of issue #24 items 4 and 5 on Compliancely's DRF server: a 429
// met by callers with short and long deadlines, on a call and on the login
// (Compliancely's one login attempt included). They found two defects,
// fixed since: a throttled login surfaced at once to every patient caller,
// and after a pause the refresh and the probe left together.

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/providers"
)

// --- Compliancely: a 429 met by callers with short and long deadlines ------

func TestCompliancely429MetByShortAndLongDeadlines(t *testing.T) {
	t.Log("Rule: after a 429 a caller with a short deadline is told at once, callers with long deadlines wait out the pause and succeed; the pause ends with one probe, then the even pace")
	clShortAndLongDeadlines(t, clOnACall)
}

// Where the 429 of clShortAndLongDeadlines lands.
type clMeets int

const (
	clOnACall          clMeets = iota // a call of a client logged in before
	clOnTheLogin                      // the login every caller waits for
	clAfterAbandonment                // the login; the patient callers come after the short one gave up on it
)

// clShortAndLongDeadlines: a neighbour fills DRF's window; a caller of our
// service with a 1 s deadline meets the 429 and is told at once, eight
// callers with 20 s deadlines (two calls each) wait out the pause and
// succeed, after one probe, at the budget's even pace.
func clShortAndLongDeadlines(t *testing.T, meets clMeets) {
	s := compliancelyServer(t)
	const patient = 8
	var joined atomic.Int64
	var held sync.Once
	opts := []providers.Option{}
	if meets == clOnTheLogin {
		// The login leaves only once every caller waits for it (the trace
		// hooks tell), so that they all meet its 429.
		opts = append(opts, providers.WithTrace(&providers.Trace{
			FlightJoin: func(context.Context, context.Context) { joined.Add(1) },
			AttemptStart: func(ctx context.Context, a providers.Attempt) context.Context {
				if a.Kind == providers.CallLogin {
					held.Do(func() {
						for end := time.Now().Add(2 * time.Second); joined.Load() < patient+1 && time.Now().Before(end); {
							time.Sleep(5 * time.Millisecond)
						}
						time.Sleep(50 * time.Millisecond) // each joined caller has told its deadline
					})
				}
				return ctx
			},
		}))
	}
	c := newCompliancely(t, s, nil, opts...)
	if meets == clOnACall {
		require.NoError(t, clPingCall(ctxFor(t, 5*time.Second), c))
	}
	// A neighbour on the same IP (DRF's throttle keys by client IP), sending
	// without a budget, fills the window until DRF refuses it.
	nb := newCompliancely(t, s, func(cfg *compliancely.Config) { cfg.Username, cfg.Password = "bob", "builder-2" }, noBudget())
	for i := 0; ; i++ {
		short, cancel := context.WithTimeout(context.Background(), time.Second)
		err := clPingCall(short, nb)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, providers.ErrRateLimited, "the neighbour's call %d", i)
			break
		}
		require.Less(t, i, 2*clLimit, "no 429 after %d calls", i)
	}
	require.NoError(t, nb.Close()) // no refresh of its own among our requests
	mark := len(s.log(t).Arrivals)

	took, errs := shortThenPatient(t, func(ctx context.Context) error { return clPingCall(ctx, c) }, patient,
		meets == clOnTheLogin, &joined)
	require.NoError(t, c.Close())

	l := s.log(t)
	require.Greater(t, len(l.Arrivals), mark+1, "our calls: %v", s.counts(t))
	met := l.Arrivals[mark] // what the short caller sent
	assert.Equal(t, http.StatusTooManyRequests, met.Status, "the short caller met the 429")
	ours := serverLog{Arrivals: l.Arrivals[mark+1:]} // from the probe on
	probe := ours.Arrivals[0]
	if meets != clOnACall {
		assert.Equal(t, clLogin, probe.Path, "the probe is the login")
	} // on a call, the probe may be the refresh the 4 s token needs by then
	assert.Equal(t, http.StatusOK, probe.Status, "the probe is answered")
	assert.GreaterOrEqual(t, probe.at().Sub(met.at()), clPenalty, "nothing sent before Retry-After ended")
	assertEvenPaceAfter(t, ours, probe, budgetOf("requests", clLimit, clWindow))
	f := figures{expired: l.expired(), throttled: ours.status(http.StatusTooManyRequests),
		mostCounted: l.MostInWindow, mostArrived: ours.mostIn(clWindow), limit: clLimit}
	f.unauthorized = countUnauthorized(errs)
	t.Logf("figures (from the probe on): %v; the short caller told after %v", f, took.Round(time.Millisecond))
	assert.Zero(t, f.expired, "expired tokens on the wire")
	assert.Zero(t, f.throttled, "429s drawn after the pause")
	assert.LessOrEqual(t, f.mostCounted, f.limit, "most requests in DRF's window, as its throttle counted (the neighbour's included)")
	assert.LessOrEqual(t, f.mostArrived, f.limit, "most of our arrivals in any window after the pause")
	assert.Equal(t, 2*patient, ours.n("GET", clPing, 200), "every patient call answered once")
}

func TestCompliancelyLogin429MetByShortAndLongDeadlines(t *testing.T) {
	t.Log("Rule: callers with short and long deadlines wait for one login that DRF answers 429: the short one is told at once, the long ones wait out the pause and succeed")
	clShortAndLongDeadlines(t, clOnTheLogin)
}

func TestCompliancelyLogin429PatientCallersAfterAnAbandonedLogin(t *testing.T) {
	t.Log("Rule: a caller whose deadline outlasts a 429's pause waits and succeeds, even after a caller with a shorter deadline abandoned the login")
	clShortAndLongDeadlines(t, clAfterAbandonment)
}
