package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
pkg: github.com/unikyc/unikyc/tokencache
cpu: Test CPU
BenchmarkCachedToken/unikyc-2   	100	 2.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkCachedToken/oauth2.ReuseTokenSource-2   	100	 20.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkScale/goroutines=1/unikyc-2   	100	 4.0 ns/op
BenchmarkScale/goroutines=64/unikyc-2   	100	 2.0 ns/op
PASS
pkg: github.com/unikyc/unikyc/redisfleet
BenchmarkStore/baseline=local-2   	100	 100 ns/op	 16 B/op	 1 allocs/op
BenchmarkStore/store=redis-2   	100	 900 ns/op	 160 B/op	 5 allocs/op
pkg: github.com/unikyc/unikyc/tokencache
BenchmarkCachedToken/unikyc-2   	100	 3.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkCachedToken/oauth2.ReuseTokenSource-2   	100	 20.0 ns/op	 0 B/op	 0 allocs/op
`

func TestReport(t *testing.T) {
	r, err := Parse(strings.NewReader(sample), module)
	require.NoError(t, err)
	assert.Equal(t, "Test CPU", r.CPU)
	b := r.Get("tokencache.BenchmarkCachedToken/unikyc")
	require.NotNil(t, b)
	assert.Len(t, b.Samples, 2, "rounds accumulate")

	pairs := Pairs(r)
	require.Len(t, pairs, 2)
	assert.Equal(t, "BenchmarkCachedToken/oauth2.ReuseTokenSource", pairs[0].Baseline.Name)
	ratio, spread := pairs[0].Ratio()
	assert.InDelta(t, 0.125, ratio, 1e-9, "median of 2/20 and 3/20")
	assert.InDelta(t, 0.2, spread, 1e-9)
	assert.Equal(t, "BenchmarkStore/baseline=local", pairs[1].Baseline.Name, "baseline= names the baseline")
	assert.Equal(t, "BenchmarkStore/store=redis", pairs[1].Candidate.Name)

	series := Scaling(r)
	require.Len(t, series, 1)
	assert.Equal(t, []int{1, 64}, series[0].Sizes)

	var out bytes.Buffer
	Write(&out, r, &Run{FromFile: "bench.txt", Machine: [][2]string{{"CPU", "Test CPU"}}})
	md := out.String()
	assert.Contains(t, md, "| tokencache.BenchmarkCachedToken | unikyc | oauth2.ReuseTokenSource | 2.50 ± 20% | 20.0 ± 0% | **0.125×** ± 20% | 0 B, 0 allocs | 0 B, 0 allocs |")
	assert.Contains(t, md, "| 64 | 2.00 ± 0% | 0.500× | – B, – allocs |")
	assert.Contains(t, md, "Local against Redis (`redisfleet`), in the first table: `BenchmarkStore/store=redis`.")
	assert.Contains(t, md, "No fleet benchmark with a `replicas=N` element")
}

func TestKnownBaselines(t *testing.T) {
	r, err := Parse(strings.NewReader("pkg: "+module+"/redisfleet\n"+
		"BenchmarkLimiterWait/local-2 10 100 ns/op\nBenchmarkLimiterWait/shared-2 10 50000 ns/op\n"+
		"BenchmarkStoreRoundTrip/memory-2 10 500 ns/op\nBenchmarkStoreRoundTrip/redis-2 10 90000 ns/op\n"+
		"BenchmarkStoreRoundTrip/redis-encrypted-2 10 95000 ns/op\n"), module)
	require.NoError(t, err)
	pairs := Pairs(r)
	require.Len(t, pairs, 3)
	for _, p := range pairs {
		_, base := split(p.Baseline.Name)
		assert.Contains(t, []string{"local", "memory"}, base)
	}
	ratio, _ := pairs[0].Ratio()
	assert.Equal(t, 500.0, ratio)
}

func TestMedian(t *testing.T) {
	m, s := median([]float64{1, 2, 3, 10})
	assert.Equal(t, 2.5, m)
	assert.InDelta(t, 3, s, 1e-9)
	m, s = median(nil)
	assert.Zero(t, m+s)
}
