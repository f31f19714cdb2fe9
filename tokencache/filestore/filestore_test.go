package filestore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/tokencache"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

var (
	t0   = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
)

func newStore(t *testing.T, path string, key []byte, opts ...filestore.Option) *filestore.Store {
	t.Helper()
	s, err := filestore.New(append([]filestore.Option{filestore.WithPath(path), filestore.WithKey(key)}, opts...)...)
	require.NoError(t, err)
	return s
}

func tok(access string, exp time.Time) *auth.Token {
	return &auth.Token{AccessToken: access, TokenType: "Bearer", Expiry: exp, RefreshToken: "rt-" + access, RefreshExpiry: exp.Add(time.Hour)}
}

// Rule: tokens are sealed at rest, in a 0600 file, and read back by another
// Store (another process) under the same key.
func TestStoreRoundTripSealedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "tokens.json")
	s := newStore(t, path, key1)
	k := tokencache.Key("kyconnect", "https://k.example.com", "a@b.c")
	want := tok("acc-SECRET", t0.Add(15*time.Minute))
	require.NoError(t, s.Save(context.Background(), k, want))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, secret := range []string{"acc-SECRET", "rt-acc-SECRET", "a@b.c"} {
		assert.NotContains(t, string(raw), secret)
	}

	got, err := newStore(t, path, key1).Load(context.Background(), k)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	missing, err := s.Load(context.Background(), tokencache.Key("kyconnect", "https://k.example.com", "other"))
	assert.NoError(t, err)
	assert.Nil(t, missing)
	leakcheck.NoSecrets(t, []string{"acc-SECRET"}, s)

	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), "no temporary file left: %s", e.Name())
	}
}

// editEntries rewrites the token file's entries with edit, as someone with
// write access to the file could.
func editEntries(t *testing.T, path string, edit func(entries map[string]map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var f map[string]any
	require.NoError(t, json.Unmarshal(raw, &f))
	entries := map[string]map[string]any{}
	for name, e := range f["entries"].(map[string]any) {
		entries[name] = e.(map[string]any)
	}
	edit(entries)
	f["entries"] = entries
	raw, err = json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}

// Rule: a corrupt file, or an entry of this key that does not decrypt, is
// ignored with one Warn and overwritten; never an error.
func TestCorruptFileOrTamperedEntryIgnoredWithOneWarn(t *testing.T) {
	k := tokencache.Key("genericjwt", "https://x", "u")
	for name, prepare := range map[string]func(path string){
		"garbage":         func(p string) { require.NoError(t, os.WriteFile(p, []byte("\x00not json{"), 0o600)) },
		"truncated":       func(p string) { require.NoError(t, os.WriteFile(p, []byte(`{"version":2,"entries":{"`), 0o600)) },
		"unknown version": func(p string) { require.NoError(t, os.WriteFile(p, []byte(`{"version":3,"entries":{}}`), 0o600)) },
		"tampered": func(p string) {
			require.NoError(t, newStore(t, p, key1).Save(context.Background(), k, tok("old", t0.Add(time.Hour))))
			editEntries(t, p, func(entries map[string]map[string]any) {
				for _, e := range entries {
					b, err := base64.StdEncoding.DecodeString(e["sealed"].(string))
					require.NoError(t, err)
					b[len(b)-1] ^= 1 // inside the GCM tag
					e["sealed"] = b
				}
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens")
			prepare(path)
			var logs bytes.Buffer
			s := newStore(t, path, key1, filestore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			for range 3 {
				got, err := s.Load(context.Background(), k)
				require.NoError(t, err)
				assert.Nil(t, got)
			}
			require.NoError(t, s.Save(context.Background(), k, tok("new", t0.Add(time.Hour))))
			got, err := s.Load(context.Background(), k)
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, "new", got.AccessToken)
			assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
			assert.NotContains(t, logs.String(), "old")
		})
	}
}

// Rule: an entry cannot be moved to another account's name: swapping two
// entries gives each account nothing, not the other's token.
func TestEntryBoundToItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	s := newStore(t, path, key1, filestore.WithClock(clock.NewFake(t0)))
	a, b := tokencache.Key("p", "u", "alice"), tokencache.Key("p", "u", "bob")
	require.NoError(t, s.Save(context.Background(), a, tok("alice-token", t0.Add(time.Hour))))
	require.NoError(t, s.Save(context.Background(), b, tok("bob-token", t0.Add(time.Hour))))
	editEntries(t, path, func(entries map[string]map[string]any) {
		var names []string
		for n := range entries {
			names = append(names, n)
		}
		require.Len(t, names, 2)
		entries[names[0]], entries[names[1]] = entries[names[1]], entries[names[0]]
	})
	for _, k := range []string{a, b} {
		got, err := newStore(t, path, key1).Load(context.Background(), k)
		require.NoError(t, err)
		assert.Nil(t, got)
	}
}

// Rule: spent entries (access and refresh token expired) are dropped when
// the file is written; others stay.
func TestSpentEntriesDropped(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "tokens")
	s := newStore(t, path, key1, filestore.WithClock(clk))
	ctx := context.Background()
	require.NoError(t, s.Save(ctx, "a", &auth.Token{AccessToken: "a", Expiry: t0.Add(time.Minute)}))
	require.NoError(t, s.Save(ctx, "b", tok("b", t0.Add(time.Minute)))) // refresh usable for an hour more
	require.NoError(t, s.Save(ctx, "c", &auth.Token{AccessToken: "c"})) // no expiry: kept
	clk.Advance(10 * time.Minute)
	require.NoError(t, s.Save(ctx, "d", tok("d", t0.Add(time.Hour))))
	for k, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		got, err := s.Load(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, want, got != nil, k)
	}
}

// Rule: path and key come from UNIKYC_TOKEN_STORE and UNIKYC_TOKEN_KEY; a
// missing or bad one is an error naming the variable, never the value.
func TestNewFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	env := func(m map[string]string) filestore.Option {
		return filestore.WithGetenv(func(k string) string { return m[k] })
	}
	hexKey := strings.Repeat("ab", 32)
	s, err := filestore.New(env(map[string]string{filestore.EnvPath: path, filestore.EnvKey: hexKey + "\n"}))
	require.NoError(t, err)
	assert.Equal(t, path, s.Path())

	_, err = filestore.New(env(map[string]string{filestore.EnvKey: hexKey}))
	assert.ErrorIs(t, err, filestore.ErrNoPath)
	_, err = filestore.New(env(map[string]string{filestore.EnvPath: path}))
	assert.ErrorIs(t, err, filestore.ErrNoKey)
	for _, bad := range []string{"abcd-SECRET", strings.Repeat("ab", 31), "c2hvcnQ="} {
		_, err = filestore.New(env(map[string]string{filestore.EnvPath: path, filestore.EnvKey: bad}))
		assert.ErrorIs(t, err, filestore.ErrBadKey)
		assert.NotContains(t, err.Error(), bad)
	}
	_, err = filestore.New(filestore.WithPath(path), filestore.WithKey([]byte("short")))
	assert.ErrorIs(t, err, filestore.ErrBadKey)

	b64, err := filestore.ParseKey("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
	require.NoError(t, err)
	assert.Equal(t, key1, b64)
}

// Rule: the lock excludes across Stores (each its own file descriptor, as
// two processes would have) and honours the waiter's context.
func TestLockExcludesOtherHolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	a, b := newStore(t, path, key1), newStore(t, path, key1)
	unlock, err := a.Lock(context.Background(), "k")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.Lock(ctx, "k")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	other, err := b.Lock(context.Background(), "another account")
	require.NoError(t, err, "accounts have their own locks")
	other()
	unlock()
	unlock() // idempotent
	again, err := b.Lock(context.Background(), "k")
	require.NoError(t, err)
	again()
}
