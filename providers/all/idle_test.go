package all_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/kyconnect"
)

// idleClients makes one idle client of each provider (no request sent):
// the budgets they declare are their own (iDenfy: 10,000 an hour).
var idleClients = []struct {
	name string
	make func() (interface{ Close() error }, error)
}{
	{"idenfy", func() (interface{ Close() error }, error) {
		return idenfy.New(idenfy.Config{APIKey: "key", APISecret: "secret"})
	}},
	{"compliancely", func() (interface{ Close() error }, error) {
		return compliancely.New(compliancely.Config{Username: "u", Password: "pw"})
	}},
	{"kyconnect", func() (interface{ Close() error }, error) {
		return kyconnect.New(kyconnect.Config{BaseURL: "https://k.example.com/api/v1", Email: "a@example.com", Password: "pw"})
	}},
	{"icomply", func() (interface{ Close() error }, error) {
		return icomply.New(icomply.Config{Username: "u", Password: "pw"})
	}},
	{"genericjwt", func() (interface{ Close() error }, error) {
		return genericjwt.New(genericjwt.Config{BaseURL: "https://kyc.example.com", Username: "u", Password: "pw"})
	}},
}

// idle makes n idle clients with mk and returns the heap they hold each and
// the time New took each.
func idle(tb testing.TB, n int, mk func() (interface{ Close() error }, error)) (bytes uint64, perNew time.Duration) {
	keep := make([]interface{ Close() error }, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range keep {
		c, err := mk()
		require.NoError(tb, err)
		keep[i] = c
	}
	perNew = time.Since(start) / time.Duration(n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc {
		bytes = (after.HeapAlloc - before.HeapAlloc) / uint64(n)
	}
	for _, c := range keep {
		_ = c.Close()
	}
	return bytes, perNew
}

// Rule: memory grows with use, not with the budget's limit: an idle client
// of any provider holds at most 16 KiB, whatever its limits.
func TestRuleAnIdleClientHoldsAtMost16KiB(t *testing.T) {
	for _, p := range idleClients {
		t.Run(p.name, func(t *testing.T) {
			bytes, _ := idle(t, 200, p.make)
			assert.LessOrEqual(t, bytes, uint64(16<<10), "bytes held by an idle %s client", p.name)
		})
	}
}

// BenchmarkIdleClients measures, per idle client, the heap it holds
// (B/client) and the time New takes (ns/new), at 1,000 and 10,000 clients
// of each provider: a platform holding many accounts.
func BenchmarkIdleClients(b *testing.B) {
	for _, p := range idleClients {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("provider=%s/clients=%d", p.name, n), func(b *testing.B) {
				var bytes uint64
				var perNew time.Duration
				for b.Loop() {
					bytes, perNew = idle(b, n, p.make)
				}
				b.ReportMetric(float64(bytes), "B/client")
				b.ReportMetric(float64(perNew.Nanoseconds()), "ns/new")
			})
		}
	}
}
