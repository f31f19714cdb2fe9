package redisfleettest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// Cluster is a Redis Cluster for tests: three masters (no replicas) on
// loopback, each a redis-server in cluster mode, the 16384 slots split
// between them. Connect with redis.NewClusterClient(&redis.ClusterOptions{
// Addrs: c.Addrs()}). Without a redis-server on PATH it is one miniredis,
// which answers the cluster commands as a single node owning every slot:
// clients work, but nothing proves keys share a slot (Kind says which).
type Cluster struct {
	kind  string
	nodes []*Server
	mini  *miniredis.Miniredis
	dir   string
}

// StartCluster starts a three-master cluster and returns once every node
// reports the cluster ok.
func StartCluster() (*Cluster, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, err
		}
		return &Cluster{kind: Miniredis, mini: m}, nil
	}
	for try := 1; ; try++ {
		c, err := startCluster(path)
		if err == nil || !portTaken(err) || try == portTries {
			return c, err
		}
	}
}

func startCluster(path string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "redisfleettest-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{kind: RedisServer, dir: dir}
	ports := make([]int, 0, 6)
	for len(ports) < 6 { // a client port and a cluster-bus port per node
		p, err := freePort()
		if err != nil {
			c.Close()
			return nil, err
		}
		ports = append(ports, p)
	}
	for i := range 3 {
		port, bus := strconv.Itoa(ports[2*i]), strconv.Itoa(ports[2*i+1])
		s := &Server{kind: RedisServer, addr: net.JoinHostPort("127.0.0.1", port), extra: []string{
			"--cluster-enabled", "yes", "--cluster-port", bus,
			"--cluster-config-file", filepath.Join(dir, "nodes-"+port+".conf"),
			"--cluster-node-timeout", "5000", "--dir", dir,
		}}
		if err := s.startProcess(path); err != nil {
			c.Close()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
	}
	if err := c.form(ports); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// form gives each node a third of the slots, introduces them to each
// other and waits until all agree.
func (c *Cluster) form(ports []int) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	clients := make([]*redis.Client, len(c.nodes))
	for i, n := range c.nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.addr})
		defer clients[i].Close()
	}
	per := clusterSlots / len(clients)
	for i, rdb := range clients {
		lo, hi := i*per, (i+1)*per-1
		if i == len(clients)-1 {
			hi = clusterSlots - 1
		}
		if err := rdb.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			return fmt.Errorf("redisfleettest: assigning slots: %w", err)
		}
	}
	for i := 1; i < len(clients); i++ {
		err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", ports[2*i], ports[2*i+1]).Err()
		if err != nil {
			return fmt.Errorf("redisfleettest: joining the cluster: %w", err)
		}
	}
	for {
		ready := true
		for _, rdb := range clients {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("redisfleettest: cluster info: %w", err)
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				ready = false
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("redisfleettest: the cluster did not form in time")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Addrs are the masters' host:port.
func (c *Cluster) Addrs() []string {
	if c.mini != nil {
		return []string{c.mini.Addr()}
	}
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.addr
	}
	return out
}

// Kind is RedisServer (three masters) or Miniredis (one node).
func (c *Cluster) Kind() string { return c.kind }

// Close stops every node and removes their files.
func (c *Cluster) Close() {
	if c.mini != nil {
		c.mini.Close()
	}
	for _, n := range c.nodes {
		_ = n.Stop()
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}
