package genericjwttest

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// Counter names in the kit.
const (
	cLoginAttempts = providertest.CountLoginAttempts
	cLogins        = providertest.CountLogins
	cRejected      = providertest.CountRejected
	cUnauthorized  = "unauthorized"
	cExpired       = "expired"
)

// maxForm caps a login body, like a real server would.
const maxForm = 64 << 10

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(s.loginPath, s.login)
	mux.Handle(s.mePath, onlyGET(s, s.protect(http.HandlerFunc(s.me))))
	mux.Handle(ResourcePath, onlyGET(s, s.protect(http.HandlerFunc(s.resource))))
	for _, r := range s.routes {
		mux.Handle(r.pattern, s.protect(r.h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.reject(w, http.StatusNotFound, "Not Found")
	})
	return s.slashRedirect(mux)
}

// slashRedirect is Starlette's redirect_slashes: a request for a route
// spelled with the other trailing slash gets 307 to the route's spelling
// (method and body kept by the client), and an empty body.
func (s *Server) slashRedirect(mux *http.ServeMux) http.Handler {
	known := map[string]bool{s.loginPath: true, s.mePath: true, ResourcePath: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !known[p] && p != "/" {
			alt := p + "/"
			if strings.HasSuffix(p, "/") {
				alt = strings.TrimSuffix(p, "/")
			}
			if known[alt] {
				u := *r.URL
				u.Path = alt
				w.Header().Set("Location", u.RequestURI())
				w.WriteHeader(http.StatusTemporaryRedirect)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// reject answers a request the fake refuses by its own rules, with
// FastAPI's {"detail": …} body, and counts it.
func (s *Server) reject(w http.ResponseWriter, status int, detail any) {
	s.kit.Counts.Inc(cRejected)
	fakekit.WriteJSON(w, status, map[string]any{"detail": detail})
}

func onlyGET(s *Server, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.reject(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fieldError is one entry of FastAPI's 422 list (pydantic v2's shape).
type fieldError struct {
	Type  string         `json:"type"`
	Loc   []string       `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// fieldErrorV1 is the same entry in pydantic v1's shape.
type fieldErrorV1 struct {
	Loc  []string       `json:"loc"`
	Msg  string         `json:"msg"`
	Type string         `json:"type"`
	Ctx  map[string]any `json:"ctx,omitempty"`
}

// validationErrors is the 422 detail in the server's pydantic shape.
func (s *Server) validationErrors(errs []fieldError) any {
	if !s.pydantic1 {
		return errs
	}
	out := make([]fieldErrorV1, len(errs))
	for i, e := range errs {
		typ, msg := "value_error.missing", "field required"
		if e.Type != "missing" {
			typ, msg = "value_error.str.regex", `string does not match regex "^password$"`
		}
		out[i] = fieldErrorV1{Loc: e.Loc, Msg: msg, Type: typ, Ctx: e.Ctx}
	}
	return out
}

// login is FastAPI-Users' /auth/jwt/login with OAuth2PasswordRequestForm.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.reject(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	s.kit.Counts.Inc(cLoginAttempts)
	username, password, errs := readLoginForm(w, r)
	if len(errs) > 0 {
		s.reject(w, http.StatusUnprocessableEntity, s.validationErrors(errs))
		return
	}
	a, ok := s.users[username]
	if !ok || !a.active || a.password != password {
		s.reject(w, http.StatusBadRequest, genericjwt.CodeBadCredentials)
		return
	}
	if !a.verified && !s.verifiedOnly {
		s.reject(w, http.StatusBadRequest, genericjwt.CodeUserNotVerified)
		return
	}
	tok := s.kit.Tokens.Issue(a.id, providertest.KindAccess, s.lifetime)
	s.kit.Counts.Inc(cLogins)
	fakekit.WriteJSON(w, http.StatusOK, map[string]string{"access_token": tok, "token_type": "bearer"})
}

// readLoginForm reads the form as FastAPI does: only a urlencoded body is
// a form (anything else leaves every field missing), and an empty value
// counts as missing.
func readLoginForm(w http.ResponseWriter, r *http.Request) (username, password string, errs []fieldError) {
	var get func(string) (string, bool)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if mt == "application/x-www-form-urlencoded" && r.ParseForm() == nil {
		get = func(k string) (string, bool) { v := r.PostForm.Get(k); return v, v != "" }
	} else {
		get = func(string) (string, bool) { return "", false }
	}
	for _, f := range []string{"username", "password"} {
		if _, ok := get(f); !ok {
			errs = append(errs, fieldError{Type: "missing", Loc: []string{"body", f}, Msg: "Field required"})
		}
	}
	if gt, ok := get("grant_type"); ok && gt != "password" {
		errs = append(errs, fieldError{Type: "string_pattern_mismatch", Loc: []string{"body", "grant_type"},
			Msg: "String should match pattern '^password$'", Input: gt, Ctx: map[string]any{"pattern": "^password$"}})
	}
	username, _ = get("username")
	password, _ = get("password")
	return username, password, errs
}

type userKey struct{}

// Username returns the user a protected handler runs for ("" outside one).
func Username(r *http.Request) string {
	a, _ := r.Context().Value(userKey{}).(*account)
	if a == nil {
		return ""
	}
	return a.username
}

// protect lets only requests with a valid, live token through to h.
func (s *Server) protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, err := s.kit.Tokens.Bearer(r, providertest.KindAccess)
		a := s.byID[sub]
		if err == nil && (a == nil || !a.active) {
			err = providertest.ErrUnknownToken
		}
		if err != nil {
			s.kit.Counts.Inc(cUnauthorized)
			if errors.Is(err, providertest.ErrExpiredToken) {
				s.kit.Counts.Inc(cExpired)
			}
			s.reject(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, a)))
	})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	a := r.Context().Value(userKey{}).(*account)
	if s.verifiedOnly && !a.verified {
		// FastAPI-Users: an authenticated user who fails the verified
		// requirement gets HTTPException(403), whose body FastAPI writes
		// as the status phrase.
		s.reject(w, http.StatusForbidden, "Forbidden")
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{
		"id": a.id, "email": a.username, "is_active": a.active, "is_superuser": false, "is_verified": a.verified,
	})
}

func (s *Server) resource(w http.ResponseWriter, r *http.Request) {
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"resource": "ok", "owner": Username(r)})
}
