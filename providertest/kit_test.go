package providertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFake(t *testing.T, inMemory bool) (*Kit, *Knobs, string) {
	kit := NewKit(clock.NewFake(t0))
	k := NewKnobs(kit, func(int) []byte { return []byte(`{"detail":"fault"}`) }, nil)
	url := kit.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			kit.Counts.Inc(CountLogins)
		}
		SetAccount(r, "acct")
		b, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(map[string]string{"echo": string(b)})
	}), inMemory)
	t.Cleanup(kit.Close)
	return kit, k, url
}

func get(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := c.Post(url, "text/plain", strings.NewReader("hi"))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestKnobsAndCounters(t *testing.T) {
	_, k, url := newFake(t, false)
	c := k.Client()
	k.RateLimitNext("/a", 1, "7")
	k.RateLimitNextNamed("", 1, "login", "60")
	k.UnavailableNext("", 1, "3")
	r := get(t, c, url+"/a")
	assert.Equal(t, 429, r.StatusCode)
	assert.Equal(t, "7", r.Header.Get("Retry-After"))
	r = get(t, c, url+"/b")
	assert.Equal(t, 429, r.StatusCode)
	assert.Equal(t, "60", r.Header.Get("Retry-After-login"))
	assert.Empty(t, r.Header.Get("Retry-After"))
	r = get(t, c, url+"/b")
	assert.Equal(t, 503, r.StatusCode)
	assert.Equal(t, "3", r.Header.Get("Retry-After"))
	assert.Equal(t, 200, get(t, c, url+"/login").StatusCode)

	assert.Equal(t, 4, k.Requests())
	assert.Equal(t, 3, k.Faults())
	assert.Equal(t, 2, k.Calls("/b"))
	assert.Equal(t, 1, k.Logins())
	assert.Equal(t, 4, k.MaxRequestsIn("", 0), "all on one instant of the fake clock")
	hits := k.Hits()
	require.Len(t, hits, 4)
	assert.True(t, hits[0].Fault)
	assert.Equal(t, 503, hits[2].Status)
	assert.Equal(t, "acct", hits[3].Account)
	k.ResetCounts()
	assert.Zero(t, k.Requests())
	assert.Empty(t, k.Hits())
}

func TestTransportInSynctestBubble(t *testing.T) {
	_, k, url := newFake(t, true)
	synctest.Test(t, func(t *testing.T) {
		c := k.Client()
		k.DelayNext("", 1, time.Hour)
		start := time.Now()
		r := get(t, c, url+"/x")
		assert.Equal(t, 200, r.StatusCode)
		assert.Equal(t, time.Hour, time.Since(start), "the delay ran on the bubble's clock")

		k.DelayNext("", 1, time.Hour)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/y", nil)
		_, err := c.Do(req)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	assert.Equal(t, 2, k.Requests())
}

// Rule: NewClock's watch ends with the test (TestMain's leak check would
// find its goroutine otherwise) and leaves a driven call alone.
func TestNewClockDrivenCallIsNotReported(t *testing.T) {
	clk := NewClock(t, t0, 20*time.Millisecond)
	moves := clk.Drive(func() {
		for range 3 {
			_ = clock.Sleep(context.Background(), clk, time.Minute)
			time.Sleep(30 * time.Millisecond) // real work, longer than the grace
		}
	})
	assert.Equal(t, 3, moves)
}

// Rule: a call on NewClock's clock that nothing moves fails the test
// binary, naming the test, in about the grace. Run in a child process, as
// a user's test would fail.
func TestNewClockFailsAForgottenDrive(t *testing.T) {
	if os.Getenv("UNIKYC_STUCK_CHILD") == "1" {
		clk := NewClock(t, t0, 50*time.Millisecond)
		_ = clock.Sleep(context.Background(), clk, 6*time.Second) // forgot clk.Drive
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNewClockFailsAForgottenDrive$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "UNIKYC_STUCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child must fail: %s", out)
	assert.Contains(t, string(out), "panic: unikyc: TestNewClockFailsAForgottenDrive: a call is waiting 6s on clock.Fake")
}
