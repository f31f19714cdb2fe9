// Package filestore keeps tokens in one file on the local host, so that
// programs that start often — a cron job, a CLI run every minute — and
// several processes on one host share one login instead of making one
// each: 60 runs an hour against 15-minute tokens log in 4 times, and with a
// refresh-token provider only once.
//
// A [Store] is a tokencache.Store and tokencache.Locker; give it to a
// client with providers.WithStore:
//
//	store, err := filestore.New() // UNIKYC_TOKEN_STORE and UNIKYC_TOKEN_KEY
//	c, err := kyconnect.New(cfg, providers.WithStore(store))
//
// Tokens are sealed with AES-256-GCM under a 32-byte key (the format of
// fleet mode, internal/tokenseal: random nonce, the token's store key as
// additional data, so an entry cannot be moved to another account). The
// file is replaced atomically (temporary file in the same directory,
// fsync, rename, fsync of the directory) with mode 0600, under a short
// write lock. Logins and refreshes are serialised per account across
// processes by a lock file next to it ([github.com/gofrs/flock]); the
// token cache takes that lock and then reads the file again, so the
// processes that lost the race use the winner's token.
//
// A file that is corrupt, or an entry that does not decrypt (another key,
// tampering), is ignored with one Warn — the client logs in and overwrites
// it — never an error the caller sees. Lock files are left in place, on
// purpose: removing one while another process waits on it breaks the lock.
package filestore

import (
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseal"
	"github.com/unikyc/unikyc/tokencache"
)

// Environment variables New reads when no option sets the value.
const (
	EnvPath = "UNIKYC_TOKEN_STORE" // path of the token file
	EnvKey  = "UNIKYC_TOKEN_KEY"   // 32-byte key: 64 hex digits or base64
)

// Errors of New. They name the setting, never its value.
var (
	ErrNoPath = errors.New("unikyc: filestore: no token file: set " + EnvPath + " or use WithPath")
	ErrNoKey  = errors.New("unikyc: filestore: no encryption key: set " + EnvKey +
		" (64 hex digits, e.g. from `openssl rand -hex 32`) or use WithKey")
	ErrBadKey = errors.New("unikyc: filestore: the encryption key must be 32 bytes, as 64 hex digits or base64")
)

// Store is a tokencache.Store and tokencache.Locker in one file. It is
// safe for concurrent use, in one process and across processes.
type Store struct {
	path   string
	aead   cipher.AEAD
	logger *slog.Logger
	clk    clock.Clock
	poll   time.Duration
	mu     sync.Mutex // serialises this process's writers before the file lock
	warned atomic.Bool
}

var (
	_ tokencache.Store  = (*Store)(nil)
	_ tokencache.Locker = (*Store)(nil)
)

// Option configures a Store.
type Option func(*settings)

type settings struct {
	path   string
	key    []byte
	keySet bool
	logger *slog.Logger
	clk    clock.Clock
	poll   time.Duration
	getenv func(string) string
}

// WithPath sets the token file (default: $UNIKYC_TOKEN_STORE). Its
// directory is created (mode 0700) when missing.
func WithPath(p string) Option { return func(s *settings) { s.path = p } }

// WithKey sets the 32-byte encryption key (default: $UNIKYC_TOKEN_KEY).
func WithKey(key []byte) Option { return func(s *settings) { s.key, s.keySet = key, true } }

// WithLogger sets where the store reports a file it ignored. Default:
// nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithClock sets the clock that decides which entries have expired and are
// dropped when the file is written (default clock.System).
func WithClock(c clock.Clock) Option { return func(s *settings) { s.clk = c } }

// WithLockPoll sets how often a process waiting for another's login looks
// at the lock again (default 10 ms, real time: the lock is the kernel's).
func WithLockPoll(d time.Duration) Option { return func(s *settings) { s.poll = d } }

// WithGetenv sets how the environment is read (default os.Getenv), for
// programs with their own settings source.
func WithGetenv(f func(string) string) Option { return func(s *settings) { s.getenv = f } }

// New returns a Store. The path and key come from the options, else from
// UNIKYC_TOKEN_STORE and UNIKYC_TOKEN_KEY; both are required.
func New(opts ...Option) (*Store, error) {
	s := settings{getenv: os.Getenv, poll: 10 * time.Millisecond}
	for _, o := range opts {
		o(&s)
	}
	if s.path == "" {
		s.path = strings.TrimSpace(s.getenv(EnvPath))
	}
	if s.path == "" {
		return nil, ErrNoPath
	}
	if !s.keySet {
		v := strings.TrimSpace(s.getenv(EnvKey))
		if v == "" {
			return nil, ErrNoKey
		}
		var err error
		if s.key, err = ParseKey(v); err != nil {
			return nil, err
		}
	}
	aead, err := tokenseal.NewAEAD(s.key)
	if err != nil {
		return nil, ErrBadKey
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(s.path)
	if err != nil {
		return nil, fmt.Errorf("unikyc: filestore: token file path: %w", err)
	}
	return &Store{path: abs, aead: aead, logger: s.logger, clk: clock.Or(s.clk), poll: max(s.poll, time.Millisecond)}, nil
}

// ParseKey reads a 32-byte key written as 64 hex digits or as base64
// (standard or URL alphabet, padded or not). The error never quotes it.
func ParseKey(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if b, err := hex.DecodeString(v); err == nil && len(b) == tokenseal.KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil && len(b) == tokenseal.KeySize {
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// Path returns the token file's absolute path.
func (s *Store) Path() string { return s.path }

// file is the token file's content: sealed entries by store key (keys are
// tokencache.Key values: a provider name and a hash, no secret).
type file struct {
	Version int               `json:"version"`
	Tokens  map[string][]byte `json:"tokens"`
}

// Load returns the token saved under key, or nil. A missing, corrupt or
// undecryptable file or entry is nil, nil (the last two with one Warn).
func (s *Store) Load(_ context.Context, key string) (*auth.Token, error) {
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	b, ok := f.Tokens[key]
	if !ok {
		return nil, nil
	}
	t, err := tokenseal.Open(s.aead, key, b)
	if err != nil {
		s.warn("unikyc: token file entry ignored: it does not decrypt under this key (another key, or tampered with); logging in again", err)
		return nil, nil
	}
	return t, nil
}

// Save saves t under key, replacing the file atomically; entries whose
// tokens (access and refresh) have both expired are dropped on the way.
func (s *Store) Save(ctx context.Context, key string, t *auth.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	wl := flock.New(s.path + ".lock")
	if _, err := wl.TryLockContext(ctx, s.poll); err != nil {
		return fmt.Errorf("unikyc: filestore: write lock: %w", err)
	}
	defer func() { _ = wl.Unlock() }()

	f, err := s.read()
	if err != nil {
		return err
	}
	sealed, err := tokenseal.Seal(s.aead, key, t)
	if err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	now := s.clk.Now()
	for k, b := range f.Tokens {
		if old, err := tokenseal.Open(s.aead, k, b); err != nil || over(old, now) {
			delete(f.Tokens, k) // unreadable or spent: nobody can use it
		}
	}
	f.Tokens[key] = sealed
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	return s.write(data)
}

// over reports whether neither t's access token nor its refresh token can
// be used at now.
func over(t *auth.Token, now time.Time) bool {
	return t.Expired(now) && !t.RefreshUsable(now)
}

// read returns the file's entries: none when the file is missing, and none
// (with one Warn) when it is corrupt.
func (s *Store) read() (*file, error) {
	empty := &file{Version: 1, Tokens: map[string][]byte{}}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return empty, nil
	case err != nil:
		return nil, fmt.Errorf("unikyc: filestore: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		s.warn("unikyc: token file ignored: it is not a unikyc token file or is corrupt; it will be overwritten", nil)
		return empty, nil
	}
	if f.Tokens == nil {
		f.Tokens = map[string][]byte{}
	}
	return &f, nil
}

// write replaces the file with data: a temporary file in the same
// directory, mode 0600, synced, renamed over the old one, and the
// directory synced so that the rename survives a crash.
func (s *Store) write(data []byte) error {
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	if err := os.Rename(name, s.path); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Lock takes the cross-process lock for key's logins and refreshes: a lock
// file next to the token file, one per account, polled every WithLockPoll
// until it is free or ctx ends.
func (s *Store) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("unikyc: filestore: %w", err)
	}
	sum := sha256.Sum256([]byte(key))
	l := flock.New(fmt.Sprintf("%s.%s.lock", s.path, hex.EncodeToString(sum[:6])))
	locked, err := l.TryLockContext(ctx, s.poll)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("unikyc: filestore: lock: %w", err)
	}
	if !locked {
		return nil, errors.New("unikyc: filestore: lock not obtained")
	}
	var once sync.Once
	return func() { once.Do(func() { _ = l.Unlock() }) }, nil
}

// warn logs one Warn per Store for an ignored file or entry.
func (s *Store) warn(msg string, err error) {
	if s.warned.CompareAndSwap(false, true) {
		if err != nil {
			s.logger.Warn(msg, "path", s.path, "err", err)
		} else {
			s.logger.Warn(msg, "path", s.path)
		}
	}
}
