package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Counter names every fake uses, so that Knobs can read them.
const (
	CountRequests      = "requests"       // every request, faults included
	CountFaults        = "faults"         // answers given by an injected fault
	CountRejected      = "rejected"       // refused by the fake's own rules
	CountRateLimited   = "ratelimited"    // 429s sent by the fake's own rate limit
	CountLogins        = "logins"         // successful logins
	CountLoginAttempts = "login attempts" // login requests judged, refused or not
	CountRefreshes     = "refreshes"      // successful refreshes
)

// Kit holds the state shared by one fake server.
type Kit struct {
	Clock  clock.Clock
	Tokens *Tokens
	Faults *Faults
	Counts *Counts

	mu      sync.Mutex
	hits    []Hit
	handler http.Handler // the wrapped handler, for Transport
	srv     *httptest.Server
}

// Hit is one request a fake answered.
type Hit struct {
	At      time.Time // on the fake's clock, when the request arrived
	Method  string
	Path    string
	Status  int
	Account string // the account the request named, when the fake knows it
	Fault   bool   // answered by an injected fault
}

// NewKit returns a Kit on clk (nil: the system clock).
func NewKit(clk clock.Clock) *Kit {
	clk = clock.Or(clk)
	return &Kit{Clock: clk, Tokens: newTokens(clk), Faults: &Faults{}, Counts: newCounts()}
}

type hitKey struct{}

// SetAccount records, in the Hit of the request r belongs to, the account
// it named.
func SetAccount(r *http.Request, account string) {
	if h, ok := r.Context().Value(hitKey{}).(*Hit); ok {
		h.Account = account
	}
}

// Wrap returns h behind the fault layer: every request is counted by path
// and recorded as a Hit, then delayed, failed or rate limited as the knobs
// say, then served by h.
func (k *Kit) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit := &Hit{At: k.Clock.Now(), Method: r.Method, Path: r.URL.Path}
		k.Counts.Inc("path " + r.URL.Path)
		k.Counts.Inc(CountRequests)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			hit.Status = sw.status
			k.mu.Lock()
			k.hits = append(k.hits, *hit)
			k.mu.Unlock()
		}()
		if f, ok := k.Faults.take(r.URL.Path); ok {
			if f.delay > 0 && !delay(r, f.delay) {
				return
			}
			if f.status != 0 {
				hit.Fault = true
				k.Counts.Inc(CountFaults)
				f.write(sw)
				return
			}
		}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), hitKey{}, hit)))
	})
}

// Hits returns every request answered so far, in order of arrival.
func (k *Kit) Hits() []Hit {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.hits)
}

// MaxIn returns the most requests to path ("" for every path) that arrived
// within any span of d on the fake's clock, both ends included: the number
// a server that counts "N in any window" saw at its busiest. Injected
// faults count too, as they would on a real server.
func (k *Kit) MaxIn(path string, d time.Duration) int {
	var ts []time.Time
	for _, h := range k.Hits() {
		if path == "" || h.Path == path {
			ts = append(ts, h.At)
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) <= d; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// resetHits forgets the recorded hits.
func (k *Kit) resetHits() {
	k.mu.Lock()
	k.hits = nil
	k.mu.Unlock()
}

// Start serves h (wrapped) on a new httptest.Server and returns its URL.
// With inMemory, nothing listens: the URL is a loopback address no one
// serves, and only Transport reaches the fake.
func (k *Kit) Start(h http.Handler, inMemory bool) string {
	wrapped := k.Wrap(h)
	k.mu.Lock()
	k.handler = wrapped
	k.mu.Unlock()
	if inMemory {
		return memoryURL
	}
	k.srv = httptest.NewServer(wrapped)
	return k.srv.URL
}

// Close stops the listener, if any.
func (k *Kit) Close() {
	if k.srv != nil {
		k.srv.Close()
	}
}

// delay holds the request for d of the clock the request runs on (real
// time, or a synctest bubble's), or until the client hangs up; it reports
// whether the request should still be answered.
func delay(r *http.Request, d time.Duration) bool {
	// Read the body first, so that a client hanging up cancels r.Context().
	drain(r)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Counts are named counters, safe for concurrent use. The zero value is
// ready to use.
type Counts struct {
	mu sync.Mutex
	m  map[string]int
}

func newCounts() *Counts { return &Counts{m: map[string]int{}} }

// Inc adds one to name.
func (c *Counts) Inc(name string) { c.Add(name, 1) }

// Add adds n to name.
func (c *Counts) Add(name string, n int) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name] += n
	c.mu.Unlock()
}

// Get returns the count for name.
func (c *Counts) Get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// Path returns how many requests reached path.
func (c *Counts) Path(path string) int { return c.Get("path " + path) }

// Reset sets every counter to zero.
func (c *Counts) Reset() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
