package providers

import (
	"encoding/json"
	"io"
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
	// keyed counts the budget per value of a body field (Budget.PerField):
	// scopesFor gives each request a scope with that value's limiter.
	keyed *ratelimit.KeyedLimiter
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
			if s.keyed != nil {
				s = s.forKey(bodyField(req, s.budget.PerField))
			}
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

// forKey is the scope of one value of a keyed budget: that value's
// limiter, the budget's cool-down.
func (s *scope) forKey(key string) *scope {
	return &scope{budget: s.budget, limiter: s.keyed.For(key), owned: s.owned, gate: s.gate, penalty: s.penalty}
}

// maxKeyedBody caps how much of a body is read to find a keyed budget's
// field.
const maxKeyedBody = 1 << 20

// bodyField returns the string value of the top-level field of req's JSON
// body, or "" when there is none (no body, one that cannot be read again,
// not JSON, not a string): such requests count together under "".
func bodyField(req *http.Request, field string) string {
	if req.GetBody == nil {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxKeyedBody))
	if err != nil {
		return ""
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return ""
	}
	var v string
	if json.Unmarshal(fields[field], &v) != nil {
		return ""
	}
	return v
}
