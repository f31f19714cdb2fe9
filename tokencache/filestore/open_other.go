//go:build !(aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris)

package filestore

import (
	"fmt"
	"os"
)

// openRegular opens path for reading and refuses anything but a regular
// file. Without O_NOFOLLOW, a link is refused by looking first (Windows:
// a reparse point); the open itself cannot block on these systems' pipes
// the way it does on a Unix FIFO.
func openRegular(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, ErrNotRegularFile
	}
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, err
		}
		return nil, fmt.Errorf("unikyc: filestore: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, ErrNotRegularFile
	}
	return f, nil
}

// lockFlags opens a lock file as gofrs/flock does, created when missing.
const lockFlags = os.O_CREATE | os.O_RDONLY

// isLink reports whether path is a symbolic link.
func isLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
