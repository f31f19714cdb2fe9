package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestFleetDemoBehavesAsOneClient(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	code := Main(&out, Settings{Replicas: 3, Goroutines: 10, Duration: 3 * time.Second})
	if code != 0 || !strings.Contains(out.String(), "the fleet behaved as one client") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if strings.Count(out.String(), "shared") != 3 {
		t.Errorf("every replica should end in shared mode:\n%s", out.String())
	}
}
