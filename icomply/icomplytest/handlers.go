package icomplytest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

const (
	kindAccess = providertest.KindAccess
	maxForm    = 1 << 20
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+icomply.TokenPath, s.getToken)
	mux.HandleFunc("GET "+icomply.TokenValidPath, s.tokenValid)
	mux.HandleFunc("GET "+icomply.EntitiesPath, s.authed(s.listEntities))
	mux.HandleFunc("GET "+s.opts.personPath+"{id}", s.authed(s.getNaturalPerson))
	persons, legal := strings.TrimSuffix(s.opts.personPath, "/"), strings.TrimSuffix(s.opts.legalPath, "/")
	mux.HandleFunc("POST "+persons, s.authed(s.addNaturalPerson))
	mux.HandleFunc("GET "+persons, s.authed(s.searchPersons))
	mux.HandleFunc("GET "+s.opts.legalPath+"{id}", s.authed(s.getLegalEntity))
	mux.HandleFunc("GET "+s.opts.legalPath+"{id}/request-client-update", s.authed(s.requestLegalUpdate))
	mux.HandleFunc("POST "+legal, s.authed(s.addLegalEntity))
	mux.HandleFunc("GET "+legal, s.authed(s.searchLegal))
	mux.HandleFunc("POST "+icomply.AMLPath, s.authed(s.createAML))
	mux.HandleFunc("GET "+icomply.AMLPath+"/{id}", s.authed(s.getAML))
	return mux
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	// Every login request the fake judges counts, refused or not.
	s.kit.Counts.Inc(providertest.CountLoginAttempts)
	if !hasMediaType(r, "multipart/form-data") {
		s.reject(w, http.StatusUnsupportedMediaType, problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	if err := r.ParseMultipartForm(maxForm); err != nil {
		s.reject(w, http.StatusBadRequest, problem(http.StatusBadRequest, "The form could not be read.", nil))
		return
	}
	user, pass := formValue(r, "Username"), formValue(r, "Password")
	if user == "" {
		s.reject(w, http.StatusBadRequest, problem(http.StatusBadRequest, "One or more validation errors occurred.",
			map[string][]string{"Username": {"The Username field is required."}}))
		return
	}
	if !equal(user, s.opts.username) || !equal(pass, s.opts.passwd) {
		s.reject(w, http.StatusUnauthorized, nil)
		return
	}
	s.kit.Counts.Inc(providertest.CountLogins)
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{"token": s.kit.Tokens.Issue(user, kindAccess, s.opts.lifetime)})
}

func (s *Server) tokenValid(w http.ResponseWriter, r *http.Request) {
	// The token is sent as every other call sends it, a Bearer token; a
	// bare token is refused.
	if _, err := s.kit.Tokens.Bearer(r, kindAccess); err != nil {
		s.tokenRefused(w, err)
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]bool{"isTokenValid": true})
}

// authed lets through a request with the API key or a live bearer token.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if key := r.Header.Get(s.opts.header); key != "" {
			if !equal(key, s.opts.apiKey) {
				s.reject(w, http.StatusUnauthorized, nil)
				return
			}
		} else if _, err := s.kit.Tokens.Bearer(r, kindAccess); err != nil {
			s.tokenRefused(w, err)
			return
		}
		h(w, r)
	}
}

func (s *Server) tokenRefused(w http.ResponseWriter, err error) {
	if errors.Is(err, providertest.ErrExpiredToken) {
		s.kit.Counts.Inc("expired")
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	s.reject(w, http.StatusUnauthorized, nil)
}

// reject answers a request refused by the fake's rules; nil body: none.
func (s *Server) reject(w http.ResponseWriter, status int, body any) {
	s.kit.Counts.Inc(providertest.CountRejected)
	if body == nil {
		w.WriteHeader(status)
		return
	}
	fakekit.WriteJSON(w, status, body)
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r)
	if err != nil {
		s.failure(w, http.StatusBadRequest, "message", err.Error())
		return
	}
	s.mu.Lock()
	out := s.data.list(q)
	s.mu.Unlock()
	success(w, http.StatusOK, out)
}

func (s *Server) getNaturalPerson(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	np, ok := s.data.persons[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		s.failure(w, http.StatusNotFound, "message", "there is no natural person with given id")
		return
	}
	success(w, http.StatusOK, np)
}

func (s *Server) createAML(w http.ResponseWriter, r *http.Request) {
	if !hasMediaType(r, "application/json") {
		s.reject(w, http.StatusUnsupportedMediaType, problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	var p amlRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm)).Decode(&p); err != nil {
		s.failure(w, http.StatusBadRequest, "message", "the request body is not valid JSON")
		return
	}
	switch {
	case p.SearchTerm.Name == "":
		s.failure(w, http.StatusBadRequest, "messsage", "you need to provide 'name' (string) under AML search term object")
		return
	case p.SearchFuzziness < 0 || p.SearchFuzziness > 100:
		s.failure(w, http.StatusBadRequest, "message", "searchFuzziness must be between 0 and 100")
		return
	}
	now := s.kit.Clock.Now()
	s.mu.Lock()
	id := s.nextAML
	s.nextAML++
	s.data.aml[strconv.Itoa(id)] = newAMLSearch(id, p, now)
	s.mu.Unlock()
	// As documented: HTTP 200, envelope code 201, the id as a string.
	success(w, http.StatusCreated, map[string]string{"id": strconv.Itoa(id)})
}

func (s *Server) getAML(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, ok := s.data.aml[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		s.failure(w, http.StatusNotFound, "message", "there is no aml search with given id")
		return
	}
	// As documented: the id comes back as a number here.
	success(w, http.StatusOK, a)
}

// success writes the v2 envelope with HTTP 200 and code.
func success(w http.ResponseWriter, code int, data any) {
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{
		"code": code, "status": "success", "message": "", "data": data, "errors": []string{}})
}

// failure writes the v2 failure envelope; msgKey is "message", or
// "messsage" where iComply's documentation spells it so.
func (s *Server) failure(w http.ResponseWriter, status int, msgKey, msg string) {
	body := map[string]any{"code": status, "status": "failure", msgKey: msg, "data": nil}
	if status == http.StatusNotFound {
		fakekit.WriteJSON(w, status, body)
		return
	}
	s.reject(w, status, body)
}

// problem is ASP.NET Core's problem details.
func problem(status int, title string, errs map[string][]string) map[string]any {
	p := map[string]any{"type": "https://tools.ietf.org/html/rfc9110#section-15.5", "title": title, "status": status}
	if errs != nil {
		p["errors"] = errs
	}
	return p
}

func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

func formValue(r *http.Request, name string) string {
	if v := r.MultipartForm.Value[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
