package filestore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// run is one run of a program that starts, makes one call and exits: a new
// Store (nothing shared in memory with the runs before), a new client, one
// call driven on the fake clock, Close.
func run(t *testing.T, clk *clock.Fake, path string, call func(opts ...providers.Option) error) {
	t.Helper()
	store := newStore(t, path, key1, filestore.WithClock(clk))
	var err error
	clk.Drive(func() { err = call(providers.WithStore(store), providers.WithClock(clk)) })
	require.NoError(t, err)
}

// Rule: a program run every minute for an hour, against 15-minute tokens
// without refresh, logs in once per token life: 4 times, not 60.
func TestSixtyRunsLogInOncePerTokenLife(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk), genericjwttest.WithTokenLifetime(15*time.Minute))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "tokens")
	for range 60 {
		run(t, clk, path, func(opts ...providers.Option) error {
			c, err := genericjwt.New(srv.Config(), opts...)
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Me(context.Background())
			return err
		})
		clk.Advance(time.Minute)
	}
	assert.Equal(t, 4, srv.Logins())
	assert.Equal(t, 60, srv.Calls(genericjwt.DefaultMePath))
	assert.Zero(t, srv.Rejected(), "no run sent an expired token")
	t.Logf("60 runs, 15-minute tokens: %d logins", srv.Logins())
}

// Rule: with a refresh-token provider the same hour needs the first login
// only; every later token comes from the stored refresh token.
func TestSixtyRunsRefreshInsteadOfLoggingIn(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "tokens")
	for range 60 {
		run(t, clk, path, func(opts ...providers.Option) error {
			c, err := kyconnect.New(srv.Config(), opts...)
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Me(context.Background())
			return err
		})
		clk.Advance(time.Minute)
	}
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 3, srv.Refreshes(), "one per later token life")
	assert.Equal(t, 60, srv.Calls(kyconnect.MePath))
	t.Logf("60 runs, 15-minute tokens with refresh: %d login, %d refreshes", srv.Logins(), srv.Refreshes())
}

// The child side of TestTwoProcessesShareOneLogin: this test binary run
// again with childEnv set.
const childEnv = "UNIKYC_FILESTORE_TEST_CHILD"

func childMain() int {
	barrier := os.Getenv("CHILD_GO")
	_ = os.WriteFile(os.Getenv("CHILD_READY"), nil, 0o600)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(barrier); err == nil {
			break
		} else if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "no start signal")
			return 3
		}
	}
	store, err := filestore.New() // UNIKYC_TOKEN_STORE, UNIKYC_TOKEN_KEY
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := genericjwt.New(genericjwt.Config{BaseURL: os.Getenv("CHILD_URL"), Username: genericjwttest.DefaultUsername,
		Password: genericjwttest.DefaultPassword}, providers.WithStore(store))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	if _, err := c.Me(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Rule: two processes that start together on one host share one login: the
// second waits on the lock file, then takes the first one's token.
func TestTwoProcessesShareOneLogin(t *testing.T) {
	srv := genericjwttest.NewServer() // real clock: the processes run in real time
	defer srv.Close()
	srv.DelayNext(genericjwt.DefaultLoginPath, 2, 300*time.Millisecond) // both would be in flight at once
	dir := t.TempDir()
	barrier := filepath.Join(dir, "go")
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "CHILD_GO="+barrier, "CHILD_URL="+srv.URL,
			fmt.Sprintf("CHILD_READY=%s/ready-%d", dir, i),
			filestore.EnvPath+"="+filepath.Join(dir, "tokens"), filestore.EnvKey+"="+strings.Repeat("01", 32))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i := range 2 {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(fmt.Sprintf("%s/ready-%d", dir, i)); err == nil {
				break
			}
			require.False(t, time.Now().After(deadline), "child %d did not start", i)
		}
	}
	require.NoError(t, os.WriteFile(barrier, nil, 0o600))
	for i, cmd := range cmds {
		assert.NoError(t, cmd.Wait(), "child %d: %s", i, outs[i])
	}
	assert.Equal(t, 1, srv.LoginAttempts(), "one login for both processes")
	assert.Equal(t, 2, srv.Calls(genericjwt.DefaultMePath))
	t.Logf("two processes started together: %d login", srv.LoginAttempts())
}
