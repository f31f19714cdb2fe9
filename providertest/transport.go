package providertest

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
)

// memoryURL is the base URL of a fake that does not listen: a loopback
// address (so clients accept plain http) on a port nothing serves.
const memoryURL = "http://127.0.0.1:9"

var errNotStarted = errors.New("providertest: the fake is not started")

// Transport returns an http.RoundTripper that serves requests from the
// fake's handler in memory, in the caller's goroutine: no socket, no
// goroutine of its own, so a test can run client and fake inside a
// testing/synctest bubble (with a fake made WithInMemory, or one started
// outside the bubble). Every request goes to the fake, whatever its host.
func (k *Kit) Transport() http.RoundTripper { return memTransport{k} }

type memTransport struct{ k *Kit }

func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.k.mu.Lock()
	h := t.k.handler
	t.k.mu.Unlock()
	if req.Body != nil {
		defer req.Body.Close()
	}
	if h == nil {
		return nil, errNotStarted
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:1"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, in)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	if resp.ContentLength < 0 {
		resp.ContentLength = int64(rec.Body.Len())
	}
	return resp, nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
