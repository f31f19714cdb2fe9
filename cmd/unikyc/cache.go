package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/unikyc/unikyc/tokencache/filestore"
)

// Where check and token keep tokens between runs. A login costs budget at
// every provider (Compliancely: 10 requests a minute, then a 10-minute
// penalty), so the default is to keep the token:
//
//   - --no-cache: nowhere; every run logs in.
//   - --cache FILE, else $UNIKYC_TOKEN_STORE: in FILE.
//   - else: <user cache dir>/unikyc/tokens (os.UserCacheDir: $XDG_CACHE_HOME
//     or ~/.cache on Linux, ~/Library/Caches on macOS, %LocalAppData% on
//     Windows).
//
// The file is tokencache/filestore's: AES-256-GCM, mode 0600, replaced
// atomically, locked across processes. Its key is $UNIKYC_TOKEN_KEY when
// set; else FILE.key, 32 random bytes written once (mode 0600, never
// overwritten) and read by later runs. The key file beside the tokens
// keeps a copied or backed-up token file useless on its own; it does not
// protect against someone who can read the cache directory — an operator
// who wants that keeps the key elsewhere, in UNIKYC_TOKEN_KEY.
const (
	cacheDirName  = "unikyc"
	cacheFileName = "tokens"
	keySuffix     = ".key"
	maxKeyFile    = 256 // a key file is 65 bytes; anything much larger is not ours
)

// userCacheDir is os.UserCacheDir; tests point it at a temporary directory.
var userCacheDir = os.UserCacheDir

// cacheFlags are --cache and --no-cache of check and token.
type cacheFlags struct {
	file *string
	off  *bool
}

func addCacheFlags(e *env, fs *flag.FlagSet) cacheFlags {
	return cacheFlags{
		file: fs.String("cache", e.getenv(filestore.EnvPath),
			"keep the token in this file (default $"+filestore.EnvPath+", else <user cache dir>/unikyc/tokens)"),
		off: fs.Bool("no-cache", false, "neither read nor keep a token: log in afresh (and check the password itself)"),
	}
}

// cacheSpec is where one run keeps its token: file and key, or nothing.
type cacheSpec struct {
	file string // "" when tokens are not kept
	key  []byte
	// why says, when file is "", why not (for --no-cache, nothing).
	why string
}

// resolveCache decides the token file and its key. Errors are the
// operator's to fix (exit 2); they name files and variables, never a key.
func resolveCache(e *env, c cacheFlags) (cacheSpec, error) {
	if *c.off {
		return cacheSpec{}, nil
	}
	file := strings.TrimSpace(*c.file)
	if file == "" {
		dir, err := userCacheDir()
		if err != nil || dir == "" {
			return cacheSpec{why: "no user cache directory (set $HOME or $XDG_CACHE_HOME, or --cache FILE)"}, nil
		}
		file = filepath.Join(dir, cacheDirName, cacheFileName)
	}
	if v := e.getenv(filestore.EnvKey); strings.TrimSpace(v) != "" {
		key, err := filestore.ParseKey(v)
		if err != nil {
			return cacheSpec{}, errBadEnvKey
		}
		return cacheSpec{file: file, key: key}, nil
	}
	key, err := loadOrCreateKey(file + keySuffix)
	if err != nil {
		return cacheSpec{}, err
	}
	return cacheSpec{file: file, key: key}, nil
}

// configError is a problem with the operator's files or settings: exit 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

var errBadEnvKey = &configError{filestore.EnvKey + " must be 32 bytes, written as 64 hex digits or base64 (openssl rand -hex 32)"}

// loadOrCreateKey returns the key in path, creating the file with a new
// random key when there is none. The file must be a regular file (a
// symbolic link is not followed) readable by its owner only.
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, &configError{"cannot create the token cache directory " + echo(filepath.Dir(path)) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	// Written to a temporary file, then linked into place: the link fails
	// when the key exists, so two first runs never both win, and a reader
	// never sees a half-written key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, &configError{"cannot write the token cache key " + echo(path) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(fresh) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	switch {
	case err == nil:
		return fresh, nil
	case errors.Is(err, fs.ErrExist): // another run made it first
		return readKeyFile(path)
	default:
		return nil, &configError{"cannot write the token cache key " + echo(path) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
}

func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, &configError{"cannot read the token cache key " + echo(path) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
	if !fi.Mode().IsRegular() {
		return nil, &configError{"the token cache key " + echo(path) + " is not a regular file (a link or a device): remove it, or use --no-cache"}
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, &configError{fmt.Sprintf("the token cache key %s can be read by others (mode %04o): chmod 600 it, or remove it and the token file",
			echo(path), fi.Mode().Perm())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &configError{"cannot read the token cache key " + echo(path) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, &configError{"cannot read the token cache key " + echo(path) + ": " + pathReason(err) + " (--no-cache runs without a cache)"}
	}
	key, err := filestore.ParseKey(string(bytes.TrimSpace(b)))
	if len(b) > maxKeyFile || err != nil {
		return nil, &configError{"the token cache key " + echo(path) + " is not a key (64 hex digits): remove it and the token file, or set " + filestore.EnvKey}
	}
	return key, nil
}

// pathReason is the reason of a file error without the path, which the
// caller has already named.
func pathReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return "failed"
}
