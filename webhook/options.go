package webhook

import (
	"log/slog"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Option configures a Receiver.
type Option func(*settings)

type settings struct {
	store      DedupeStore
	ttl        time.Duration
	logger     *slog.Logger
	clk        clock.Clock
	onError    func(*Error)
	answerIn   time.Duration
	handlerFor time.Duration
}

// WithStore sets where handled events are remembered: a MemoryStore (the
// default, one process), a FileStore (one host) or redisdedupe (a fleet:
// every replica behind the webhook URL must share one store, or a retry
// that reaches another replica runs the handler again).
func WithStore(s DedupeStore) Option { return func(c *settings) { c.store = s } }

// WithTTL sets how long a handled event is remembered (default DefaultTTL).
// Keep it longer than the provider's retries last.
func WithTTL(d time.Duration) Option { return func(c *settings) { c.ttl = d } }

// WithLogger sets the logger for refused deliveries and failed handlers
// (default slog.Default()). It logs the provider, stage, status and error
// text, never a body or an event.
func WithLogger(l *slog.Logger) Option { return func(c *settings) { c.logger = l } }

// WithClock sets the clock of the answer deadline, the handler's context
// deadline and the default memory store (tests use clock.Fake).
func WithClock(clk clock.Clock) Option { return func(c *settings) { c.clk = clk } }

// WithOnError calls fn for every refused delivery and failed handler,
// before it is logged; fn must be quick and safe for concurrent use. A
// failure with Late set is the only notice of an event whose handler
// failed after the delivery was answered.
func WithOnError(fn func(*Error)) Option { return func(c *settings) { c.onError = fn } }

// WithAnswerWithin sets how long after a delivery arrives it is answered
// at the latest; it must be under the provider's Delivery.Deadline. The
// default leaves a fifth of the deadline (at least 500 ms, at most 5 s) as
// margin: 8 s for iDenfy's 10.
func WithAnswerWithin(d time.Duration) Option { return func(c *settings) { c.answerIn = d } }

// WithHandlerTimeout sets the deadline of the handler's context, counted
// from the delivery's arrival. The default is the answer deadline, so a
// handler that watches its context is done in time; a longer one lets a
// handler go on in the background after the answer (Close waits for it).
func WithHandlerTimeout(d time.Duration) Option { return func(c *settings) { c.handlerFor = d } }
