//go:build unix

package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rule: SIGTERM (what docker stop and CI runners send) and SIGINT stop
// the fakes cleanly, exit 0. The command has its handler in place before
// it prints the environment, so the signal reaches it, not the test
// binary's default action.
func TestFakesStopOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		r := startFakesCmd(t)
		addr := strings.TrimPrefix(r.env[adminURLVar], "http://")
		addr, _, _ = strings.Cut(addr, "/")
		require.NoError(t, syscall.Kill(syscall.Getpid(), sig))
		select {
		case code := <-r.done:
			r.done <- code
			assert.Equal(t, exitOK, code, sig.String())
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not stop the fakes", sig)
		}
		assert.Contains(t, r.stderr.String(), "unikyc fakes: stopping")
		_, err := net.DialTimeout("tcp", addr, time.Second)
		assert.Error(t, err, "the admin port is closed")
	}
}
