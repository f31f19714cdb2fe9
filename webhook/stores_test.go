package webhook_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/webhook"
)

// storeContract is what every DedupeStore does; expire makes the claim
// of key older than ttl (moving a clock, or a file's time).
func storeContract(t *testing.T, s webhook.DedupeStore, expire func(key string)) {
	ctx := context.Background()
	ok, err := s.Claim(ctx, "scan-1/AUTO", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "a new key is free")
	ok, err = s.Claim(ctx, "scan-1/AUTO", time.Hour)
	require.NoError(t, err)
	assert.False(t, ok, "a held key is not")
	ok, err = s.Claim(ctx, "scan-1/MANUAL", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "another key is free")

	require.NoError(t, s.Release(ctx, "scan-1/AUTO"))
	require.NoError(t, s.Release(ctx, "never-claimed"))
	ok, err = s.Claim(ctx, "scan-1/AUTO", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "a released key is free again")

	expire("scan-1/MANUAL")
	ok, err = s.Claim(ctx, "scan-1/MANUAL", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "an expired claim is free")

	// Of concurrent claimers of one key, exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Claim(ctx, "raced", time.Hour)
			assert.NoError(t, err)
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

func TestMemoryStore(t *testing.T) {
	clk := clock.NewFake(t0)
	s := webhook.NewMemoryStore(0, clk)
	storeContract(t, s, func(string) { clk.Advance(time.Hour) })
}

// Rule: the memory store is bounded: at the cap the oldest claim goes.
func TestMemoryStoreIsBounded(t *testing.T) {
	clk := clock.NewFake(t0)
	s := webhook.NewMemoryStore(3, clk)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		ok, _ := s.Claim(ctx, k, time.Hour)
		require.True(t, ok)
		clk.Advance(time.Second)
	}
	assert.Equal(t, 3, s.Len())
	ok, _ := s.Claim(ctx, "a", time.Hour)
	assert.True(t, ok, "the oldest was forgotten")
	ok, _ = s.Claim(ctx, "d", time.Hour)
	assert.False(t, ok, "the newest is kept")
	clk.Advance(2 * time.Hour)
	ok, _ = s.Claim(ctx, "x", time.Hour)
	assert.True(t, ok)
	assert.Equal(t, 1, s.Len(), "expired claims are dropped")
}

// claimFiles lists dir's file names.
func claimFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string]bool{}
	for _, e := range es {
		m[e.Name()] = true
	}
	return m
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	s, err := webhook.NewFileStore(filepath.Join(dir, "dedupe"))
	require.NoError(t, err)
	// Files are named by hash, so find the file a claim made by listing.
	var mu sync.Mutex
	files := map[string]string{}
	storeContract(t, &fileSpy{FileStore: s, dir: filepath.Join(dir, "dedupe"), files: files, mu: &mu}, func(key string) {
		mu.Lock()
		defer mu.Unlock()
		old := time.Now().Add(-2 * time.Hour)
		require.NoError(t, os.Chtimes(files[key], old, old))
	})
	fi, err := os.Stat(filepath.Join(dir, "dedupe"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	for name := range claimFiles(t, filepath.Join(dir, "dedupe")) {
		assert.Regexp(t, `^[0-9a-f]{64}\.claim$`, name, "names show no key")
		assert.NotContains(t, name, "scan")
	}
}

// fileSpy records which file each key's first claim created.
type fileSpy struct {
	*webhook.FileStore
	dir   string
	mu    *sync.Mutex
	files map[string]string
}

func (f *fileSpy) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before := map[string]bool{}
	if _, seen := f.files[key]; !seen {
		es, _ := os.ReadDir(f.dir)
		for _, e := range es {
			before[e.Name()] = true
		}
	}
	ok, err := f.FileStore.Claim(ctx, key, ttl)
	if _, seen := f.files[key]; !seen && ok {
		es, _ := os.ReadDir(f.dir)
		for _, e := range es {
			if !before[e.Name()] {
				f.files[key] = filepath.Join(f.dir, e.Name())
			}
		}
	}
	return ok, err
}

// Rule: two stores on one directory (two processes of one host) dedupe
// together.
func TestFileStoresShareADirectory(t *testing.T) {
	dir := t.TempDir()
	a, err := webhook.NewFileStore(dir)
	require.NoError(t, err)
	b, err := webhook.NewFileStore(dir)
	require.NoError(t, err)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			if ok, err := s.Claim(context.Background(), "k", time.Hour); err == nil && ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

// Rule: an expired claim taken over by many at once goes to one.
func TestFileStoreExpiredTakeoverGoesToOne(t *testing.T) {
	dir := t.TempDir()
	s, err := webhook.NewFileStore(dir)
	require.NoError(t, err)
	ok, err := s.Claim(context.Background(), "k", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	old := time.Now().Add(-2 * time.Hour)
	for name := range claimFiles(t, dir) {
		require.NoError(t, os.Chtimes(filepath.Join(dir, name), old, old))
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.Claim(context.Background(), "k", time.Hour); err == nil && ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

// Rule: the file store never follows a link: a symlink planted at a claim
// path is an error, and its target is neither created nor removed.
func TestFileStoreRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	s, err := webhook.NewFileStore(dir)
	require.NoError(t, err)
	ok, err := s.Claim(context.Background(), "k", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	var claim string
	for name := range claimFiles(t, dir) {
		claim = filepath.Join(dir, name)
	}
	target := filepath.Join(t.TempDir(), "target")
	require.NoError(t, os.WriteFile(target, []byte("precious"), 0o600))
	require.NoError(t, os.Remove(claim))
	require.NoError(t, os.Symlink(target, claim))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(target, old, old))

	_, err = s.Claim(context.Background(), "k", time.Hour)
	require.ErrorContains(t, err, "not a regular file")
	assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"))
	require.ErrorContains(t, s.Release(context.Background(), "k"), "not a regular file")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))

	dangling := filepath.Join(t.TempDir(), "nothing-here")
	require.NoError(t, os.Remove(claim))
	require.NoError(t, os.Symlink(dangling, claim))
	_, err = s.Claim(context.Background(), "k", time.Hour)
	require.Error(t, err)
	assert.NoFileExists(t, dangling, "a dangling link's target is not created")
}

func TestFileStorePurge(t *testing.T) {
	dir := t.TempDir()
	s, err := webhook.NewFileStore(dir)
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c"} {
		ok, err := s.Claim(context.Background(), k, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600))
	old := time.Now().Add(-2 * time.Hour)
	for name := range claimFiles(t, dir) {
		require.NoError(t, os.Chtimes(filepath.Join(dir, name), old, old))
	}
	n, err := s.Purge(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, map[string]bool{"notes.txt": true}, claimFiles(t, dir), "only claim files are swept")
}

func TestNewFileStoreRefusesBadDirectories(t *testing.T) {
	_, err := webhook.NewFileStore(" ")
	require.Error(t, err)
	f := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	_, err = webhook.NewFileStore(f)
	require.Error(t, err)
}

// A Receiver on a file store dedupes replays.
func TestReceiverOnFileStore(t *testing.T) {
	s, err := webhook.NewFileStore(t.TempDir())
	require.NoError(t, err)
	var calls atomic.Int32
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error { calls.Add(1); return nil },
		webhook.WithStore(s))
	for range 3 {
		assert.Equal(t, 200, deliver(r, sign(key1, autoBody), autoBody))
	}
	assert.Equal(t, int32(1), calls.Load())
}
