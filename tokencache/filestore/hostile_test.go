package filestore_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/internal/tokenseal"
	"github.com/unikyc/unikyc/tokencache"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// within runs f and fails the test if it has not returned after d: a
// store that blocks must fail this test, not hang the suite.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s has not returned after %s", what, d)
	}
}

// Rule: Load honours its context.
func TestLoadHonoursItsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	s := newStore(t, path, key1)
	k := tokencache.Key("kyconnect", "https://k.example.com", "a@b.c")
	require.NoError(t, s.Save(context.Background(), k, tok("acc", t0.Add(time.Hour))))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := s.Load(ctx, k)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, got)
	assert.ErrorIs(t, s.Save(ctx, k, tok("acc", t0.Add(time.Hour))), context.Canceled)
}

// Rule: a file over the size cap (1 MiB) is refused with an error that says
// so, without reading it (a 64 MiB file once cost 192 MiB of memory).
func TestOversizedFileRefusedUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(64<<20)) // sparse: 64 MiB of zeros, no disk used
	require.NoError(t, f.Close())
	s := newStore(t, path, key1)
	k := tokencache.Key("p", "u", "a")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := s.Load(context.Background(), k)
	runtime.ReadMemStats(&after)
	var tooLarge *filestore.FileTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, int64(64<<20), tooLarge.Size)
	assert.Nil(t, got)
	assert.Contains(t, err.Error(), "1 MiB")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated by Load")
	assert.LessOrEqual(t, len(err.Error()), 512)

	require.ErrorAs(t, s.Save(context.Background(), k, tok("acc", t0.Add(time.Hour))), &tooLarge, "a file the store cannot read is not overwritten")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, int64(64<<20), fi.Size())
}

// Rule: the file names its entries so that a reader without the store's
// key cannot confirm a guessed account: neither the account's
// tokencache.Key (an unkeyed hash of base URL and principal) nor any part
// of its hash appears in the file or in the lock files' names.
func TestAccountNotConfirmableFromTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	s := newStore(t, path, key1)
	k := tokencache.Key("kyconnect", "https://api.kyconnect.example", "alice@example.com")
	require.NoError(t, s.Save(context.Background(), k, tok("acc", t0.Add(time.Hour))))
	unlock, err := s.Lock(context.Background(), k)
	require.NoError(t, err)
	unlock()

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	guess := k[strings.LastIndexByte(k, ':')+1:] // what anyone can compute from a guessed account
	for i := 0; i+12 <= len(guess); i += 4 {
		assert.NotContains(t, string(raw), guess[i:i+12], "the file holds the account's unkeyed hash")
	}
	lockHash := sha256.Sum256([]byte(k))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), hex.EncodeToString(lockHash[:6]), "a lock file named by an unkeyed hash")
		assert.NotContains(t, e.Name(), guess[:12])
	}
	got, err := newStore(t, path, key1).Load(context.Background(), k)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "acc", got.AccessToken)
}

// Rule: two programs with different keys on one file keep each other's
// entries: each one's Save leaves the other's in place, so neither logs in
// again because of the other.
func TestEntriesOfOtherKeysKept(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "tokens")
	a, b := newStore(t, path, key1, filestore.WithClock(clk)), newStore(t, path, key2, filestore.WithClock(clk))
	ka, kb := tokencache.Key("p", "u", "alice"), tokencache.Key("p", "u", "bob")
	ctx := context.Background()
	require.NoError(t, a.Save(ctx, ka, tok("alice-token", t0.Add(time.Hour))))
	require.NoError(t, b.Save(ctx, kb, tok("bob-token", t0.Add(time.Hour))))
	require.NoError(t, b.Save(ctx, ka, tok("alice-under-key2", t0.Add(time.Hour)))) // the same account, under the other key
	require.NoError(t, a.Save(ctx, ka, tok("alice-token-2", t0.Add(time.Hour))))

	for _, c := range []struct {
		s    *filestore.Store
		k    string
		want string
	}{{a, ka, "alice-token-2"}, {b, kb, "bob-token"}, {b, ka, "alice-under-key2"}} {
		got, err := c.s.Load(ctx, c.k)
		require.NoError(t, err)
		if assert.NotNil(t, got, c.want) {
			assert.Equal(t, c.want, got.AccessToken)
		}
	}
	got, err := a.Load(ctx, kb)
	require.NoError(t, err)
	assert.Nil(t, got, "bob's entry is sealed under key2: nothing for key1")
}

// Rule: entries of other keys are kept until their own tokens are spent,
// so the file does not grow without end.
func TestSpentEntriesOfOtherKeysDropped(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "tokens")
	a := newStore(t, path, key1, filestore.WithClock(clk))
	b := newStore(t, path, key2, filestore.WithClock(clk))
	ctx := context.Background()
	require.NoError(t, b.Save(ctx, "short", &auth.Token{AccessToken: "s", Expiry: t0.Add(time.Minute)}))
	require.NoError(t, b.Save(ctx, "long", tok("l", t0.Add(time.Hour))))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	clk.Advance(10 * time.Minute)
	require.NoError(t, a.Save(ctx, "mine", tok("m", t0.Add(time.Hour))))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	got, err := b.Load(ctx, "long")
	require.NoError(t, err)
	assert.NotNil(t, got)
	got, err = b.Load(ctx, "short")
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Less(t, len(after)-len(before), 400, "one entry in, one out")
}

// Rule: a file written before the v2 format (entries named by their
// tokencache.Key) is read: this key's entries load, and are carried over
// under their new names when the file is next written; entries of other
// keys cannot be renamed without their key and are dropped then, with one
// Warn.
func TestVersion1FileReadAndRewritten(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "tokens")
	mine, theirs := tokencache.Key("p", "u", "alice"), tokencache.Key("p", "u", "bob")
	// The version-1 file as unikyc wrote it: sealed under the tokencache
	// key as additional data, the key in clear.
	seal := func(key []byte, k string, t0k *auth.Token) []byte {
		aead, err := tokenseal.NewAEAD(key)
		require.NoError(t, err)
		b, err := tokenseal.Seal(aead, k, t0k)
		require.NoError(t, err)
		return b
	}
	v1, err := json.Marshal(map[string]any{"version": 1, "tokens": map[string][]byte{
		mine:   seal(key1, mine, tok("alice-v1", t0.Add(time.Hour))),
		theirs: seal(key2, theirs, tok("bob-v1", t0.Add(time.Hour))),
	}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, v1, 0o600))

	var logs bytes.Buffer
	s := newStore(t, path, key1, filestore.WithClock(clk), filestore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	got, err := s.Load(context.Background(), mine)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "alice-v1", got.AccessToken)

	require.NoError(t, s.Save(context.Background(), tokencache.Key("p", "u", "carol"), tok("carol", t0.Add(time.Hour))))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"version":2`)
	assert.NotContains(t, string(raw), mine)
	got, err = newStore(t, path, key1, filestore.WithClock(clk)).Load(context.Background(), mine)
	require.NoError(t, err)
	require.NotNil(t, got, "carried over")
	assert.Equal(t, "alice-v1", got.AccessToken)
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	assert.Contains(t, logs.String(), "older unikyc")
}

// Rule: a Store prints, logs and encodes as its path: neither the key nor
// the name key derived from it shows, under any verb or encoder.
func TestStorePrintsNoKey(t *testing.T) {
	s := newStore(t, filepath.Join(t.TempDir(), "tokens"), key1)
	names, err := hkdf.Key(sha256.New, key1, nil, "unikyc filestore: entry and lock names", sha256.Size)
	require.NoError(t, err)
	var secrets []string
	for _, b := range [][]byte{key1, names} {
		secrets = append(secrets, fmt.Sprint(b), fmt.Sprint(b[:8])[1:], hex.EncodeToString(b[:8]), base64.StdEncoding.EncodeToString(b)[:12], string(b[:8]))
	}
	leakcheck.NoSecrets(t, secrets, s)
	assert.Equal(t, "filestore.Store{path: "+s.Path()+"}", fmt.Sprintf("%+v", s))
}
