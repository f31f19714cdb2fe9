package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/internal/jwtexp"
)

// Sender sends requests for one provider through its pipeline and decodes
// the answers. It is the provider-author API: provider packages use it,
// through [Core], for their typed calls and, in Spec.Login and
// Spec.Refresh, for token calls, whose tokens [Sender.Expiry] dates.
type Sender struct {
	p     *pipeline
	hc    *http.Client
	kind  CallKind
	limit int64
	sent  atomic.Pointer[time.Time] // token calls: when the last one left
	short sync.Once                 // logs a too-short lifetime once
}

const maxAnswer = 16 << 20

// RawBody is a request body sent as is, with its content type.
type RawBody struct {
	ContentType string
	Data        []byte
}

// NewRequest builds a request to path (with an optional query) under the
// base URL. body may be nil, url.Values (sent as a form), RawBody, or any
// value sent as JSON. The body can be replayed, so the request can be
// retried and re-sent after a 401.
func (s *Sender) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("unikyc: %s: bad path: %w", s.p.provider, err)
	}
	u := *s.p.baseURL
	u.Path = s.p.baseURL.Path + "/" + strings.TrimPrefix(ref.Path, "/")
	// Keep escapes such as %2F inside a segment.
	u.RawPath = s.p.baseURL.EscapedPath() + "/" + strings.TrimPrefix(ref.EscapedPath(), "/")
	u.RawQuery = ref.RawQuery

	var (
		data        []byte
		contentType string
	)
	switch b := body.(type) {
	case nil:
	case url.Values:
		data, contentType = []byte(b.Encode()), "application/x-www-form-urlencoded"
	case RawBody:
		data, contentType = b.Data, b.ContentType
	default:
		if data, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("unikyc: %s: encoding request: %w", s.p.provider, err)
		}
		contentType = "application/json"
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("unikyc: %s: %w", s.p.provider, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	return req, nil
}

// UserAgent is sent with every request unikyc builds.
const UserAgent = "unikyc-go/" + Version + " (+https://github.com/unikyc/unikyc)"

// HTTPClient returns the client that authenticates, throttles and retries
// every request to the provider. Use it for any endpoint, typed or not. It
// returns every response it obtained, like any http.Client: a final 401 or
// 429 is a response (check it with [Core.CheckResponse]); it errs only when
// it got none. It is shared and safe for concurrent use. A provider's Client
// declares its own HTTPClient method that returns this one.
func (s *Sender) HTTPClient() *http.Client { return s.hc }

// Name returns the provider's short name.
func (s *Sender) Name() string { return s.p.provider }

// Do sends req through the pipeline. A 2xx answer is decoded as JSON into
// out (unless out is nil); any other answer becomes the typed error
// (*Error, or *RateLimitError for a 429) named by operation. The answer is
// read inside the attempt: an idempotent call whose answer breaks off
// mid-body is sent again.
func (s *Sender) Do(req *http.Request, operation string, out any) error {
	data, err := s.Exchange(req, operation)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &DecodeError{Provider: s.p.provider, Operation: operation, Err: err}
	}
	return nil
}

// Exchange is Do without the decoding: it returns the 2xx answer's body.
// It is the provider-author API.
func (s *Sender) Exchange(req *http.Request, operation string) ([]byte, error) {
	c := &call{p: s.p, kind: s.kind, operation: operation, read: s.limit}
	if c.kind != CallAPI && s.closedNow() {
		return nil, ErrClosed
	}
	// Through an http.Client, so that API calls follow redirects (with
	// credentials for the provider's own origin only) and token calls do
	// not; c is the client's transport, so every hop is this call's.
	c.client = http.Client{Transport: c, CheckRedirect: s.hc.CheckRedirect}
	resp, err := c.client.Do(req)
	if c.kind != CallAPI && !c.sent.IsZero() {
		sent := c.sent
		s.sent.Store(&sent)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil && ue.Err == c.err {
			// The loop's own error, typed already (http.Client's wrapper
			// quotes the URL, which may be personal).
			return nil, c.err
		}
		// An error http.Client made itself (a Location it could not parse,
		// too many redirects): it may quote what the server sent, whole.
		return nil, &TransportError{Provider: s.p.provider, Operation: operation, Kind: c.kind, Err: err}
	}
	var data []byte
	if success(resp.StatusCode) {
		data, _ = io.ReadAll(resp.Body) // already read inside the attempt
	}
	if err := s.p.check(resp, c); err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	return data, nil
}

func (s *Sender) closedNow() bool {
	select {
	case <-s.p.closed:
		return true
	default:
		return false
	}
}

// Now returns the client's clock reading (the clock of WithClock), for
// provider code that dates tokens or codes. It is the provider-author API.
func (s *Sender) Now() time.Time { return s.p.clk.Now() }

// MinTokenLifetime is the shortest lifetime a token is given: a provider
// that answers a lifetime of a second would otherwise cost a login per
// request.
const MinTokenLifetime = 30 * time.Second

// Expiry returns when accessToken expires, for token calls. It takes the
// earlier of the answer's own lifetime field (lifetime > 0) and the JWT
// "exp" claim (read without verification, for scheduling only), else the
// provider's documented lifetime (documented > 0). A lifetime is counted
// from when the token call was sent, not from when its answer arrived. The
// zero time means unknown: the token is used until the provider rejects it.
//
// When "exp" is already past on our clock (ours runs ahead of the
// provider's), the JWT's own lifetime, exp minus iat, counts instead;
// otherwise every request would log in again. A lifetime below
// MinTokenLifetime is raised to it (and logged once). It is the
// provider-author API.
func (s *Sender) Expiry(accessToken string, lifetime, documented time.Duration) time.Time {
	now := s.p.clk.Now()
	from := now
	if t := s.sent.Load(); t != nil && !t.After(now) {
		from = *t
	}
	var at time.Time
	if lifetime > 0 {
		at = from.Add(lifetime)
	}
	if exp, ok := jwtexp.Expiry(accessToken); ok {
		switch {
		case exp.After(now) && (at.IsZero() || exp.Before(at)):
			at = exp
		case !exp.After(now) && at.IsZero():
			if life, ok := jwtexp.Lifetime(accessToken); ok {
				at = from.Add(life)
			}
		}
	}
	if at.IsZero() && documented > 0 {
		at = from.Add(documented)
	}
	if floor := s.p.minLife; !at.IsZero() && at.Sub(from) < floor {
		s.short.Do(func() {
			s.p.log.Warn("unikyc: provider gave a very short token lifetime; using the minimum",
				"provider", s.p.provider, "lifetime", at.Sub(from).Round(time.Millisecond), "minimum", floor)
		})
		at = from.Add(floor)
	}
	return at
}
