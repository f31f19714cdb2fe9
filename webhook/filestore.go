package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FileStore is a DedupeStore in a directory, for the processes of one
// host: one empty file per claimed key, created exclusively (O_EXCL, so of
// two processes exactly one creates it), expiring by its modification
// time. File names are SHA-256 hashes of the keys (a listing shows no
// scan reference); links are never followed, and a claim path that is not
// a regular file is an error. Taking over an expired file, giving a claim
// back and sweeping happen under a lock on the directory (flock), so a
// live claim is never removed.
//
// Use one directory per application, mode 0700 (NewFileStore creates it
// so), on a local file system. It is safe for concurrent use.
type FileStore struct {
	dir       string
	maxTTL    atomic.Int64 // the longest ttl claimed, for sweeping
	sweepMu   sync.Mutex
	lastSweep time.Time
	now       func() time.Time // file times are the system's: tests age files
}

// claimSuffix ends every claim file's name; sweeping touches nothing else.
const claimSuffix = ".claim"

// sweepEvery is how often a Claim also removes expired files.
const sweepEvery = time.Hour

// NewFileStore returns a FileStore in dir, creating it (0700) if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("unikyc: webhook: NewFileStore: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("unikyc: webhook: dedupe directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("unikyc: webhook: dedupe directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, errors.New("unikyc: webhook: dedupe directory is not a directory")
	}
	return &FileStore{dir: dir, now: time.Now}, nil
}

// path is the claim file of key: its SHA-256 in hex, so that names have a
// fixed length and shape whatever the key, and show nothing of it.
func (s *FileStore) path(key string) string {
	sum := sha256.Sum256([]byte("unikyc webhook dedupe\x00" + key))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:])+claimSuffix)
}

// Claim creates key's file; it reports false while a file younger than
// ttl holds the key.
func (s *FileStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl > time.Duration(s.maxTTL.Load()) {
		s.maxTTL.Store(int64(ttl))
	}
	s.maybeSweep()
	p := s.path(key)
	ok, err := create(p)
	if ok || err != nil {
		return ok, err
	}
	// Held: take it over if it has expired, under the directory lock.
	var taken bool
	err = s.locked(func() error {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist): // given back meanwhile
		case err != nil:
			return storeErr(err)
		case !fi.Mode().IsRegular():
			return errors.New("unikyc: webhook: dedupe store: a claim path is not a regular file")
		case s.now().Sub(fi.ModTime()) < ttl:
			return nil // a live claim
		default:
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return storeErr(err)
			}
		}
		taken, err = create(p)
		return err
	})
	return taken, err
}

// Release removes key's file.
func (s *FileStore) Release(_ context.Context, key string) error {
	return s.locked(func() error {
		p := s.path(key)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return storeErr(err)
		}
		if !fi.Mode().IsRegular() {
			return errors.New("unikyc: webhook: dedupe store: a claim path is not a regular file")
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return storeErr(err)
		}
		return nil
	})
}

// Purge removes the claim files older than maxAge and reports how many.
// Claim calls it once an hour with the longest TTL it was given.
func (s *FileStore) Purge(maxAge time.Duration) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, storeErr(err)
	}
	n := 0
	err = s.locked(func() error {
		now := s.now()
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), claimSuffix) {
				continue
			}
			p := filepath.Join(s.dir, e.Name())
			fi, err := os.Lstat(p) // again, under the lock
			if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < maxAge {
				continue
			}
			if os.Remove(p) == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (s *FileStore) maybeSweep() {
	ttl := time.Duration(s.maxTTL.Load())
	s.sweepMu.Lock()
	due := s.now().Sub(s.lastSweep) >= sweepEvery
	if due {
		s.lastSweep = s.now()
	}
	s.sweepMu.Unlock()
	if due && ttl > 0 {
		_, _ = s.Purge(ttl) // best effort: a failed sweep only leaves files
	}
}

// create makes p exclusively; false when it exists.
func create(p string) (bool, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, storeErr(err)
	}
	if err := f.Close(); err != nil {
		return false, storeErr(err)
	}
	return true, nil
}

// storeErr names the failure without the path (it holds a key's hash and
// the user's directory layout).
func storeErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("unikyc: webhook: dedupe store: %s: %w", pe.Op, pe.Err)
	}
	return fmt.Errorf("unikyc: webhook: dedupe store: %w", err)
}
