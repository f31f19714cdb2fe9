//go:build unix

package webhook

import (
	"os"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// locked runs fn holding an exclusive flock on the store's directory,
// which excludes other processes and other goroutines of this one.
func (s *FileStore) locked(fn func() error) error {
	d, err := os.Open(s.dir)
	if err != nil {
		return storeErr(err)
	}
	defer d.Close()
	for {
		err = syscall.Flock(int(d.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return storeErr(err)
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks too
	return fn()
}
