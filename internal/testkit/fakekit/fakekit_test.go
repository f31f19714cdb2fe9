package fakekit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestWindowModes(t *testing.T) {
	t.Run("Rule: DRF counts a request exactly one window old", func(t *testing.T) {
		clk := clock.NewFake(t0)
		w := NewLimit(clk, Limit{Limit: 2, Window: time.Minute, Mode: SlidingBothEnds})
		for range 2 {
			ok, _ := w.Allow("k")
			require.True(t, ok)
		}
		clk.Advance(time.Minute)
		ok, wait := w.Allow("k")
		assert.False(t, ok, "pacing at exactly N per window draws a 429")
		assert.Equal(t, time.Nanosecond, wait)
		clk.Advance(time.Nanosecond)
		ok, _ = w.Allow("k")
		assert.True(t, ok)
	})
	t.Run("sliding: a request leaves exactly one window after it", func(t *testing.T) {
		clk := clock.NewFake(t0)
		w := NewWindow(clk, 2, time.Minute, 0)
		w.Allow("k")
		w.Allow("k")
		clk.Advance(time.Minute)
		ok, _ := w.Allow("k")
		assert.True(t, ok)
	})
	t.Run("Rule: NestJS blocks from the first refused request", func(t *testing.T) {
		clk := clock.NewFake(t0)
		w := NewLimit(clk, Limit{Limit: 1, Window: time.Minute, Block: 2 * time.Minute})
		w.Allow("k")
		clk.Advance(30 * time.Second)
		ok, wait := w.Allow("k")
		assert.False(t, ok)
		assert.Equal(t, 2*time.Minute, wait)
		clk.Advance(time.Minute) // the first request left the window, the block holds
		ok, wait = w.Allow("k")
		assert.False(t, ok)
		assert.Equal(t, time.Minute, wait)
		clk.Advance(time.Minute)
		ok, _ = w.Allow("k")
		assert.True(t, ok)
	})
	t.Run("fixed window", func(t *testing.T) {
		clk := clock.NewFake(t0)
		w := NewLimit(clk, Limit{Limit: 2, Window: time.Minute, Mode: Fixed})
		w.Allow("k")
		clk.Advance(50 * time.Second)
		w.Allow("k")
		ok, wait := w.Allow("k")
		assert.False(t, ok)
		assert.Equal(t, 10*time.Second, wait)
		clk.Advance(10 * time.Second)
		ok, _ = w.Allow("k")
		assert.True(t, ok)
		ok, _ = w.Allow("other")
		assert.True(t, ok, "per key")
	})
}

func TestRetryAfterHeaders(t *testing.T) {
	h := http.Header{}
	SetRetryAfter(h, "", 1500*time.Millisecond)
	assert.Equal(t, "2", h.Get("Retry-After"))
	h = http.Header{}
	SetRetryAfter(h, "login", time.Hour)
	assert.Equal(t, "3600", h.Get("Retry-After-login"))
	assert.Empty(t, h.Get("Retry-After"), "a named throttler sends no plain Retry-After")
}
