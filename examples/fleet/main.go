// Command fleet runs several replicas of a service that share one
// Compliancely account through one Redis (unikyc's fleet mode), against the
// built-in fake Compliancely, and prints what each replica did.
//
//	go run ./examples/fleet [-replicas 4] [-goroutines 25] [-duration 4s]
//
// Each replica has its own Redis client, Fleet, token cache and
// http.Client, as separate processes would. Together they log in once and
// stay under the account's limit: Compliancely's 10 requests a minute,
// scaled here to 10 per 2 seconds so the run takes seconds. Redis is the one
// at REDIS_ADDR, else a redis-server started from PATH, else an in-process
// miniredis. The program exits 0 only when the fleet logged in once, got no
// 429, never more than the limit in any window as the provider counts, and
// used at least 90 % of what the budget allowed in the run.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
)

// The fake account's limit, and the margin the fleet's budget counts
// over: the provider counts arrivals in a sliding window, so a budget of
// exactly the window would let latency push an 11th request into one.
// Compliancely's own budget (compliancely.DefaultBudget) counts 61 s for a
// 60 s window; scaled 30 times, that second would be 33 ms, too little
// for a first request that dials, so the example counts 100 ms.
const (
	limit  = 10
	window = 2 * time.Second
	margin = 100 * time.Millisecond
)

// Settings is one run's shape.
type Settings struct {
	Replicas   int
	Goroutines int // per replica
	Duration   time.Duration
}

func main() {
	var s Settings
	flag.IntVar(&s.Replicas, "replicas", 4, "replicas sharing the account")
	flag.IntVar(&s.Goroutines, "goroutines", 25, "goroutines calling the API in each replica")
	flag.DurationVar(&s.Duration, "duration", 4*time.Second, "how long to run")
	flag.Parse()
	os.Exit(Main(os.Stdout, s))
}

type replica struct {
	fleet  *redisfleet.Fleet
	client *compliancely.Client
	served atomic.Int64
}

// Main runs the fleet, prints the report to w and returns the exit code.
func Main(w io.Writer, s Settings) int {
	srv, err := redisfleettest.Start()
	if err != nil {
		fmt.Fprintln(w, "no Redis:", err)
		return 1
	}
	defer srv.Close()
	fake := compliancelytest.NewServer(compliancelytest.WithRateLimit(limit, window, 10*time.Minute))
	defer fake.Close()
	fmt.Fprintf(w, "Redis: %s at %s; fake Compliancely allows %d requests per %s\n", srv.Kind(), srv.Addr(), limit, window)
	fmt.Fprintf(w, "%d replicas x %d goroutines for %s\n\n", s.Replicas, s.Goroutines, s.Duration)

	key := make([]byte, 32) // every replica of a real fleet reads the same key from its secrets
	_, _ = rand.Read(key)
	// The budget allows a burst of limit at once, then limit more each time
	// a window plus its margin has passed.
	allowed := limit * int(math.Ceil(float64(s.Duration)/float64(window+margin)))
	account := "compliancely:" + fake.Config().Username
	var replicas []*replica
	for range s.Replicas {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		defer rdb.Close()
		f, err := redisfleet.New(rdb, redisfleet.WithEncryptionKey(key), redisfleet.WithReplicas(s.Replicas))
		if err != nil {
			fmt.Fprintln(w, err)
			return 1
		}
		// f.Options shares Compliancely's declared budget; the scaled one
		// replaces it here so the run takes seconds.
		scaled := ratelimit.Budget{Name: "requests", Limit: limit, Window: window, Margin: margin}
		c, err := compliancely.New(fake.Config(), append(f.Options(account), providers.WithLimiter(f.Limiter(account, scaled)))...)
		if err != nil {
			fmt.Fprintln(w, err)
			return 1
		}
		defer c.Close()
		replicas = append(replicas, &replica{fleet: f, client: c})
	}

	ctx, cancel := context.WithTimeout(context.Background(), s.Duration)
	defer cancel()
	var failures atomic.Int64
	var wg sync.WaitGroup
	for _, r := range replicas {
		for range s.Goroutines {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := r.client.ValidateToken(ctx)
					switch {
					case err == nil:
						r.served.Add(1)
					case errors.Is(err, context.DeadlineExceeded): // the run ends before this call's turn
					default:
						failures.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	return report(w, replicas, fake, allowed, failures.Load())
}

func report(w io.Writer, replicas []*replica, fake *compliancelytest.Server, allowed int, failures int64) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replica\tlogins\ttoken from Redis\trequests sent\tanswered\t429s\tmode\t")
	for i, r := range replicas {
		st, fs := r.client.Stats(), r.fleet.Stats()
		mode := "shared"
		if !fs.Shared {
			mode = "local"
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", i+1, st.Logins, st.StoreHits, st.Requests, r.served.Load(), st.RateLimited, mode)
	}
	_ = tw.Flush()

	hits := fake.Hits()
	most := maxInWindow(hits, window)
	fmt.Fprintf(w, "\nthe provider saw: %d login(s), %d requests (%d allowed in the run), at most %d in any %s, %d 429s; %d failed calls\n",
		fake.Logins(), len(hits), allowed, most, window, fake.RateLimited(), failures)
	if fake.Logins() == 1 && fake.RateLimited() == 0 && failures == 0 && most <= limit && 10*len(hits) >= 9*allowed {
		fmt.Fprintln(w, "the fleet behaved as one client")
		return 0
	}
	fmt.Fprintln(w, "FAIL: expected 1 login, no 429, no failure, at most the limit in any window and at least 90 % of the budget")
	return 1
}

// maxInWindow is the most hits that arrived within any window w.
func maxInWindow(hits []compliancelytest.Hit, w time.Duration) int {
	most := 0
	for i := range hits {
		n := 0
		for _, h := range hits {
			if !h.At.Before(hits[i].At) && h.At.Sub(hits[i].At) < w {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
