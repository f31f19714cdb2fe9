package redisfleet

import "github.com/unikyc/unikyc/providers"

// APICallsQueued reports how many API calls of this replica wait for the
// turn to ask Redis: a test knows from it that an API call stepped aside
// for a token call.
func APICallsQueued(l providers.Limiter) int {
	fl := l.(*Limiter)
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return len(fl.queue[1])
}
