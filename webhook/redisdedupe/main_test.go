package redisdedupe_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
)

// srv is the package's Redis: REDIS_ADDR, else a redis-server started for
// these tests, else miniredis.
var srv *redisfleettest.Server

func TestMain(m *testing.M) {
	s, err := redisfleettest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redisdedupe tests: no Redis:", err)
		os.Exit(1)
	}
	srv = s
	fmt.Fprintf(os.Stderr, "redisdedupe tests: Redis is %s at %s\n", s.Kind(), s.Addr())
	code := m.Run()
	s.Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
