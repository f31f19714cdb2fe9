package idenfy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
)

// Rule: at most 10,000 requests an hour. The default budget lets a burst
// use the unused hour, and holds the 10,001st request until the first one
// is more than an hour (plus the margin) old.
func TestDefaultBudgetIsDocumentedLimit(t *testing.T) {
	b := idenfy.DocumentedBudget
	assert.Equal(t, 10000, b.Limit)
	assert.Equal(t, time.Hour, b.Window)
	assert.Greater(t, b.Span(), time.Hour, "a margin beyond the server's window")

	srv, c, clk := setup(t, nil)
	const n = 50
	cx := ctx(t)
	start := clk.Now()
	for range n {
		_, _ = c.Status(cx, "unknown") // the fake answers 404; only pacing matters
	}
	assert.Equal(t, n, srv.Calls(idenfytest.PathStatus))
	assert.Equal(t, start, clk.Now(), "a burst well inside the budget waits for nothing")
}
