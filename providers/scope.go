package providers

import (
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/ratelimit"
)

// scope is one budget as the pipeline applies it: which requests it
// counts, the limiter that admits them, and the cool-down a 429 on them
// starts.
type scope struct {
	budget  Budget
	limiter Limiter // nil: no limit, only the cool-down
	owned   bool    // the client made limiter and closes it: its waiters get ErrClosed from it
	gate    *gate
	penalty time.Duration
}

// scopesFor returns the scopes that count a request: the account scope
// first, then every matching route. It allocates nothing for the usual
// one or two scopes.
func (p *pipeline) scopesFor(req *http.Request, buf *[3]*scope) []*scope {
	out := buf[:0]
	out = append(out, p.account)
	if len(p.routes) == 0 {
		return out
	}
	path := strings.TrimPrefix(req.URL.Path, p.basePath)
	for _, s := range p.routes {
		if s.budget.Counts(req.Method, path) {
			out = append(out, s)
		}
	}
	return out
}

// keepHeadroom has the account budget keep a slot for the login or refresh
// the token cache will need (every token call counts against it), and
// tells it when the cache's token changed. Route budgets count no token
// call but their own, and keep none.
func (p *pipeline) keepHeadroom(link *tokenseam.Link) {
	link.Busy = func() bool { return p.active.Load() > 0 }
	h, ok := p.account.limiter.(ratelimit.Headroom)
	if !ok || p.seam == nil {
		return
	}
	h.KeepHeadroom(p.seam.NextCall)
	h.TrackDemand(func() int { return int(p.active.Load()) })
	link.Changed = h.Recheck
}
