package tokencache_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/tokencache"
)

type hookKey struct{}

// Rule: FlightHooks see each flight: Start derives the context the login
// runs on (from one that carries no caller's value), Join gets each
// waiting caller's context with the flight's, End the source.
func TestFlightHooksFollowOneLogin(t *testing.T) {
	var (
		mu      sync.Mutex
		joined  []string
		sources []string
		inLogin []any
	)
	c := tokencache.New(func(ctx context.Context) (*auth.Token, error) {
		mu.Lock()
		inLogin = append(inLogin, ctx.Value(hookKey{}))
		mu.Unlock()
		return &auth.Token{AccessToken: "a"}, nil
	}, withFlightHooks(tokenseam.FlightHooks{
		Start: func(ctx context.Context) context.Context {
			assert.Nil(t, ctx.Value(hookKey{}), "a flight starts from no caller's context")
			return context.WithValue(ctx, hookKey{}, "flight")
		},
		Join: func(caller, flight context.Context) {
			mu.Lock()
			joined = append(joined, caller.Value(hookKey{}).(string)+"/"+flight.Value(hookKey{}).(string))
			mu.Unlock()
		},
		End: func(ctx context.Context, source string, err error) {
			assert.NoError(t, err)
			assert.Equal(t, "flight", ctx.Value(hookKey{}))
			mu.Lock()
			sources = append(sources, source)
			mu.Unlock()
		},
	}))
	defer c.Close()
	_, err := c.Token(context.WithValue(context.Background(), hookKey{}, "caller"))
	require.NoError(t, err)
	_, err = c.Token(context.Background()) // cached: no flight
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"caller/flight"}, joined)
	assert.Equal(t, []any{"flight"}, inLogin)
	assert.Equal(t, []string{"login"}, sources)
}
