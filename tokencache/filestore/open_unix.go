//go:build aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package filestore

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// openRegular opens path for reading without following a symbolic link
// (O_NOFOLLOW) and without blocking (O_NONBLOCK: opening a FIFO with no
// writer would wait forever), and refuses anything but a regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if isLink(path) { // ELOOP on Linux, EMLINK or EFTYPE on some BSDs
			return nil, ErrNotRegularFile
		}
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

// lockFlags opens a lock file as gofrs/flock does (read-only, but
// read-write where flock needs it for an exclusive lock), created when
// missing, without following a link or blocking.
var lockFlags = func() int {
	mode := os.O_RDONLY
	switch runtime.GOOS {
	case "aix", "solaris", "illumos":
		mode = os.O_RDWR
	}
	return mode | os.O_CREATE | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
}()

// isLink reports whether path is a symbolic link.
func isLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
