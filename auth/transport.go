package auth

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/unikyc/unikyc/internal/errs"
)

// ErrInsecureHTTP is returned, before any connection is made, for a request
// that would carry credentials over plain http to a host that is not
// loopback. Set Transport.AllowInsecureHTTP to permit it.
var ErrInsecureHTTP = errors.New("unikyc: refusing to send credentials over plain http to a non-loopback host")

// Transport is an http.RoundTripper that authenticates requests to one
// provider origin.
//
// For a request to Origin (same scheme, host and port) it clones the request,
// sets the credential from Source or Credential, and sends the clone; the
// caller's request is never modified. Requests to any other origin, including
// redirects followed by an http.Client, go out without credentials.
//
// When the provider answers 401 and Source implements [Invalidator], the
// rejected token is invalidated and the request is sent once more with a
// new token, if its body can be replayed (GetBody is set, or there is no
// body). A 401 that is not replayed becomes an error matching
// providers.ErrUnauthorized, built by OnUnauthorized.
type Transport struct {
	// Origin is the provider's base URL; only its scheme and host matter.
	Origin *url.URL
	// Source supplies a bearer token per request. When nil, Credential is used.
	Source TokenSource
	// Credential is a static credential, used when Source is nil.
	Credential Credential
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// AllowInsecureHTTP permits credentials over plain http to non-loopback
	// hosts. Leave it off outside tests against a non-loopback fake.
	AllowInsecureHTTP bool
	// OnUnauthorized builds the error returned for a final 401. The
	// response body is closed after it returns. Nil: a plain error matching
	// providers.ErrUnauthorized.
	OnUnauthorized func(*http.Response) error

	once   sync.Once
	scheme string
	host   string // canonical: lower case, default port removed

	// last caches the Authorization value of the last token seen, so the hot
	// path does not build the same string for every request.
	last atomic.Pointer[tokenHeader]
}

type tokenHeader struct {
	tok   *Token
	value []string
}

func (t *Transport) init() {
	if t.Origin != nil {
		t.scheme = strings.ToLower(t.Origin.Scheme)
		t.host = canonicalHost(t.Origin)
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(t.init)
	if !t.sameOrigin(req.URL) {
		return t.base().RoundTrip(req)
	}
	if t.scheme == "http" && !t.AllowInsecureHTTP && !isLoopback(req.URL.Hostname()) {
		closeBody(req)
		return nil, ErrInsecureHTTP
	}
	if t.Source == nil && t.Credential == nil {
		closeBody(req)
		return nil, errors.New("unikyc: auth.Transport has neither Source nor Credential")
	}

	req2, tok, err := t.authorized(req, req.Body)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base().RoundTrip(req2)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	inv, ok := t.Source.(Invalidator)
	if !ok || tok == nil {
		return nil, t.unauthorized(req, resp)
	}
	inv.Invalidate(tok)
	body, replayable := replayBody(req)
	if !replayable {
		return nil, t.unauthorized(req, resp)
	}
	drain(resp)
	req3, _, err := t.authorized(req, body)
	if err != nil {
		if body != nil {
			_ = body.Close()
		}
		return nil, err
	}
	resp, err = t.base().RoundTrip(req3)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// A token minted for this replay was refused too: the account, not the
	// token, is the problem. Keep the token so the next request does not
	// spend another login on it.
	return nil, t.unauthorized(req, resp)
}

// authorized returns a clone of req carrying body and the credential.
func (t *Transport) authorized(req *http.Request, body io.ReadCloser) (*http.Request, *Token, error) {
	var (
		tok   *Token
		value []string
	)
	if t.Source != nil {
		var err error
		tok, err = t.Source.Token(req.Context())
		if err != nil {
			return nil, nil, err
		}
		if tok == nil || tok.AccessToken == "" {
			return nil, nil, errors.New("unikyc: token source returned an empty token")
		}
		value = t.headerFor(tok)
	}
	// A shallow copy with its own header map is all the clone needs: only
	// the header changes, and nothing below writes to the rest.
	req2 := new(http.Request)
	*req2 = *req
	req2.Body = body
	req2.Header = make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		req2.Header[k] = v
	}
	if value != nil {
		req2.Header["Authorization"] = value[:1:1]
	} else {
		t.Credential.SetHeader(req2.Header)
	}
	return req2, tok, nil
}

func (t *Transport) headerFor(tok *Token) []string {
	if h := t.last.Load(); h != nil && h.tok == tok {
		return h.value
	}
	h := &tokenHeader{tok: tok, value: []string{tok.Type() + " " + tok.AccessToken}}
	t.last.Store(h)
	return h.value
}

func (t *Transport) unauthorized(req *http.Request, resp *http.Response) error {
	defer drain(resp)
	if t.OnUnauthorized != nil {
		if err := t.OnUnauthorized(resp); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s %s answered %d", errs.ErrUnauthorized, req.Method, t.host, resp.StatusCode)
}

// CloseIdleConnections closes the idle connections of Base, when it has any.
func (t *Transport) CloseIdleConnections() {
	if ci, ok := t.base().(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) sameOrigin(u *url.URL) bool {
	if t.Origin == nil || u == nil {
		return false
	}
	return strings.EqualFold(u.Scheme, t.scheme) && canonicalHost(u) == t.host
}

// canonicalHost lower-cases the host and drops the scheme's default port.
func canonicalHost(u *url.URL) string {
	host := strings.ToLower(u.Host)
	switch {
	case strings.EqualFold(u.Scheme, "https") && strings.HasSuffix(host, ":443"):
		host = host[:len(host)-4]
	case strings.EqualFold(u.Scheme, "http") && strings.HasSuffix(host, ":80"):
		host = host[:len(host)-3]
	}
	return host
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopback reports whether the URL's host is localhost or a loopback IP,
// where plain http cannot expose credentials to the network.
func IsLoopback(u *url.URL) bool { return isLoopback(u.Hostname()) }
