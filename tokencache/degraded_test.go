package tokencache_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/tokencache"
)

// degradedStore is a shared store that can be degraded, as fleet mode's
// is while Redis is away.
type degradedStore struct {
	tokencache.Store
	down atomic.Bool
}

func (s *degradedStore) Degraded() bool { return s.down.Load() }

// Rule: while the shared store is degraded, a cache with a valid token
// puts off the refresh its soft window starts until the narrowest soft
// window that leaves room for it (every replica would log in on its own);
// with the store back, the soft window refreshes as usual.
func TestDegradedStorePutsOffTheSoftRefresh(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	store := &degradedStore{Store: tokencache.NewMemoryStore()}
	sources := make(chan string, 8)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.WithStore(store, "k"), tokencache.WithSoftWindow(15*time.Minute),
		tokencache.WithHardWindow(10*time.Second), tokencache.WithMinSoftWindow(time.Minute),
		withFlightHooks(tokenseam.FlightHooks{End: func(_ context.Context, source string, err error) {
			assert.NoError(t, err)
			sources <- source
		}}))
	first, err := c.Token(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, p.logins.Load())

	store.down.Store(true)
	clk.Set(t0.Add(45 * time.Minute)) // the soft window opens: its timer starts a flight
	assert.Equal(t, "login", <-sources)
	assert.Equal(t, "deferred", <-sources, "the soft window's flight put the refresh off")
	eventually(t, func() bool { return !c.Refreshing() })
	got, err := c.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, got.AccessToken, "the current token serves on")
	assert.EqualValues(t, 0, p.refreshes.Load()+p.logins.Load()-1, "no refresh, no login")

	clk.Set(t0.Add(58*time.Minute + 59*time.Second))
	assert.False(t, c.Refreshing(), "still put off")
	clk.Set(t0.Add(59 * time.Minute)) // a minute before expiry: the narrowest soft window
	assert.Equal(t, "refresh", <-sources)
	eventually(t, func() bool { return !c.Refreshing() })
	got, err = c.Token(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, got.AccessToken)
	assert.EqualValues(t, 1, p.logins.Load())
}

// With the store shared, nothing is put off.
func TestSharedStoreRefreshesInTheSoftWindow(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	store := &degradedStore{Store: tokencache.NewMemoryStore()}
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.WithStore(store, "k"), tokencache.WithSoftWindow(15*time.Minute),
		tokencache.WithMinSoftWindow(time.Minute))
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	clk.Set(t0.Add(45 * time.Minute))
	eventually(t, func() bool { return p.refreshes.Load() == 1 && !c.Refreshing() })
}
