package redisfleet_test

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

// cluster is the package's Redis Cluster: three redis-server masters, or
// one miniredis without redis-server.
var cluster *redisfleettest.Cluster

func TestMain(m *testing.M) {
	s, err := redisfleettest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redisfleet tests: no Redis:", err)
		os.Exit(1)
	}
	srv = s
	fmt.Fprintf(os.Stderr, "redisfleet tests: Redis is %s at %s\n", s.Kind(), s.Addr())
	c, err := redisfleettest.StartCluster()
	if err != nil {
		s.Close()
		fmt.Fprintln(os.Stderr, "redisfleet tests: no Redis Cluster:", err)
		os.Exit(1)
	}
	cluster = c
	fmt.Fprintf(os.Stderr, "redisfleet tests: Redis Cluster is %s at %v\n", c.Kind(), c.Addrs())
	code := m.Run()
	c.Close()
	s.Close()
	if code == 0 {
		// go-redis redials a server it lost once a second, on a goroutine
		// that sees its client closed only when it wakes: give it a few of
		// goleak's rounds (each well under a second) to end.
		err := goleak.Find()
		for i := 0; err != nil && i < 3; i++ {
			err = goleak.Find()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
