// Package redisfleettest gives tests (and demos) of fleet mode a Redis:
// the one at REDIS_ADDR when set, else a real redis-server started from PATH
// on a free loopback port, and only when there is no redis-server at all an
// in-process github.com/alicebob/miniredis/v2.
//
//	srv, err := redisfleettest.Start()
//	...
//	defer srv.Close()
//	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//
// A server this package started can be stopped (killed, as a crash would)
// and restarted on the same address, to test what clients do without Redis.
package redisfleettest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Kinds of server.
const (
	External    = "external"     // REDIS_ADDR: not started, cannot be stopped
	RedisServer = "redis-server" // a redis-server process from PATH
	Miniredis   = "miniredis"    // in process, when there is no redis-server
)

// readyTimeout bounds how long a redis-server may take to accept connections.
const readyTimeout = 10 * time.Second

// Server is a Redis for tests.
type Server struct {
	kind  string
	addr  string
	extra []string // more redis-server arguments (cluster mode)

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  chan struct{} // closed when the process's output is drained
	mini *miniredis.Miniredis
	wire *front // miniredis's clients connect here: Stop cuts them as a kill would
}

// Start returns the Redis at REDIS_ADDR when set, else starts one (see
// StartOwn).
func Start() (*Server, error) {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return &Server{kind: External, addr: addr}, nil
	}
	return StartOwn()
}

// StartOwn starts a Redis this package controls, ignoring REDIS_ADDR: a
// redis-server from PATH on a free loopback port, without persistence, or
// miniredis when there is no redis-server.
func StartOwn() (*Server, error) {
	if path, err := exec.LookPath("redis-server"); err == nil {
		for try := 1; ; try++ {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			s := &Server{kind: RedisServer, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
			err = s.startProcess(path)
			if err == nil {
				return s, nil
			}
			if !portTaken(err) || try == portTries {
				return nil, err
			}
		}
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, err
	}
	w, err := listenFront("127.0.0.1:0", m.Addr())
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Server{kind: Miniredis, addr: w.addr, mini: m, wire: w}, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Kind is External, RedisServer or Miniredis.
func (s *Server) Kind() string { return s.kind }

// Stop kills the server (SIGKILL for redis-server: no goodbye to clients)
// and waits until it is gone. Its data is lost unless it is miniredis.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.kind {
	case External:
		return errors.New("redisfleettest: cannot stop the Redis at REDIS_ADDR")
	case Miniredis:
		// Its clients lose their connections and cannot connect, as with a
		// killed process; the miniredis behind keeps running. Closing it
		// would answer a command in flight with an error (an EVAL: "Error
		// compiling script", a nil dereference) that no killed Redis sends.
		s.wire.close()
		return nil
	}
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Kill()
	<-s.out
	_ = s.cmd.Wait()
	s.cmd = nil
	return nil
}

// Restart starts a stopped server again on the same address.
func (s *Server) Restart() error {
	switch s.kind {
	case External:
		return errors.New("redisfleettest: cannot restart the Redis at REDIS_ADDR")
	case Miniredis:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.wire.open() {
			return nil
		}
		w, err := listenFront(s.addr, s.mini.Addr())
		if err != nil {
			return err
		}
		s.wire = w
		return nil
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	return s.startProcess(path)
}

// Close stops a server this package started; it leaves REDIS_ADDR's alone.
func (s *Server) Close() {
	if s.kind != External {
		_ = s.Stop()
	}
	if s.mini != nil {
		s.mini.Close()
	}
}

// startProcess runs redis-server on s.addr and returns once it logs that it
// accepts connections. Called with s.mu held, or before s is shared.
func (s *Server) startProcess(path string) error {
	_, port, _ := net.SplitHostPort(s.addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "yes", "--daemonize", "no", "--loglevel", "notice"}, s.extra...)
	cmd := exec.Command(path, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisfleettest: starting redis-server: %w", err)
	}
	ready, out := make(chan struct{}), make(chan struct{})
	var log strings.Builder
	go func() {
		defer close(out)
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			if !seen {
				log.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "Ready to accept connections") {
					seen = true
					close(ready)
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-ready:
		s.cmd, s.out = cmd, out
		return nil
	case <-out:
	case <-timer.C:
	}
	_ = cmd.Process.Kill()
	<-out
	_ = cmd.Wait()
	return fmt.Errorf("redisfleettest: redis-server on %s did not become ready:\n%s", s.addr, log.String())
}

// portTries bounds how often a start picks another port after the one it
// picked was taken meanwhile (by another test process, on a busy machine).
const portTries = 5

// portTaken reports a redis-server that could not bind its port.
func portTaken(err error) bool { return strings.Contains(err.Error(), "Address already in use") }

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// front is a TCP relay on the Server's address in front of a miniredis.
type front struct {
	addr     string
	upstream string
	l        net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func listenFront(addr, upstream string) (*front, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	w := &front{addr: l.Addr().String(), upstream: upstream, l: l, conns: map[net.Conn]struct{}{}}
	w.wg.Add(1)
	go w.accept()
	return w, nil
}

func (w *front) accept() {
	defer w.wg.Done()
	for {
		c, err := w.l.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", w.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !w.track(c, u) {
			return
		}
		w.wg.Add(2)
		go w.relay(u, c)
		go w.relay(c, u)
	}
}

// track registers a relayed pair, or closes it when the front is closed.
func (w *front) track(cs ...net.Conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		w.conns[c] = struct{}{}
	}
	return true
}

func (w *front) relay(dst, src net.Conn) {
	defer w.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	w.mu.Lock()
	delete(w.conns, dst)
	delete(w.conns, src)
	w.mu.Unlock()
}

func (w *front) open() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.closed
}

// close stops accepting and cuts every relayed connection at once.
func (w *front) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	_ = w.l.Close()
	for c := range w.conns {
		_ = c.Close()
	}
	w.mu.Unlock()
	w.wg.Wait()
}
