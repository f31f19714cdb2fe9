package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestQuickstartPassesAndReportsEveryProvider(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	code := Main(&out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	for _, p := range []string{"genericjwt", "icomply", "idenfy"} {
		if !strings.Contains(out.String(), p) {
			t.Errorf("no row for %s:\n%s", p, out.String())
		}
	}
	if strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "every provider behaved as documented") {
		t.Errorf("report not clean:\n%s", out.String())
	}
}
