//go:build unix

package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/tokencache"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// Rule: a FIFO at the path neither blocks Load nor, through it, a token
// cache's Close: the file is opened without blocking and refused as not a
// regular file.
func TestFIFOAtThePathDoesNotBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	s := newStore(t, path, key1)
	k := tokencache.Key("p", "u", "a")
	within(t, 5*time.Second, "Load on a FIFO", func() {
		got, err := s.Load(context.Background(), k)
		assert.ErrorIs(t, err, filestore.ErrNotRegularFile)
		assert.Nil(t, got)
	})
	within(t, 5*time.Second, "Save on a FIFO", func() {
		assert.ErrorIs(t, s.Save(context.Background(), k, tok("acc", t0.Add(time.Hour))), filestore.ErrNotRegularFile)
	})

	login := func(context.Context) (*auth.Token, error) { return tok("acc", time.Now().Add(time.Hour)), nil }
	c := tokencache.New(login, tokencache.WithStore(s, k))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	within(t, 5*time.Second, "a cache over a FIFO", func() {
		got, err := c.Token(ctx)
		if assert.NoError(t, err, "the cache logs in without its store") {
			assert.Equal(t, "acc", got.AccessToken)
		}
		assert.NoError(t, c.Close())
	})
}

// Rule: a symbolic link at the path is not followed: the store refuses it
// rather than read (or replace) the file it points to.
func TestSymlinkAtThePathRefused(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	k := tokencache.Key("p", "u", "a")
	require.NoError(t, newStore(t, real, key1).Save(context.Background(), k, tok("acc", t0.Add(time.Hour))))
	path := filepath.Join(dir, "tokens")
	require.NoError(t, os.Symlink(real, path))
	got, err := newStore(t, path, key1).Load(context.Background(), k)
	assert.ErrorIs(t, err, filestore.ErrNotRegularFile)
	assert.Nil(t, got)
}

// Rule: a symbolic link at a lock file's path is not followed: the store
// does not create the link's target (which could be any file the process
// may write), and says why it cannot lock.
func TestSymlinkAtTheLockPathNotFollowed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	s := newStore(t, path, key1)
	k := tokencache.Key("p", "u", "a")

	target := filepath.Join(dir, "created-through-the-link")
	require.NoError(t, os.Symlink(target, path+".lock"))
	assert.ErrorIs(t, s.Save(context.Background(), k, tok("acc", t0.Add(time.Hour))), filestore.ErrNotRegularFile)
	_, err := os.Lstat(target)
	assert.True(t, os.IsNotExist(err), "the write lock's link target was created")

	unlock, err := s.Lock(context.Background(), k) // creates the account's lock file
	require.NoError(t, err)
	unlock()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var accountLock string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "tokens.") && strings.HasSuffix(n, ".lock") && n != "tokens.lock" {
			accountLock = filepath.Join(dir, n)
		}
	}
	require.NotEmpty(t, accountLock)
	require.NoError(t, os.Remove(accountLock))
	target2 := filepath.Join(dir, "created-through-the-account-link")
	require.NoError(t, os.Symlink(target2, accountLock))
	_, err = s.Lock(context.Background(), k)
	assert.ErrorIs(t, err, filestore.ErrNotRegularFile)
	_, err = os.Lstat(target2)
	assert.True(t, os.IsNotExist(err), "the account lock's link target was created")
}
