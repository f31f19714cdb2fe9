package idenfytest

import (
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// maxBody caps a request body the fake reads.
const maxBody = 1 << 20

// handler serves one route with the request's (already decoded) body.
type handler func(w http.ResponseWriter, r *http.Request, b body)

// routes returns the API: authentication, rate limit, method, content type
// and body checks, then the endpoint.
func (s *Server) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.storage(w, r) { // file links are presigned: no credentials
			return
		}
		if !s.authorized(r) {
			s.reject(w, http.StatusUnauthorized, codeUnauthorized, "Provided credentials are invalid.")
			return
		}
		if s.window != nil {
			if ok, wait := s.window.Allow(s.opts.key); !ok {
				s.kit.Counts.Inc(providertest.CountRateLimited)
				w.Header().Set("Retry-After", fakekit.RetryAfterSeconds(wait))
				s.reject(w, s.opts.throttleStatus, codeTooManyRequests, "Too many requests.")
				return
			}
		}
		method, h := s.route(r.URL.Path)
		switch {
		case h == nil:
			s.reject(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
			return
		case r.Method != method:
			w.Header().Set("Allow", method)
			s.reject(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed.")
			return
		case method == http.MethodGet:
			h(w, r, nil)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			s.reject(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json.")
			return
		}
		raw, err := httpbody.Read(r.Body, maxBody)
		if err != nil {
			s.reject(w, http.StatusRequestEntityTooLarge, codeBadValue, "Request body too large.")
			return
		}
		s.mu.Lock()
		s.last[r.URL.Path] = raw
		s.mu.Unlock()
		var b body
		if err := json.Unmarshal(raw, &b); err != nil || b == nil {
			s.reject(w, http.StatusBadRequest, "JSON_ERROR", "JSON parse error.")
			return
		}
		h(w, r, b)
	})
}

// route finds the endpoint for path and the method it takes.
func (s *Server) route(path string) (string, handler) {
	switch path {
	case PathKYBTokens:
		return http.MethodPost, s.createKYB
	case PathKYCToken:
		return http.MethodPost, s.createKYC
	case PathStatus:
		return http.MethodPost, s.status
	case PathDelete:
		return http.MethodPost, s.delete
	case PathFull:
		return http.MethodPost, s.full
	case PathData:
		return http.MethodPost, s.data
	case PathFiles:
		return http.MethodPost, s.files
	case PathIdentifications:
		return http.MethodGet, s.identifications
	case PathKYBCompanies:
		return http.MethodGet, s.companiesList
	case PathAMLChecks:
		return http.MethodPost, s.amlCreate
	}
	if tok, ok := segment(path, PathKYBTokens, ""); ok {
		return http.MethodPatch, func(w http.ResponseWriter, r *http.Request, b body) {
			s.updateKYB(w, r, tok, b)
		}
	}
	if id, ok := segment(path, PathKYBCompanies, ""); ok {
		return http.MethodGet, func(w http.ResponseWriter, _ *http.Request, _ body) { s.companyGet(w, id) }
	}
	if id, ok := segment(path, PathAMLChecks, "pdf/"); ok {
		return http.MethodPost, func(w http.ResponseWriter, _ *http.Request, _ body) { s.amlPDF(w, id) }
	}
	return "", nil
}

// segment reads prefix + {one segment} + "/" + suffix.
func segment(path, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, "/"+suffix)
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

func (s *Server) authorized(r *http.Request) bool {
	key, secret, ok := r.BasicAuth()
	// Both compared, always, so timing does not tell which one was wrong.
	k := subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.key))
	p := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.secret))
	return ok && k&p == 1
}

// reject answers an iDenfy error and counts it as refused by the fake.
func (s *Server) reject(w http.ResponseWriter, status int, identifier, message string) {
	s.kit.Counts.Inc(providertest.CountRejected)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(identifier, message))
}

// invalid answers the first broken rule of r, if any: 400 with
// MISSING_VALUE or BAD_VALUE and the field named in the message.
func (s *Server) invalid(w http.ResponseWriter, r *reader) bool {
	if r.err == nil {
		return false
	}
	s.reject(w, http.StatusBadRequest, r.err.identifier, r.err.message())
	return true
}
