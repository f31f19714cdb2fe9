// Package retryafter reads how long a server asks a client to wait.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxWait bounds what a server can ask for, so a hostile or broken header
// cannot park a client for years or overflow a Duration.
const maxWait = 24 * time.Hour

// Parse returns the wait a response asks for, from, in order:
// "retry-after-ms" (milliseconds), "Retry-After" as delay-seconds, and
// "Retry-After" as an HTTP-date measured against now. It reports false when
// no header is present or none parses. A date in the past gives 0, true.
func Parse(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < float64(maxWait/time.Millisecond) {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return min(time.Duration(min(secs, int64(maxWait/time.Second)))*time.Second, maxWait), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxWait), true
	}
	return 0, false
}
