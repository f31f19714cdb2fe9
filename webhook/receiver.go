package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Defaults of a Receiver. Each can be changed with an Option.
const (
	// DefaultMaxBody caps a body when the provider's Delivery sets no cap.
	DefaultMaxBody = 1 << 20
	// DefaultDeadline is the answer deadline assumed when the provider's
	// Delivery documents none: 10 s, iDenfy's, the shortest we know.
	DefaultDeadline = 10 * time.Second
	// DefaultTTL is how long a handled event is remembered. It is longer
	// than any documented retry schedule (iDenfy retries on non-2xx with no
	// published schedule; Compliancely retries twice): a choice, not a
	// provider's figure.
	DefaultTTL = 72 * time.Hour
	// releaseTimeout bounds giving a claim back after a failed handler: the
	// request's own context may be over by then.
	releaseTimeout = 5 * time.Second
)

// Stage is the step of a delivery that failed.
type Stage string

// Stages of a delivery, in order.
const (
	StageRead    Stage = "read"    // method, size or reading the body: 405, 413, 400
	StageVerify  Stage = "verify"  // the signature: 401
	StageDecode  Stage = "decode"  // a signed body that is not a known event: 400
	StageDedupe  Stage = "dedupe"  // the dedupe store failed: 503 (or a claim was not given back)
	StageHandler Stage = "handler" // your HandlerFunc returned an error or panicked
)

// Error describes a delivery the Receiver refused or a handler that
// failed; the OnError hook and the log get one. Its text names the
// provider and the stage, never the body.
type Error struct {
	Provider string
	Stage    Stage
	// Status is the HTTP status the delivery was answered with.
	Status int
	// Late is true when the handler failed after the delivery had been
	// answered 2xx (it outlasted the answer deadline): the provider will
	// not deliver this event again by itself, so act on Event here.
	Late bool
	// Event is the decoded event (StageDedupe and StageHandler only). It
	// holds personal data: never log it.
	Event Event
	// Err is the cause: ErrBadSignature, the provider's decode error, the
	// store's error, your handler's error or a *PanicError.
	Err error
}

// maxErrorText caps Error(): a provider's or a handler's error text may be
// long, and errors of unikyc stay under 512 bytes.
const maxErrorText = 512

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: webhook: ")
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(string(e.Stage))
	if e.Late {
		b.WriteString(" (after the answer)")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(stripPrefix(e.Err.Error()))
	}
	s := b.String()
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText-3], "") + "..."
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// stripPrefix drops the "unikyc: " (and "webhook: ") a cause starts with,
// so an Error text carries one prefix.
func stripPrefix(s string) string {
	s = strings.TrimPrefix(s, "unikyc: ")
	return strings.TrimPrefix(s, "webhook: ")
}

// PanicError is a panic of your handler, recovered. Its text does not
// print Value, which may hold the event.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return "unikyc: webhook: handler panicked" }

// ErrClosed is answered (503) to deliveries that arrive once Close was called.
var ErrClosed = errors.New("unikyc: webhook: receiver closed")

// errNoDedupeKey is a decode failure: an event without a key cannot be
// told from its duplicates.
var errNoDedupeKey = errors.New("event has no dedupe key")

// errTooLarge and errMethod are read failures.
var (
	errTooLarge = errors.New("body too large")
	errMethod   = errors.New("method not allowed")
)

// Receiver is an http.Handler that receives one provider's webhooks. Make
// it with NewReceiver; it is safe for concurrent use.
//
// For each POST it
//
//   - caps the body at the provider's Delivery.MaxBody: a longer one is
//     answered 413 and nothing of it is verified;
//   - verifies the signature over the raw bytes before anything is
//     decoded: 401 on a failure, and nothing of the body is logged;
//   - decodes the typed Event: a signed body that does not decode is
//     answered 400 (see below);
//   - claims Event.DedupeKey in the DedupeStore: a duplicate is answered
//     200 without calling your function (503 when the store fails, so the
//     provider delivers again);
//   - runs your HandlerFunc and answers 200 when it returns nil, 500 when
//     it returns an error or panics, giving the claim back so that the
//     provider's retry runs it again.
//
// A handler still running when the answer is due (a margin before the
// provider's Delivery.Deadline: 8 s of iDenfy's 10) is not waited for: the
// delivery is answered 200, because a retry would deliver the event twice,
// and the handler goes on in the background. If it then fails, its claim
// is given back and the failure goes to the OnError hook and the log with
// Late set: no retry will come by itself.
//
// Why 400 for a signed body that does not decode: the provider sent it, so
// it is no attack, and the provider will deliver the same bytes again. A
// 2xx would drop the event silently; a 400 leaves the delivery failed in
// the provider's dashboard, is logged here, and the provider's retries
// succeed once a version of your service that reads the body is running.
type Receiver struct {
	p  Provider
	fn HandlerFunc
	c  settings

	maxBody    int64
	answerIn   time.Duration
	handlerFor time.Duration

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	base   context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
}

// NewReceiver returns a Receiver that verifies and decodes deliveries with
// p and hands each new event to fn. A nil p or fn is an error.
func NewReceiver(p Provider, fn HandlerFunc, opts ...Option) (*Receiver, error) {
	if p == nil {
		return nil, errors.New("unikyc: webhook: NewReceiver: nil Provider")
	}
	if fn == nil {
		return nil, errors.New("unikyc: webhook: NewReceiver: nil HandlerFunc")
	}
	var c settings
	for _, o := range opts {
		o(&c)
	}
	c.clk = clock.Or(c.clk)
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.store == nil {
		c.store = NewMemoryStore(0, c.clk)
	}
	d := p.Delivery()
	r := &Receiver{p: p, fn: fn, c: c, maxBody: d.MaxBody}
	if r.maxBody <= 0 {
		r.maxBody = DefaultMaxBody
	}
	deadline := d.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	r.answerIn = answerWithin(deadline)
	if c.answerIn > 0 {
		if c.answerIn >= deadline {
			return nil, fmt.Errorf("unikyc: webhook: %s: WithAnswerWithin(%v) is not under the provider's %v deadline",
				p.Name(), c.answerIn, deadline)
		}
		r.answerIn = c.answerIn
	}
	r.handlerFor = r.answerIn
	if c.handlerFor > 0 {
		r.handlerFor = c.handlerFor
	}
	r.base, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// answerWithin is the provider's deadline less a margin for the network
// and a slow client: a fifth of it, at least 500 ms and at most 5 s.
func answerWithin(deadline time.Duration) time.Duration {
	margin := min(max(deadline/5, 500*time.Millisecond), 5*time.Second)
	if margin >= deadline {
		return deadline / 2
	}
	return deadline - margin
}

// AnswerWithin is how long after a delivery arrives it is answered at the
// latest, whether or not the handler has returned.
func (r *Receiver) AnswerWithin() time.Duration { return r.answerIn }

// ServeHTTP receives one delivery.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.refuse(req.Context(), w, &Error{Stage: StageRead, Status: http.StatusMethodNotAllowed, Err: errMethod})
		return
	}
	if !r.enter() {
		r.refuse(req.Context(), w, &Error{Stage: StageRead, Status: http.StatusServiceUnavailable, Err: ErrClosed})
		return
	}
	defer r.wg.Done()
	start := r.c.clk.Now()

	body, e := r.read(w, req)
	if e != nil {
		r.refuse(req.Context(), w, e)
		return
	}
	if err := r.p.Verify(req.Header, body); err != nil {
		r.refuse(req.Context(), w, &Error{Stage: StageVerify, Status: http.StatusUnauthorized, Err: err})
		return
	}
	ev, err := r.p.Decode(req.Header, body)
	if err == nil && (ev == nil || ev.DedupeKey() == "") {
		err = errNoDedupeKey
	}
	if err != nil {
		r.refuse(req.Context(), w, &Error{Stage: StageDecode, Status: http.StatusBadRequest, Err: err})
		return
	}
	key := ev.DedupeKey()
	remaining := r.answerIn - r.c.clk.Now().Sub(start)
	claimCtx, cancel := context.WithTimeout(req.Context(), max(remaining, time.Millisecond))
	fresh, err := r.c.store.Claim(claimCtx, key, r.c.ttl)
	cancel()
	if err != nil {
		r.refuse(req.Context(), w, &Error{Stage: StageDedupe, Status: http.StatusServiceUnavailable, Event: ev, Err: err})
		return
	}
	if !fresh {
		answer(w, http.StatusOK)
		return
	}
	r.hand(w, req, ev, key, start)
}

// hand runs the handler on its own goroutine and answers when it returns
// or when the answer is due, whichever comes first.
func (r *Receiver) hand(w http.ResponseWriter, req *http.Request, ev Event, key string, start time.Time) {
	ctx, stop := r.handlerContext(req.Context(), start)
	done := make(chan error, 1)
	r.wg.Add(1) // the handler's own; the caller holds one, so Close cannot be past Wait
	answered := make(chan struct{})
	go func() {
		defer r.wg.Done()
		defer stop()
		err := r.call(ctx, ev)
		done <- err
		if err == nil {
			return
		}
		select {
		case <-answered: // answered 200 already: give the claim back, report
			r.release(ctx, ev, key)
			r.report(ctx, &Error{Provider: r.p.Name(), Stage: StageHandler, Status: http.StatusOK, Late: true, Event: ev, Err: err})
		default:
		}
	}()

	due := r.c.clk.NewTimer(r.answerIn - r.c.clk.Now().Sub(start))
	defer due.Stop()
	select {
	case err := <-done:
		if err != nil {
			r.release(ctx, ev, key)
			r.refuse(req.Context(), w, &Error{Stage: StageHandler, Status: http.StatusInternalServerError, Event: ev, Err: err})
			return
		}
	case <-due.C():
		select {
		case err := <-done: // returned at the same moment: its answer stands
			if err != nil {
				r.release(ctx, ev, key)
				r.refuse(req.Context(), w, &Error{Stage: StageHandler, Status: http.StatusInternalServerError, Event: ev, Err: err})
				return
			}
		default:
			close(answered)
		}
	}
	answer(w, http.StatusOK)
}

// call runs the handler, turning a panic into a *PanicError.
func (r *Receiver) call(ctx context.Context, ev Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return r.fn(ctx, ev)
}

// handlerContext is the handler's context: the request's values, not its
// cancellation (the handler may outlive the request), a deadline
// handlerFor after the delivery arrived on the Receiver's clock, and
// cancelled when Close gives up waiting.
func (r *Receiver) handlerContext(parent context.Context, start time.Time) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	deadline := start.Add(r.handlerFor)
	t := r.c.clk.AfterFunc(deadline.Sub(r.c.clk.Now()), func() { cancel(context.DeadlineExceeded) })
	unhook := context.AfterFunc(r.base, func() { cancel(ErrClosed) })
	return deadlineContext{ctx, deadline}, func() {
		t.Stop()
		unhook()
		cancel(context.Canceled)
	}
}

// deadlineContext reports a deadline kept on the Receiver's clock, which
// may be a fake one.
type deadlineContext struct {
	context.Context
	deadline time.Time
}

func (c deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c deadlineContext) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// release gives a failed event's claim back, so the provider's next
// delivery runs the handler again.
func (r *Receiver) release(ctx context.Context, ev Event, key string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := r.c.store.Release(rctx, key); err != nil {
		r.report(ctx, &Error{Provider: r.p.Name(), Stage: StageDedupe, Event: ev,
			Err: fmt.Errorf("claim not given back, a retry will be dropped until it expires: %w", err)})
	}
}

// read returns the body, at most maxBody bytes.
func (r *Receiver) read(w http.ResponseWriter, req *http.Request) ([]byte, *Error) {
	if req.ContentLength > r.maxBody {
		return nil, &Error{Stage: StageRead, Status: http.StatusRequestEntityTooLarge,
			Err: fmt.Errorf("%w: over %d bytes", errTooLarge, r.maxBody)}
	}
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Stage: StageRead, Status: http.StatusRequestEntityTooLarge,
				Err: fmt.Errorf("%w: over %d bytes", errTooLarge, r.maxBody)}
		}
		return nil, &Error{Stage: StageRead, Status: http.StatusBadRequest, Err: errors.New("reading the body failed")}
	}
	return body, nil
}

// refuse answers e.Status and reports e.
func (r *Receiver) refuse(ctx context.Context, w http.ResponseWriter, e *Error) {
	e.Provider = r.p.Name()
	answer(w, e.Status)
	r.report(ctx, e)
}

// report gives e to the hook and the log.
func (r *Receiver) report(ctx context.Context, e *Error) {
	if r.c.onError != nil {
		r.c.onError(e)
	}
	level := slog.LevelError
	switch e.Stage {
	case StageRead, StageVerify:
		level = slog.LevelWarn // the internet's noise, or an attack
	}
	r.c.logger.LogAttrs(ctx, level, "unikyc: webhook delivery failed",
		slog.String("provider", e.Provider), slog.String("stage", string(e.Stage)),
		slog.Int("status", e.Status), slog.Bool("late", e.Late), slog.String("error", e.Error()))
}

// answer writes status with a fixed short body: nothing of the request.
func answer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status)+"\n")
}

func (r *Receiver) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	return true
}

// Close stops taking deliveries (later ones are answered 503, so the
// provider delivers them again) and waits for the deliveries in progress
// and the handlers running in the background. If ctx ends first, it
// cancels the handlers' contexts and returns ctx's error without waiting
// further.
func (r *Receiver) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.cancel()
		return nil
	case <-ctx.Done():
		r.cancel()
		return ctx.Err()
	}
}
