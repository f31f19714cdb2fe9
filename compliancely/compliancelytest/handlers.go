package compliancelytest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/fakekit"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/providers"
)

var throttledBody, _ = json.Marshal(map[string]string{"detail": ThrottledDetail})

type detail struct {
	Detail string `json:"detail"`
	Code   string `json:"code,omitempty"`
}

// Simple JWT's answers.
var (
	errNoAccount    = detail{"No active account found with the given credentials", compliancely.CodeNoActiveAccount}
	errTokenInvalid = detail{"Token is invalid or expired", compliancely.CodeTokenNotValid}
	errBadBearer    = detail{"Given token not valid for any token type", compliancely.CodeTokenNotValid}
	errNoAuth       = detail{"Authentication credentials were not provided.", compliancely.CodeNotAuthenticated}
	errNotFound     = detail{"Not found.", "not_found"}
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/v2/token/", "/api/v2/token/create", "/api/v2/token/create/"} {
		mux.HandleFunc(p, s.post(s.login))
	}
	for _, p := range []string{"/api/v2/token/refresh/", "/api/v2/token/refresh"} {
		mux.HandleFunc(p, s.post(s.refresh))
	}
	for _, p := range []string{"/api/v2/token/validate/", "/api/v2/token/validate"} {
		mux.HandleFunc(p, s.post(s.validate))
	}
	mux.HandleFunc("POST /api/v2/submissions/", s.api(s.createSubmission))
	mux.HandleFunc("GET /api/v2/submissions/{id}/", s.api(s.getSubmission))
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.reject(w, r, http.StatusGone, detail{"API v1 and Basic authentication were retired on 31 May 2026; use API v2.", "gone"})
	})
	return mux
}

// accountKey carries the account a request names up to the Hit record.
type accountKey struct{}

func withAccount(ctx context.Context, p *string) context.Context {
	return context.WithValue(ctx, accountKey{}, p)
}

func setAccount(r *http.Request, account string) {
	if p, ok := r.Context().Value(accountKey{}).(*string); ok {
		*p = account
	}
}

// reject answers a refusal by the fake's own rules.
func (s *Server) reject(w http.ResponseWriter, _ *http.Request, status int, body any) {
	s.kit.Counts.Inc("rejected")
	fakekit.WriteJSON(w, status, body)
}

// throttled applies the per-account window; it answers 429 and returns
// true when the account is over it. Requests naming no account count
// against the caller's address.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, account string) bool {
	setAccount(r, account)
	if s.window == nil {
		return false
	}
	key := "account:" + account
	if account == "" {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		key = "addr:" + host
	}
	if ok, _ := s.window.Allow(key); ok {
		return false
	}
	s.kit.Counts.Inc("ratelimited")
	s.kit.Counts.Inc("rejected")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(throttledBody)
	return true
}

// post wraps a token endpoint: POST with a JSON body, decoded into a map
// of strings, as Django REST Framework would parse it.
func (s *Server) post(h func(w http.ResponseWriter, r *http.Request, body map[string]string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST, OPTIONS")
			s.reject(w, r, http.StatusMethodNotAllowed, detail{`Method "` + r.Method + `" not allowed.`, "method_not_allowed"})
			return
		}
		body, ok := s.jsonBody(w, r)
		if !ok {
			return
		}
		h(w, r, body)
	}
}

// jsonBody reads a JSON object body; it answers 415 or 400 and returns
// false when it cannot. Non-string values are kept as their JSON text.
func (s *Server) jsonBody(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		s.reject(w, r, http.StatusUnsupportedMediaType, detail{`Unsupported media type "` + ct + `" in request.`, "unsupported_media_type"})
		return nil, false
	}
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&raw); err != nil {
		s.reject(w, r, http.StatusBadRequest, detail{"JSON parse error - " + err.Error(), "parse_error"})
		return nil, false
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var str string
		if json.Unmarshal(v, &str) != nil {
			str = string(v)
		}
		out[k] = str
	}
	return out, true
}

// required answers DRF's 400 for the missing fields; it returns false when
// one is missing.
func (s *Server) required(w http.ResponseWriter, r *http.Request, body map[string]string, fields ...string) bool {
	missing := map[string][]string{}
	for _, f := range fields {
		if strings.TrimSpace(body[f]) == "" {
			missing[f] = []string{"This field is required."}
		}
	}
	if len(missing) == 0 {
		return true
	}
	s.reject(w, r, http.StatusBadRequest, missing)
	return false
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, body map[string]string) {
	user := body["username"]
	if s.throttled(w, r, user) || !s.required(w, r, body, "username", "password") {
		return
	}
	s.mu.Lock()
	want, ok := s.accounts[user]
	s.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(body["password"])) != 1 {
		s.reject(w, r, http.StatusUnauthorized, errNoAccount)
		return
	}
	s.kit.Counts.Inc("logins")
	access, refresh := s.issue(user)
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{
		"access": access, "access_expiry_seconds": int64(s.accessLife / time.Second),
		"refresh": refresh, "refresh_expiry_seconds": int64(s.refreshLife / time.Second),
	})
}

func (s *Server) issue(user string) (access, refresh string) {
	return s.kit.Tokens.Issue(user, "access", s.accessLife), s.kit.Tokens.Issue(user, "refresh", s.refreshLife)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request, body map[string]string) {
	old := body["refresh"]
	user, err := s.kit.Tokens.Check(old, "refresh")
	if s.throttled(w, r, user) || !s.required(w, r, body, "refresh") {
		return
	}
	if err != nil {
		s.reject(w, r, http.StatusUnauthorized, errTokenInvalid)
		return
	}
	// Rotation: the old refresh token is refused from now on.
	s.kit.Tokens.Revoke(old)
	s.kit.Counts.Inc("refreshes")
	access, refresh := s.issue(user)
	names := [2]string{"new_access_token", "new_refresh_token"}
	if s.refreshAnswer == AccessRefresh || s.refreshAnswer == AccessRefreshWithExpiry {
		names = [2]string{"access", "refresh"}
	}
	answer := map[string]any{names[0]: access, names[1]: refresh}
	if s.refreshAnswer == NewTokensWithExpiry || s.refreshAnswer == AccessRefreshWithExpiry {
		answer["access_expiry_seconds"] = int64(s.accessLife / time.Second)
		answer["refresh_expiry_seconds"] = int64(s.refreshLife / time.Second)
	}
	fakekit.WriteJSON(w, http.StatusOK, answer)
}

// validate reports on the token in the body; like Simple JWT's verify
// view it needs no Authorization header.
func (s *Server) validate(w http.ResponseWriter, r *http.Request, body map[string]string) {
	tok := body["token"]
	kind := "access"
	user, err := s.kit.Tokens.Check(tok, kind)
	if errors.Is(err, fakekit.ErrWrongKind) {
		kind = "refresh"
		user, err = s.kit.Tokens.Check(tok, kind)
	}
	if s.throttled(w, r, user) || !s.required(w, r, body, "token") {
		return
	}
	s.kit.Counts.Inc("validations")
	answer := map[string]any{"valid": err == nil, "token_type": kind, "remaining_seconds": 0}
	switch {
	case err == nil:
		answer["status"] = "valid"
		if exp, ok := jwtexp.Expiry(tok); ok {
			answer["expires_at"] = exp.UTC().Format(time.RFC3339)
			answer["remaining_seconds"] = int64(max(exp.Sub(s.kit.Clock.Now()), 0) / time.Second)
		}
	case errors.Is(err, fakekit.ErrExpiredToken):
		answer["status"] = "expired"
	case errors.Is(err, fakekit.ErrRevokedToken):
		answer["status"] = "revoked"
	default:
		answer["status"] = "invalid"
		delete(answer, "token_type")
	}
	fakekit.WriteJSON(w, http.StatusOK, answer)
}

// api wraps an API endpoint: a valid access token in "Authorization:
// Bearer" is required; h gets the account.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, account string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, err := s.kit.Tokens.Bearer(r, "access")
		if s.throttled(w, r, user) {
			return
		}
		switch {
		case errors.Is(err, fakekit.ErrNoToken):
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			s.reject(w, r, http.StatusUnauthorized, errNoAuth)
		case err != nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			s.reject(w, r, http.StatusUnauthorized, errBadBearer)
		default:
			h(w, r, user)
		}
	}
}

type submission struct {
	account string
	compliancely.Submission
}

func (s *Server) createSubmission(w http.ResponseWriter, r *http.Request, account string) {
	body, ok := s.jsonBody(w, r)
	if !ok || !s.required(w, r, body, "tin", "name") {
		return
	}
	req := compliancely.SubmissionRequest{TIN: body["tin"], Name: body["name"]}
	if err := req.Validate(); err != nil {
		field, ve := "name", (*providers.ValidationError)(nil)
		if errors.As(err, &ve) {
			field = ve.Field
		}
		s.reject(w, r, http.StatusBadRequest, map[string][]string{field: {"Enter a valid value."}})
		return
	}
	now := s.kit.Clock.Now().UTC().Format(time.RFC3339)
	code := int(req.TIN[8] - '0')
	if code == 9 {
		code = 0
	}
	sub := compliancely.Submission{Name: req.Name, TIN: req.TIN, CreatedBy: "compliancely",
		IRSCode: code, IRSReason: irsReasons[code], IRSServiceStatus: "RUNNING",
		LastIRSCheckDate: now, CreatedDate: now, UpdatedDate: now}
	switch code {
	case 0, 6, 7, 8:
		sub.Status = compliancely.StatusMatched
	default:
		sub.Status = compliancely.StatusNotMatched
	}
	s.mu.Lock()
	s.nextID++
	sub.ID = s.nextID
	s.subs[sub.ID] = submission{account: account, Submission: sub}
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, sub)
}

func (s *Server) getSubmission(w http.ResponseWriter, r *http.Request, account string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	sub, ok := s.subs[id]
	s.mu.Unlock()
	if err != nil || !ok || sub.account != account {
		s.reject(w, r, http.StatusNotFound, errNotFound)
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, sub.Submission)
}

var irsReasons = map[int]string{
	0: "TIN and Name combination matches IRS records.",
	1: "TIN was missing or TIN not 9-digit numeric.",
	2: "TIN entered is not currently issued.",
	3: "TIN and Name combination does not match IRS records.",
	4: "Invalid TIN Matching request.",
	5: "Duplicate TIN Matching request.",
	6: "TIN and Name combination matches IRS SSN records.",
	7: "TIN and Name combination matches IRS EIN records.",
	8: "TIN and Name combination matches IRS SSN and EIN records.",
}
