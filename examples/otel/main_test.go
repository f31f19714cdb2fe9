package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example prints every instrument and the span tree: the calls with
// their attempts, and the shared login and refresh as their own roots,
// linked from the calls that waited for them.
func TestRunPrintsInstrumentsAndSpans(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	for _, want := range []string{
		`(?m)^http\.client\.request\.duration \(s\)$`,
		`\{http\.request\.method=POST http\.response\.status_code=201 server\.address=127\.0\.0\.1 server\.port=\d+ unikyc\.call\.kind=api unikyc\.provider=compliancely\} count=5 `,
		`\{unikyc\.outcome=success unikyc\.provider=compliancely unikyc\.token\.source=login\} count=1 `,
		`(?m)^unikyc\.token\.invalidations \(\{token\}\)\n  \{unikyc\.call\.kind=api unikyc\.provider=compliancely\} 1$`,
		`(?m)^unikyc\.rate_limited \(\{response\}\)\n  \{unikyc\.budget=requests unikyc\.provider=compliancely\} 1$`,
		`(?m)^unikyc\.cooldown\.pause \(s\)\n  \{http\.response\.status_code=429 unikyc\.budget=requests unikyc\.provider=compliancely\} count=1 sum=600$`,
		`(?m)^unikyc\.budget\.wait \(s\)$`,
		`(?m)^unikyc\.budget\.remaining \(\{request\}\)$`,
		`(?m)^create tax exempt \[internal\] http\.response\.status_code=201 link→unikyc\.token event:unikyc\.token\.wait\n  POST \[client\] http\.response\.status_code=201$`,
		`(?m)^unikyc\.token \[internal\] unikyc\.token\.source=login\n  login \[internal\] http\.response\.status_code=200\n    POST \[client\]`,
		`(?m)^  POST \[client\] http\.response\.status_code=429 status=Error\(429\)$`,
		`(?m)^unikyc\.token \[internal\] unikyc\.token\.source=refresh$`,
	} {
		assert.Regexp(t, regexp.MustCompile(want), s)
	}
	assert.NotContains(t, s, "Bearer")
	assert.NotContains(t, s, "/api/")
}
