package auth

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// ErrInsecureHTTP is returned, before any connection is made, for a request
// that would carry credentials over plain http to a host that is not
// loopback. Set Transport.AllowInsecureHTTP to permit it.
var ErrInsecureHTTP = errors.New("unikyc: refusing to send credentials over plain http to a non-loopback host")

// Transport is an http.RoundTripper that authenticates requests to one
// provider origin, in the manner of golang.org/x/oauth2's Transport: it
// sets the credential and returns whatever the provider answers, a 401
// included, never interpreting it. (unikyc's provider clients use their own
// pipeline, which also throttles, retries and replays after a 401; this
// type is for a plain http.Client.)
//
// For a request to Origin (same scheme, host and port) it clones the request,
// sets the credential from Source or Credential, and sends the clone; the
// caller's request is never modified. Requests to any other origin, including
// redirects followed by an http.Client, go out without credentials.
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

	once   sync.Once
	origin *Origin // made from Origin and AllowInsecureHTTP on first use
}

func (t *Transport) init() { t.origin = NewOrigin(t.Origin, t.AllowInsecureHTTP) }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(t.init)
	if !t.origin.Contains(req.URL) {
		return t.base().RoundTrip(req)
	}
	if err := t.origin.Check(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	if t.Source == nil && t.Credential == nil {
		closeBody(req)
		return nil, errors.New("unikyc: auth.Transport has neither Source nor Credential")
	}
	req2, err := t.authorized(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	return t.base().RoundTrip(req2)
}

// authorized returns a clone of req carrying the credential.
func (t *Transport) authorized(req *http.Request) (*http.Request, error) {
	var tok *Token
	if t.Source != nil {
		var err error
		if tok, err = t.Source.Token(req.Context()); err != nil {
			return nil, err
		}
		if tok == nil || tok.AccessToken == "" {
			return nil, errors.New("unikyc: token source returned an empty token")
		}
	}
	return t.origin.Authorize(req, tok, t.Credential), nil
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

// CanonicalHost lower-cases u's host and drops the scheme's default port,
// so that two spellings of one origin compare equal.
func CanonicalHost(u *url.URL) string {
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
