package auth

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// Origin is the one place a provider's credential may go: its scheme,
// host and port. It answers the three questions every request that may
// carry a credential asks — is this URL on the origin, may a credential
// cross the wire to it in clear, and what is the Authorization value of
// this token — for auth.Transport and for unikyc's provider clients alike.
// Make it with NewOrigin; it is safe for concurrent use.
type Origin struct {
	scheme   string // lower case
	host     string // canonical: lower case, default port removed
	insecure bool   // plain http to a non-loopback host is allowed
	none     bool   // no origin: nothing is on it

	// last caches the Authorization value of the last token seen, so the
	// hot path does not build the same string for every request.
	last atomic.Pointer[tokenHeader]
}

type tokenHeader struct {
	tok   *Token
	value []string
}

// NewOrigin returns the origin of base. allowInsecureHTTP permits
// credentials over plain http to a host that is not loopback (tests
// only). A nil base is an origin nothing is on.
func NewOrigin(base *url.URL, allowInsecureHTTP bool) *Origin {
	if base == nil {
		return &Origin{none: true}
	}
	return &Origin{scheme: strings.ToLower(base.Scheme), host: CanonicalHost(base), insecure: allowInsecureHTTP}
}

// Contains reports whether u is on the origin: same scheme, host and port.
// A redirect elsewhere is not, and gets no credential.
func (o *Origin) Contains(u *url.URL) bool {
	if o.none || u == nil {
		return false
	}
	return strings.EqualFold(u.Scheme, o.scheme) && CanonicalHost(u) == o.host
}

// Check returns ErrInsecureHTTP when a credential sent to u would cross
// the network in clear: plain http to a host that is not loopback, unless
// the origin allows it.
func (o *Origin) Check(u *url.URL) error {
	if o.scheme == "http" && !o.insecure && !IsLoopback(u) {
		return ErrInsecureHTTP
	}
	return nil
}

// Authorize returns a shallow copy of req, with a header map of its own,
// carrying tok's Authorization value (cached for the last token) or, with
// tok nil, cred's header. req itself is never modified.
func (o *Origin) Authorize(req *http.Request, tok *Token, cred Credential) *http.Request {
	out := new(http.Request)
	*out = *req
	out.Header = make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		out.Header[k] = v
	}
	switch {
	case tok != nil:
		out.Header["Authorization"] = o.authorization(tok)[:1:1]
	case cred != nil:
		cred.SetHeader(out.Header)
	}
	return out
}

// authorization returns tok's Authorization value, building it only for a
// token it has not seen last.
func (o *Origin) authorization(tok *Token) []string {
	if h := o.last.Load(); h != nil && h.tok == tok {
		return h.value
	}
	h := &tokenHeader{tok: tok, value: []string{tok.Type() + " " + tok.AccessToken}}
	o.last.Store(h)
	return h.value
}
