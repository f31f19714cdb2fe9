package idenfy_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/providers/otelunikyc"
)

// iDenfy's throttle as a 400 counts as a rate-limited answer in
// unikyc.rate_limited, as a 429 does.
func TestThrottleAs400CountsAsRateLimited(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	srv, c, _ := setup(t, nil, otelunikyc.WithMeterProvider(mp))
	srv.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeTooManyRequests, "Too many requests.")
	short, cancel := context.WithTimeout(ctx(t), time.Second) // shorter than the pause: no retry
	defer cancel()
	_, err := c.Status(short, "x")
	require.ErrorIs(t, err, providers.ErrRateLimited)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	var got int64
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "unikyc.rate_limited" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				got += dp.Value
				found = true
			}
		}
	}
	require.True(t, found, "unikyc.rate_limited recorded")
	assert.EqualValues(t, 1, got)
	assert.EqualValues(t, 1, srv.Requests())
}
