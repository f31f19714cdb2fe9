package providers

import (
	"net/http"
	"strings"
	"time"
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
