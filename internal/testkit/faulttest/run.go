package faulttest

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Start is where every row's clocks start: a whole second, so JWT "exp"
// (whole seconds) is exact.
var Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// FastRetries keeps 5xx backoff (real time) to milliseconds.
var FastRetries = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

// Client is what a provider client gives the runner.
type Client interface{ Close() error }

// Suite is one provider's fault matrix: how to start its fake, build its
// client and make the caller's request. F is the fake's type, O its
// option type, C the client's.
type Suite[F, O any, C Client] struct {
	// Start starts the fake on clk and returns it, the base URL a client
	// is given, and how to stop it.
	Start func(t *testing.T, clk *clock.Fake, opts ...O) (fake F, baseURL string, stop func())
	// New builds a client for the fake behind baseURL (the front's).
	New func(fake F, baseURL string, opts ...providers.Option) (C, error)
	// Call is the caller's request: one authenticated API call.
	Call func(ctx context.Context, c C) error
	// Secrets returns the fake's credentials.
	Secrets func(fake F) []string
	// CredentialHeaders names the headers besides Authorization that carry
	// credentials (API keys).
	CredentialHeaders []string
	// Options are client options every row gets.
	Options []providers.Option
}

// Row is one fault.
type Row[F, O any, C Client] struct {
	Name string
	// Server are options for the row's fake.
	Server []O
	// ClientAhead puts the client's clock ahead of the server's.
	ClientAhead time.Duration
	// Options are extra client options.
	Options []providers.Option
	// NewClient replaces Suite.New, e.g. to build a client with a wrong
	// password; baseURL is the front's.
	NewClient func(e *Env[F, O, C], baseURL string, opts ...providers.Option) (C, error)
	// Arrange sets the fault up: fake knobs, front behaviours, warm-up calls.
	Arrange func(e *Env[F, O, C])
	// Timeout is the caller's deadline (default 5 s).
	Timeout time.Duration
	// Act is what the caller does (default: Env.Call).
	Act func(e *Env[F, O, C]) error
	// Assert checks the caller's result and what the fake counted.
	Assert func(t *testing.T, e *Env[F, O, C], err error)
}

// Env is one row's world. Everything in it is closed when the row ends.
type Env[F, O any, C Client] struct {
	T           *testing.T
	Fake        F
	Client      C
	Clock       *clock.Fake // the server's
	ClientClock *clock.Fake // the client's: Clock unless the row puts it ahead
	Front       *Front      // between client and fake
	Other       *Other      // another host, for redirects
	Rec         *Recorder   // the client's base transport
	Log         *leakcheck.Log

	suite   *Suite[F, O, C]
	extra   []string
	timeout time.Duration
}

// Call makes the caller's request with the row's deadline.
func (e *Env[F, O, C]) Call() error { return e.CallWithin(e.timeout) }

// CallWithin makes the caller's request with deadline d.
func (e *Env[F, O, C]) CallWithin(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return e.suite.Call(ctx, e.Client)
}

// Advance moves the server's and the client's clocks by d.
func (e *Env[F, O, C]) Advance(d time.Duration) {
	e.Clock.Advance(d)
	if e.ClientClock != e.Clock {
		e.ClientClock.Advance(d)
	}
}

// CallAdvancing makes the caller's request and, once it waits on the
// client's clock (a 429 pause, a limiter), advances the clocks by d. It
// reports the call's result and whether it waited.
func (e *Env[F, O, C]) CallAdvancing(d time.Duration) (error, bool) {
	done := make(chan error, 1)
	go func() { done <- e.Call() }()
	stop := make(chan struct{})
	waited := make(chan bool, 1)
	go func() { waited <- e.ClientClock.WaitForTimers(1, stop) }()
	select {
	case err := <-done:
		close(stop)
		<-waited
		return err, false
	case ok := <-waited:
		if ok {
			e.Advance(d)
		}
		return <-done, ok
	}
}

// AddSecret adds values the row's checks must not find anywhere.
func (e *Env[F, O, C]) AddSecret(s ...string) { e.extra = append(e.extra, s...) }

// Secrets returns every secret of the row so far: the fake's credentials,
// what the recorder saw, and those added.
func (e *Env[F, O, C]) Secrets() []string {
	all := append(e.suite.Secrets(e.Fake), e.extra...)
	all = append(all, e.Rec.Secrets()...)
	out := all[:0]
	for _, s := range all {
		if len(s) >= 6 { // shorter strings are not secrets worth the name, and match by chance
			out = append(out, s)
		}
	}
	return out
}

// Run runs each row as a subtest.
func Run[F, O any, C Client](t *testing.T, s Suite[F, O, C], rows []Row[F, O, C]) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.Name, func(t *testing.T) { runRow(t, &s, r) })
	}
}

func runRow[F, O any, C Client](t *testing.T, s *Suite[F, O, C], r Row[F, O, C]) {
	ignore := goleak.IgnoreCurrent()
	e := &Env[F, O, C]{T: t, suite: s, Log: &leakcheck.Log{}, timeout: r.Timeout}
	if e.timeout == 0 {
		e.timeout = 5 * time.Second
	}
	e.Clock = clock.NewFake(Start)
	e.ClientClock = e.Clock
	if r.ClientAhead != 0 {
		e.ClientClock = clock.NewFake(Start.Add(r.ClientAhead))
	}
	fake, baseURL, stop := s.Start(t, e.Clock, r.Server...)
	e.Fake = fake
	e.Front = NewFront(baseURL)
	e.Other = NewOther()
	e.Rec = NewRecorder(s.CredentialHeaders...)
	defer func() {
		e.Front.Close()
		e.Other.Close()
		stop()
		e.Rec.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	}()

	opts := []providers.Option{providers.WithClock(e.ClientClock), providers.WithTransport(e.Rec),
		providers.WithLogger(e.Log.Logger()), FastRetries}
	opts = append(append(opts, s.Options...), r.Options...)
	newClient := r.NewClient
	if newClient == nil {
		newClient = func(e *Env[F, O, C], base string, opts ...providers.Option) (C, error) {
			return s.New(e.Fake, base, opts...)
		}
	}
	c, err := newClient(e, e.Front.Rebase(baseURL), opts...)
	if err != nil {
		t.Fatalf("building the client: %v", err)
	}
	e.Client = c
	defer func() { _ = c.Close() }()

	if r.Arrange != nil {
		r.Arrange(e)
	}
	act := r.Act
	if act == nil {
		act = func(e *Env[F, O, C]) error { return e.Call() }
	}
	err = act(e)
	if r.Assert != nil {
		r.Assert(t, e, err)
	}
	CheckError(t, err)
	secrets := e.Secrets()
	if err != nil {
		leakcheck.NoSecrets(t, secrets, err)
	}
	NoSecretIn(t, "a log line", e.Log.String(), secrets)
	for _, seen := range e.Other.Seen() {
		NoSecretIn(t, "what another host received", seen, secrets)
	}
}

// CheckError fails t when err is not nil and of no known kind.
func CheckError(t testing.TB, err error) {
	t.Helper()
	if err != nil && Kind(err) == "" {
		t.Errorf("untyped error %T: %v", err, err)
	}
}

// NoSecretIn fails t when any secret appears in s.
func NoSecretIn(t testing.TB, what, s string, secrets []string) {
	t.Helper()
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%s holds a secret: %.300s", what, s)
			return
		}
	}
}
