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
// 429 and used at least 90 % of the allowed rate.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/tokencache/redisfleet"
	"github.com/unikyc/unikyc/tokencache/redisfleet/redisfleettest"
)

// The fake account's limit, and the share of it the fleet paces at: the
// provider counts arrivals in a sliding window, so pacing at exactly the
// limit would let latency push an 11th request into some window.
const (
	limit  = 10
	window = 2 * time.Second
	pace   = 0.96
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
	allowed := float64(limit) / window.Seconds()
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
		c, err := compliancely.New(fake.Config(), f.Options(account, rate.Limit(allowed*pace), 1)...)
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

func report(w io.Writer, replicas []*replica, fake *compliancelytest.Server, allowed float64, failures int64) int {
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
	got := 0.0
	if len(hits) > 1 {
		got = float64(len(hits)-1) / hits[len(hits)-1].At.Sub(hits[0].At).Seconds()
	}
	fmt.Fprintf(w, "\nthe provider saw: %d login(s), %d requests, %d 429s; %.2f requests/s of %.2f allowed (%.0f %%); %d failed calls\n",
		fake.Logins(), fake.Requests(), fake.RateLimited(), got, allowed, 100*got/allowed, failures)
	if fake.Logins() == 1 && fake.RateLimited() == 0 && failures == 0 && got >= 0.9*allowed {
		fmt.Fprintln(w, "the fleet behaved as one client")
		return 0
	}
	fmt.Fprintln(w, "FAIL: expected 1 login, no 429, no failure and at least 90 % of the allowed rate")
	return 1
}
