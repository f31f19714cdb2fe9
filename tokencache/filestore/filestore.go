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
// fleet mode, internal/tokenseal: random nonce, the entry's name as
// additional data, so an entry cannot be moved to another account). Each
// entry is named by an HMAC-SHA256 of its tokencache.Key under a key
// derived from the store's (HKDF-SHA256): a tokencache.Key is an unkeyed
// hash of the base URL and the account, so a reader of a file holding it
// could confirm a guessed account; a reader of this file cannot. Lock
// files are named the same way. The file is replaced atomically
// (temporary file in the same directory, fsync, rename, fsync of the
// directory) with mode 0600, under a short write lock. Logins and
// refreshes are serialised per account across processes by a lock file
// next to it ([github.com/gofrs/flock]); the token cache takes that lock
// and then reads the file again, so the processes that lost the race use
// the winner's token.
//
// The store trusts nothing about the path. The token file and the lock
// files are opened without following a symbolic link and without blocking
// (a FIFO there would otherwise hang Load, and a token cache's Close
// behind it), and anything but a regular file is refused with
// [ErrNotRegularFile]; a link at a lock file's path does not make the
// store create the link's target. A file larger than [MaxFileSize] (1 MiB)
// is refused unread with a [*FileTooLargeError], and not overwritten. Load
// and Save honour their context.
//
// Programs with different keys may share one file: each reads only its
// own entries and keeps the others', dropping another key's entry only
// once the expiry written beside it (in clear) says that neither its access
// nor its refresh token can be used any more.
//
// A file that is corrupt, or an entry of this key that does not decrypt
// (tampering), is ignored with one Warn — the client logs in and
// overwrites it — never an error the caller sees. A file of the first
// format (version 1, entries named by their tokencache.Key) is read: this
// key's entries load and are carried over under their new names when the
// file is next written; the entries of other keys cannot be renamed
// without those keys and are dropped then, with one Warn (those programs
// log in once more). A program of an older unikyc ignores a version-2
// file and overwrites it: upgrade the programs that share a file together.
// Lock files are left in place, on purpose: removing one while another
// process waits on it breaks the lock.
package filestore

import (
	"context"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	names  []byte // HMAC key for entry and lock names, derived from the store's key
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
	names, err := hkdf.Key(sha256.New, s.key, nil, "unikyc filestore: entry and lock names", sha256.Size)
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
	return &Store{path: abs, aead: aead, names: names, logger: s.logger, clk: clock.Or(s.clk), poll: max(s.poll, time.Millisecond)}, nil
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

// Load returns the token saved under key, or nil. A missing file is nil,
// nil; a corrupt file or an entry that does not decrypt is nil, nil with
// one Warn. A token file that is not a regular file, or is larger than
// MaxFileSize, is an error (ErrNotRegularFile, *FileTooLargeError), as is
// the end of ctx.
func (s *Store) Load(ctx context.Context, key string) (*auth.Token, error) {
	c, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	name := s.entryName(key)
	if e, ok := c.entries[name]; ok {
		t, err := tokenseal.Open(s.aead, name, e.Sealed)
		if err != nil {
			s.warn("unikyc: token file entry ignored: it does not decrypt under this key (tampered with); logging in again", err)
			return nil, nil
		}
		return t, nil
	}
	if b, ok := c.v1[key]; ok { // a file written by unikyc before the v2 format
		if t, err := tokenseal.Open(s.aead, key, b); err == nil {
			return t, nil
		}
	}
	return nil, nil
}

// Save saves t under key, replacing the file atomically. On the way it
// drops the entries whose tokens (access and refresh) have both expired:
// its own, which it can read, and those sealed under other keys by the
// expiry written beside them. Other keys' entries are otherwise kept.
func (s *Store) Save(ctx context.Context, key string, t *auth.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	unlock, err := s.lockFile(ctx, s.path+".lock")
	switch {
	case errors.Is(err, ErrNotRegularFile):
		return err
	case err != nil:
		return fmt.Errorf("unikyc: filestore: write lock: %w", err)
	}
	defer unlock()

	c, err := s.read(ctx)
	if err != nil {
		return err
	}
	now := s.clk.Now()
	out := make(map[string]entry, len(c.entries)+1)
	for name, e := range c.entries {
		if old, err := tokenseal.Open(s.aead, name, e.Sealed); err == nil {
			if !over(old, now) {
				out[name] = e // this key's, still usable
			}
			continue
		}
		if e.Until.IsZero() || now.Before(e.Until) {
			out[name] = e // another key's, not spent (or ours, tampered: replaced when saved again)
		}
	}
	foreignV1 := false
	for k, b := range c.v1 { // a v1 file: carry this key's entries over, under their new names
		old, err := tokenseal.Open(s.aead, k, b)
		if err != nil {
			foreignV1 = true
			continue
		}
		if !over(old, now) {
			if e, err := s.seal(k, old); err == nil {
				out[s.entryName(k)] = e
			}
		}
	}
	if foreignV1 {
		s.warn("unikyc: token file from an older unikyc: its entries sealed under other keys are dropped as it is rewritten in the new format; those programs log in again once", nil)
	}
	e, err := s.seal(key, t)
	if err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	out[s.entryName(key)] = e
	data, err := encode(out)
	if err != nil {
		return fmt.Errorf("unikyc: filestore: %w", err)
	}
	return s.write(data)
}

// seal seals t for key under its entry name, with its spent time beside.
func (s *Store) seal(key string, t *auth.Token) (entry, error) {
	name := s.entryName(key)
	b, err := tokenseal.Seal(s.aead, name, t)
	if err != nil {
		return entry{}, err
	}
	return entry{Sealed: b, Until: until(t)}, nil
}

// over reports whether neither t's access token nor its refresh token can
// be used at now.
func over(t *auth.Token, now time.Time) bool {
	return t.Expired(now) && !t.RefreshUsable(now)
}

// until returns when over(t) becomes true, or zero when never (a token of
// unknown expiry, or a refresh token of unknown expiry).
func until(t *auth.Token) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	u := t.Expiry.UTC()
	if t.RefreshToken != "" {
		if t.RefreshExpiry.IsZero() {
			return time.Time{}
		}
		if t.RefreshExpiry.After(u) {
			u = t.RefreshExpiry.UTC()
		}
	}
	return u
}

// entryName is key's name in the file: an HMAC under a key derived from
// the store's own, so that a reader without it cannot confirm a guessed
// account (a tokencache.Key is an unkeyed hash of public facts).
func (s *Store) entryName(key string) string { return s.mac("entry\x00"+key, 16) }

// lockName is the path of key's login lock file, named as entries are.
func (s *Store) lockName(key string) string {
	return s.path + "." + s.mac("lock\x00"+key, 6) + ".lock"
}

func (s *Store) mac(msg string, n int) string {
	m := hmac.New(sha256.New, s.names)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil)[:n])
}

// read returns the file's entries: none when the file is missing, and none
// (with one Warn) when it is corrupt. It refuses, with an error, a path
// that is not a regular file (opened without following a link and without
// blocking on a FIFO) and a file over MaxFileSize, unread.
func (s *Store) read(ctx context.Context) (*contents, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := openRegular(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &contents{}, nil
	case err != nil:
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("unikyc: filestore: %w", err)
	}
	if fi.Size() > MaxFileSize {
		return nil, &FileTooLargeError{Size: fi.Size()}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("unikyc: filestore: %w", err)
	}
	if len(data) > MaxFileSize { // it grew since Stat
		return nil, &FileTooLargeError{Size: int64(len(data))}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := decode(data)
	if err != nil {
		s.warn("unikyc: token file ignored: it is not a unikyc token file or is corrupt; it will be overwritten", nil)
		return &contents{}, nil
	}
	return c, nil
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
	release, err := s.lockFile(ctx, s.lockName(key))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, ErrNotRegularFile) {
			return nil, err
		}
		return nil, fmt.Errorf("unikyc: filestore: lock: %w", err)
	}
	var once sync.Once
	return func() { once.Do(release) }, nil
}

// lockFile takes the lock file at path, created when missing (mode 0600),
// opened without following a link (a link there could make the store
// create any file the process may write) and without blocking; anything
// but a regular file is refused.
func (s *Store) lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if isLink(path) { // O_NOFOLLOW decides where the system has it
		return nil, ErrNotRegularFile
	}
	l := flock.New(path, flock.SetFlag(lockFlags), flock.SetPermissions(0o600))
	locked, err := l.TryLockContext(ctx, s.poll)
	if err != nil {
		if isLink(path) {
			return nil, ErrNotRegularFile
		}
		return nil, err
	}
	if !locked {
		return nil, errors.New("lock not obtained")
	}
	if fi, err := l.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = l.Unlock()
		return nil, ErrNotRegularFile
	}
	return func() { _ = l.Unlock() }, nil
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

// String describes s by its path: the keys it holds never print.
func (s *Store) String() string { return "filestore.Store{path: " + s.path + "}" }

// GoString is String for %#v.
func (s *Store) GoString() string { return s.String() }

// Format makes every verb print String.
func (s *Store) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, s.String()) }

// LogValue implements slog.LogValuer without the keys.
func (s *Store) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes String.
func (s *Store) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes String (encoding/xml, YAML).
func (s *Store) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// GobEncode writes String.
func (s *Store) GobEncode() ([]byte, error) { return []byte(s.String()), nil }
