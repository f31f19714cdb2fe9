package providers_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Rule: nothing leaves after Close. 64 callers looping on HTTPClient each
// end with ErrClosed, Close returns within a second under that load, and
// the server sees no request once Close has returned.
func TestNothingLeavesAfterClose(t *testing.T) {
	e := setup(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	giveUp := make(chan struct{}) // closed a second after Close: the test fails, not hangs
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-giveUp:
					errs <- errors.New("still sending a second after Close")
					return
				default:
				}
				resp, err := e.get(context.Background(), t)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool { return e.fake.calls.Load() > 200 }, 10*time.Second, time.Millisecond)

	start := time.Now()
	require.NoError(t, e.conn.Close())
	assert.Less(t, time.Since(start), time.Second, "Close returns within a second under load")
	sent := e.fake.calls.Load()
	time.AfterFunc(time.Second, func() { close(giveUp) })
	wg.Wait()
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, sent, e.fake.calls.Load(), "a request left after Close returned")
	close(errs)
	for err := range errs {
		assert.True(t, errors.Is(err, providers.ErrClosed), "every caller ends with ErrClosed, got %v", err)
	}
}

// Rule: a call waiting on a limiter the client did not make (WithLimiter,
// which Close does not close) returns ErrClosed when the client closes,
// at once, and is never sent.
func TestCloseEndsAWaitOnTheUsersLimiter(t *testing.T) {
	admit := make(chan struct{})
	e := setup(t, providers.WithLimiter(limiterFunc(func(ctx context.Context, _ ratelimit.Priority) error {
		select {
		case <-admit:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})))
	defer close(admit)
	done := make(chan error, 1)
	go func() {
		_, err := e.get(context.Background(), t)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // the call (its login first) waits on the limiter
	require.NoError(t, e.conn.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, providers.ErrClosed)
	case <-time.After(time.Second):
		t.Fatal("a call waiting on the user's limiter outlived Close by a second")
	}
	assert.Zero(t, e.fake.calls.Load(), "nothing sent")
}
