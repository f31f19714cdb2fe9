package kyconnect_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
)

func assertRateLimited(t *testing.T, err error, atMost time.Duration) {
	t.Helper()
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Positive(t, rl.RetryAfter)
	assert.LessOrEqual(t, rl.RetryAfter, atMost)
}
