// Command quickstart drives every unikyc provider client through a
// realistic run against its built-in fake, on a fast clock, and prints what
// each client did: logins, refreshes, requests, retries, throttled waits,
// errors.
//
//	go run ./examples/quickstart
//
// Each provider's run logs in, makes calls, renews its token ahead of
// expiry, recovers from a refused token (401) and waits out a 429.
// iDenfy also issues a KYB token, refuses a bad one before sending and
// verifies a signed webhook; Compliancely shows its 10-a-minute throttle
// and its 10-minute penalty; KYConnect logs in with a TOTP MFA code. Time
// runs on a fake clock, so hours of token life take milliseconds. No
// credentials or network are needed, and the program exits 0 only when
// every check held.
//
// With UNIKYC_<PROVIDER>_* variables set for a provider (see the README's
// configuration table), that provider is checked against the real service
// instead: its client is built with providers.FromEnv and CheckAuth proves
// the credentials.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// start is the fake clock's first reading; every run starts there.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// run is one provider's scenario: the checks it made and the client's
// counters at the end.
type run struct {
	provider string
	mode     string // "fake" or "live"
	d        *driver
	stats    providers.Stats
	errors   int // errors returned to callers, expected ones included
	checks   []check
	err      error
}

type check struct {
	what string
	ok   bool
}

func newRun(provider string, clk *clock.Fake) *run {
	return &run{provider: provider, mode: "fake", d: newDriver(clk)}
}

// try makes one call with the clock driven, counting its error.
func (r *run) try(ctx context.Context, call func(ctx context.Context) error) error {
	var err error
	r.d.run(func() { err = call(ctx) })
	if err != nil {
		r.errors++
	}
	return err
}

func (r *run) expect(ok bool, format string, args ...any) {
	r.checks = append(r.checks, check{fmt.Sprintf(format, args...), ok})
}

func (r *run) passed() bool {
	if r.err != nil || len(r.checks) == 0 {
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
	os.Exit(Main(os.Stdout, os.Getenv))
}

// Main runs every scenario (or, for providers configured in getenv's
// environment, a live CheckAuth), prints the report to w and returns the
// exit code: 0 when every check held.
func Main(w io.Writer, getenv func(string) string) int {
	// No deadline: the scenarios' waits run on fake clocks, and a real
	// deadline would cut a 10-minute fake pause short.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := time.Now()
	var runs []*run
	for _, s := range scenarios {
		if providers.Configured(s.provider, getenv) {
			runs = append(runs, live(ctx, s.provider, getenv))
			continue
		}
		runs = append(runs, s.run(ctx, clock.NewFake(start)))
	}
	report(w, runs)
	fmt.Fprintf(w, "\nfinished in %s\n", time.Since(began).Round(time.Millisecond))
	if !all(runs) {
		return 1
	}
	return 0
}

// width is the widest line the report prints: it fits a 100-column
// terminal.
const width = 100

func report(w io.Writer, runs []*run) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "provider\tmode\tlogins\trefreshes\trequests\tretries\t429s\tthrottled\t401s\terrors\tclock\tchecks\t")
	for _, r := range runs {
		ok := 0
		for _, c := range r.checks {
			if c.ok {
				ok++
			}
		}
		s := r.stats
		elapsed := "real"
		if r.d != nil {
			elapsed = r.d.clk.Now().Sub(start).Round(time.Second).String()
		}
		waits := s.CoolDownWaits
		if r.d != nil {
			waits = int64(r.d.waits)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d/%d\t\n", r.provider, r.mode, s.Logins, s.Refreshes,
			s.Requests, s.Retries, s.RateLimited, waits, s.Invalidations, r.errors, elapsed, ok, len(r.checks))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nthrottled: requests held on the clock by a limiter or a 429 cool-down;")
	fmt.Fprintln(w, "401s: refused tokens recovered; errors: returned to the caller, expected ones included;")
	fmt.Fprintln(w, "clock: fake time the run took (real: a live check)")
	for _, r := range runs {
		fmt.Fprintf(w, "\n%s (%s)\n", r.provider, r.mode)
		for _, c := range r.checks {
			mark := "ok  "
			if !c.ok {
				mark = "FAIL"
			}
			wrap(w, "  "+mark+" ", c.what)
		}
		if r.err != nil {
			wrap(w, "  FAIL ", "stopped: "+r.err.Error())
		}
	}
	fmt.Fprintln(w)
	if all(runs) {
		fmt.Fprintln(w, "every provider behaved as documented")
	} else {
		fmt.Fprintln(w, strings.ToUpper("some checks failed"))
	}
}

// wrap writes text after lead, broken at spaces into lines of at most
// width runes, the continuations indented under the text.
func wrap(w io.Writer, lead, text string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(lead))
	line, n := lead, utf8.RuneCountInString(lead)
	fresh := true // nothing but the lead or indent on the line yet
	for _, word := range strings.Fields(text) {
		wn := utf8.RuneCountInString(word)
		if !fresh && n+1+wn > width {
			fmt.Fprintln(w, line)
			line, n, fresh = indent, len(indent), true
		}
		if !fresh {
			line, n = line+" ", n+1
		}
		line, n, fresh = line+word, n+wn, false
	}
	fmt.Fprintln(w, line)
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

// unless is what a check saw, for its line when it failed: "" when ok.
func unless(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// fastRetries keeps 5xx backoff short; 429 pauses run on the fake clock.
var fastRetries = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})
