package providers_test

import (
	"context"
	"encoding/json"
	"log"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// budgetClient is a client with a static key and budget b for a scripted
// fake, logging into log (nil: no WithLogger). clk nil: the real clock.
func budgetClient(t *testing.T, b ratelimit.Budget, clk clock.Clock, log *leakcheck.Log, opts ...providers.Option) *env {
	t.Helper()
	f := newFake(t)
	base := []providers.Option{
		providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})}
	if log != nil {
		base = append(base, providers.WithLogger(log.Logger()))
	}
	if clk != nil {
		base = append(base, providers.WithClock(clk))
	}
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: f.srv.URL,
		Credential: auth.APIKey("X-API-Key", "k"), Budgets: []ratelimit.Budget{b}}, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	e := &env{fake: f, conn: conn}
	if fc, ok := clk.(*clock.Fake); ok {
		e.clk = fc
	}
	return e
}

// waits returns the records of long waits the client logged.
func waits(t *testing.T, log *leakcheck.Log) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "unikyc: a request will wait" {
			out = append(out, rec)
		}
	}
	return out
}

func getOK(t *testing.T, e *env) {
	t.Helper()
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	_ = resp.Body.Close()
}

// Rule: a request that will wait longer than the threshold (default 5 s)
// for a slot of a budget is logged once, at Warn, with provider=, the
// reason, the budget and the wait; Budgets reports the budget's live state
// while it waits.
func TestALongBudgetWaitIsLoggedOnceAndBudgetsShowsIt(t *testing.T) {
	clk := clock.NewFake(t0)
	var log leakcheck.Log
	e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 2, Window: time.Minute}, clk, &log)

	b := e.conn.Budgets()
	require.Len(t, b, 1)
	assert.Equal(t, providers.BudgetState{Budget: ratelimit.Budget{Name: "requests", Limit: 2, Window: time.Minute},
		Live: true, Remaining: 2, NextFree: t0}, b[0], "nothing sent yet")

	getOK(t, e)
	getOK(t, e)
	b = e.conn.Budgets()
	assert.Equal(t, 0, b[0].Remaining)
	assert.Equal(t, t0.Add(61*time.Second), b[0].NextFree, "the first slot frees a span (60 s + 1 s margin) after it was taken")
	assert.Empty(t, waits(t, &log), "no request waited")

	third := e.getAsync(context.Background(), t)
	waitForTimers(t, clk, 1)
	b = e.conn.Budgets()
	assert.Equal(t, 1, b[0].Queued, "the third request queues")
	w := waits(t, &log)
	require.Len(t, w, 1, "logged once, when the wait begins: %s", log.String())
	assert.Equal(t, "WARN", w[0]["level"])
	assert.Equal(t, "fake", w[0]["provider"])
	assert.Equal(t, "budget", w[0]["reason"])
	assert.Equal(t, "requests", w[0]["budget"])
	assert.Equal(t, float64(61*time.Second), w[0]["wait"], "the wait, in ns as slog JSON writes durations")
	r := settle(clk, third)
	require.NoError(t, r[0].err)
	assert.Len(t, waits(t, &log), 1, "still one record after the wait")
}

// Rule: a wait shorter than the threshold is not logged; WithWaitWarning
// moves the threshold.
func TestAShortBudgetWaitIsNotLogged(t *testing.T) {
	clk := clock.NewFake(t0)
	var log leakcheck.Log
	e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}, clk, &log,
		providers.WithWaitWarning(2*time.Minute))
	getOK(t, e)
	r := settle(clk, e.getAsync(context.Background(), t))
	require.NoError(t, r[0].err)
	assert.Empty(t, waits(t, &log), "61 s is under the 2 min threshold")
}

// Rule: a request that will wait out a pause (a 429's Retry-After) longer
// than the threshold is logged once with reason pause; Budgets shows when
// the pause ends.
func TestALongPauseIsLoggedAndBudgetsShowsItsEnd(t *testing.T) {
	clk := clock.NewFake(t0)
	var log leakcheck.Log
	e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 100, Window: time.Minute}, clk, &log)
	e.fake.then(status(http.StatusTooManyRequests, "Retry-After", "30"))
	call := e.getAsync(context.Background(), t)
	waitForTimers(t, clk, 1)
	b := e.conn.Budgets()
	assert.Equal(t, t0.Add(30*time.Second), b[0].PausedUntil)
	w := waits(t, &log)
	require.Len(t, w, 1, log.String())
	assert.Equal(t, "pause", w[0]["reason"])
	assert.Equal(t, "fake", w[0]["provider"])
	assert.Equal(t, float64(30*time.Second), w[0]["wait"])
	r := settle(clk, call)
	require.NoError(t, r[0].err)
	assert.Equal(t, http.StatusOK, r[0].status)
	assert.True(t, e.conn.Budgets()[0].PausedUntil.IsZero(), "the pause is over")
}

// Rule (on the real clock): Budgets reads the live window as time really
// passes, and a real wait over the threshold is logged. Margins are
// generous; nothing asserts a speed.
func TestBudgetsOnTheRealClock(t *testing.T) {
	var log leakcheck.Log
	e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 2, Window: 500 * time.Millisecond, Margin: -1}, nil, &log,
		providers.WithWaitWarning(time.Millisecond))
	before := time.Now()
	getOK(t, e)
	getOK(t, e)
	b := e.conn.Budgets()
	require.Len(t, b, 1)
	require.True(t, b[0].Live)
	assert.Equal(t, 0, b[0].Remaining, "both slots taken")
	assert.True(t, b[0].NextFree.After(before), "the next slot frees after the first request: %v", b[0].NextFree)
	assert.False(t, b[0].NextFree.After(time.Now().Add(500*time.Millisecond)), "within a window")

	getOK(t, e) // waits for the first slot to free
	w := waits(t, &log)
	require.Len(t, w, 1, log.String())
	assert.Equal(t, "budget", w[0]["reason"])

	assert.Eventually(t, func() bool { return e.conn.Budgets()[0].Remaining == 2 }, 10*time.Second, 20*time.Millisecond,
		"the window empties as real time passes")
}

// defaultLog makes slog.Default() write JSON into a buffer until the test
// ends (tests of this package are not parallel), and restores it and the
// log package's output, which slog.SetDefault redirects.
func defaultLog(t *testing.T) *leakcheck.Log {
	t.Helper()
	var l leakcheck.Log
	old, out, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(l.Logger())
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(out)
		log.SetFlags(flags)
	})
	return &l
}

// Rule: without WithLogger, a request that will wait longer than the
// threshold is still logged, once, on slog.Default(); every other record
// of the client stays discarded.
func TestWithoutALoggerALongWaitGoesToTheDefaultLogger(t *testing.T) {
	def := defaultLog(t)
	clk := clock.NewFake(t0)
	e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}, clk, nil)
	getOK(t, e)
	assert.Empty(t, def.String(), "a request that did not wait logs nothing")

	r := settle(clk, e.getAsync(context.Background(), t))
	require.NoError(t, r[0].err)
	w := waits(t, def)
	require.Len(t, w, 1, def.String())
	assert.Equal(t, "WARN", w[0]["level"])
	assert.Equal(t, "fake", w[0]["provider"])
	assert.Equal(t, "budget", w[0]["reason"])
	assert.Equal(t, float64(61*time.Second), w[0]["wait"])

	// A pause: its own Warn record ("provider asked to pause") is
	// WithLogger's only; the long wait is logged.
	e.fake.then(status(http.StatusTooManyRequests, "Retry-After", "600"))
	clk.Advance(2 * time.Minute)
	r = settle(clk, e.getAsync(context.Background(), t))
	require.NoError(t, r[0].err)
	w = waits(t, def)
	require.Len(t, w, 2, def.String())
	assert.Equal(t, "pause", w[1]["reason"])
	assert.Equal(t, "fake", w[1]["provider"])
	assert.Equal(t, float64(10*time.Minute), w[1]["wait"])
	assert.Equal(t, 2, strings.Count(strings.TrimSpace(def.String()), "\n")+1, "only the two long waits: %s", def.String())
}

// Rule: WithWaitWarning(0) (or a negative threshold) silences the
// long-wait record, on slog.Default() and on WithLogger's logger alike.
func TestWaitWarningZeroSilencesIt(t *testing.T) {
	def := defaultLog(t)
	var own leakcheck.Log
	for _, log := range []*leakcheck.Log{nil, &own} {
		clk := clock.NewFake(t0)
		e := budgetClient(t, ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}, clk, log,
			providers.WithWaitWarning(0))
		getOK(t, e)
		r := settle(clk, e.getAsync(context.Background(), t))
		require.NoError(t, r[0].err)
	}
	assert.Empty(t, def.String())
	assert.Empty(t, waits(t, &own))
}

// Rule (on the real clock): without WithLogger, a request that really
// waits longer than the threshold logs exactly one record on
// slog.Default(), with provider=, reason and wait; requests that wait less
// log none. Nothing asserts a speed.
func TestWithoutALoggerALongWaitOnTheRealClock(t *testing.T) {
	def := defaultLog(t)
	b := ratelimit.Budget{Name: "requests", Limit: 1, Window: 300 * time.Millisecond, Margin: -1}

	quiet := budgetClient(t, b, nil, nil, providers.WithWaitWarning(time.Minute))
	getOK(t, quiet)
	getOK(t, quiet) // waits up to 300 ms: under the minute
	assert.Empty(t, def.String(), "waits under the threshold are not logged")

	e := budgetClient(t, b, nil, nil, providers.WithWaitWarning(20*time.Millisecond))
	getOK(t, e)
	assert.Empty(t, def.String(), "the first request does not wait")
	start := time.Now()
	getOK(t, e) // waits for the slot, about 300 ms
	waited := time.Since(start)
	w := waits(t, def)
	require.Len(t, w, 1, def.String())
	assert.Equal(t, "fake", w[0]["provider"])
	assert.Equal(t, "budget", w[0]["reason"])
	d, ok := w[0]["wait"].(float64)
	require.True(t, ok, "wait: %v", w[0]["wait"])
	assert.Greater(t, time.Duration(d), 20*time.Millisecond)
	assert.LessOrEqual(t, time.Duration(d), 300*time.Millisecond)
	assert.Greater(t, waited, 20*time.Millisecond, "the request did wait")
}
