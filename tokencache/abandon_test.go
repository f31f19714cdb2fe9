package tokencache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/tokencache"
)

// Rule: a login that a pause stops because none of its callers could wait
// serves no one who comes after: a caller that arrives while it winds
// down gets a login of its own, and the stopped one's failure does not
// replace the token the new one brought.
func TestACallerAfterAnAbandonedLoginGetsItsOwn(t *testing.T) {
	clk := clock.NewFake(t0)
	errPaused := errors.New("paused for 30 s")
	var logins atomic.Int64
	windDown := make(chan struct{})
	var release sync.Once
	stopped := make(chan struct{})
	var c *tokencache.Cache
	login := func(ctx context.Context) (*auth.Token, error) {
		if logins.Add(1) == 1 {
			// The provider's pause comes once the caller waits for the
			// login (a pause before anyone waits lets each decide as it comes).
			eventually(t, func() bool { return c.Waiting() == 1 })
			if tokenseam.Pause(ctx, 30*time.Second, errPaused) {
				t.Error("the only caller's deadline is 1 s: nobody can wait 30 s")
			}
			close(stopped)
			<-windDown // still on its way out when the next caller comes
			return nil, errPaused
		}
		return &auth.Token{AccessToken: "fresh", Expiry: clk.Now().Add(time.Hour)}, nil
	}
	c = tokencache.New(login, tokencache.WithClock(clk), tokencache.WithJitter(0))
	t.Cleanup(func() { _ = c.Close() })
	t.Cleanup(func() { release.Do(func() { close(windDown) }) }) // runs first: Close waits for the login

	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.Token(short)
	require.ErrorIs(t, err, errPaused, "told at once")
	<-stopped

	later, cancelLater := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelLater()
	tok, err := c.Token(later) // not the stopped login's caller
	require.NoError(t, err, "a login of its own, not the stopped one's pause")
	assert.Equal(t, "fresh", tok.AccessToken)
	assert.EqualValues(t, 2, logins.Load())

	release.Do(func() { close(windDown) })
	eventually(t, func() bool { return !c.Refreshing() })
	tok, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "fresh", tok.AccessToken, "the stopped login's failure replaced nothing")
	assert.EqualValues(t, 2, logins.Load())
}

// Rule: a caller told to retry after a pause is not refused when it does.
// The stopped login's failure counts its backoff from the moment its
// callers were told, not from when the login finished winding down: here
// the pause (on the fake clock) is over before it has, and the caller that
// waited it out gets a login, not the stale pause error.
func TestACallerThatWaitedOutThePauseIsNotRefused(t *testing.T) {
	clk := clock.NewFake(t0)
	errPaused := errors.New("paused for 30 s")
	var logins atomic.Int64
	windDown := make(chan struct{})
	var release sync.Once
	var c *tokencache.Cache
	login := func(ctx context.Context) (*auth.Token, error) {
		if logins.Add(1) == 1 {
			eventually(t, func() bool { return c.Waiting() == 1 })
			tokenseam.Pause(ctx, 30*time.Second, errPaused)
			<-windDown // the caller is told; the login ends after the pause
			return nil, errPaused
		}
		return &auth.Token{AccessToken: "fresh", Expiry: clk.Now().Add(time.Hour)}, nil
	}
	c = tokencache.New(login, tokencache.WithClock(clk), tokencache.WithJitter(0))
	t.Cleanup(func() { _ = c.Close() })
	t.Cleanup(func() { release.Do(func() { close(windDown) }) })

	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.Token(short)
	require.ErrorIs(t, err, errPaused, "told at once")

	clk.Advance(30 * time.Second) // the caller waits the pause out
	release.Do(func() { close(windDown) })
	eventually(t, func() bool { return c.Stats().Failures == 1 && !c.Refreshing() })

	tok, err := c.Token(context.Background())
	require.NoError(t, err, "the pause is over: a login, not the stopped one's error")
	assert.Equal(t, "fresh", tok.AccessToken)
	assert.EqualValues(t, 2, logins.Load())
}
