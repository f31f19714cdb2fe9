// Command quickstart drives every unikyc provider client through a
// realistic run against its built-in fake, on a fast clock, and prints what
// each client did: logins, refreshes, requests, retries, throttled waits.
//
//	go run ./examples/quickstart
//
// Each provider's run logs in, makes calls, refreshes ahead of expiry,
// recovers from a 401 and waits out a 429; iDenfy also issues a KYB token
// and verifies a signed webhook. The program exits 0 only when every check
// held. No credentials or network are needed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// start is the fake clock's first reading; every run starts there.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// run is one provider's scenario: the checks it made and the client's
// counters at the end.
type run struct {
	provider string
	stats    providers.Stats
	checks   []check
	err      error
}

type check struct {
	what string
	ok   bool
}

func (r *run) expect(ok bool, format string, args ...any) {
	r.checks = append(r.checks, check{fmt.Sprintf(format, args...), ok})
}

func (r *run) passed() bool {
	if r.err != nil {
		return false
	}
	for _, c := range r.checks {
		if !c.ok {
			return false
		}
	}
	return true
}

type scenario func(ctx context.Context, clk *clock.Fake) *run

func main() {
	os.Exit(Main(os.Stdout))
}

// Main runs every scenario, prints the report to w and returns the exit
// code: 0 when every check held.
func Main(w io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	var runs []*run
	for _, s := range scenarios {
		runs = append(runs, s(ctx, clock.NewFake(start)))
	}
	report(w, runs)
	fmt.Fprintf(w, "\nfinished in %s\n", time.Since(began).Round(time.Millisecond))
	for _, r := range runs {
		if !r.passed() {
			return 1
		}
	}
	return 0
}

func report(w io.Writer, runs []*run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "provider\tlogins\trefreshes\trequests\tretries\t429s\tthrottled waits\t401 recoveries\tchecks\t")
	for _, r := range runs {
		ok := 0
		for _, c := range r.checks {
			if c.ok {
				ok++
			}
		}
		s := r.stats
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t\n", r.provider, s.Logins, s.Refreshes,
			s.Requests, s.Retries, s.RateLimited, s.CoolDownWaits, s.Invalidations, ok, len(r.checks))
	}
	_ = tw.Flush()
	for _, r := range runs {
		fmt.Fprintf(w, "\n%s\n", r.provider)
		for _, c := range r.checks {
			mark := "ok  "
			if !c.ok {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %s\n", mark, c.what)
		}
		if r.err != nil {
			fmt.Fprintf(w, "  FAIL stopped: %v\n", r.err)
		}
	}
	fmt.Fprintln(w)
	if all(runs) {
		fmt.Fprintln(w, "every provider behaved as documented")
	} else {
		fmt.Fprintln(w, strings.ToUpper("some checks failed"))
	}
}

func all(runs []*run) bool {
	for _, r := range runs {
		if !r.passed() {
			return false
		}
	}
	return true
}

// note shows err after a check's description, or nothing.
func note(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// fastRetries keeps 5xx backoff short; 429 pauses run on the fake clock.
var fastRetries = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

// waitFor polls cond while a background refresh finishes.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// throttled runs call while the client waits out a 429 cool-down of d,
// advancing the fake clock once the call is parked on it.
func throttled(clk *clock.Fake, d time.Duration, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	stop := make(chan struct{})
	defer close(stop)
	parked := make(chan bool, 1)
	go func() { parked <- clk.WaitForTimers(1, stop) }()
	select {
	case err := <-done:
		return fmt.Errorf("the call returned before waiting: %v", err)
	case <-parked:
	}
	clk.Advance(d)
	return <-done
}
