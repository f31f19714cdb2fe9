//go:build !unix

package webhook

import "sync"

const oNoFollow = 0

// dirLocks serialises takeovers within this process where flock is not
// available: there a FileStore dedupes for one process only.
var dirLocks sync.Mutex

func (s *FileStore) locked(fn func() error) error {
	dirLocks.Lock()
	defer dirLocks.Unlock()
	return fn()
}
