// Package deadline answers one question every wait in the module asks:
// would waiting d outlast the caller's deadline?
package deadline

import (
	"context"
	"time"
)

// Past reports whether waiting d would outlast ctx's deadline. Deadlines
// are real time even when the wait runs on a fake clock.
func Past(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && d > time.Until(dl)
}
