package compliancelytest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
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
)

// errorBody is the body of an injected fault: Compliancely's throttled
// answer for a 429, a DRF detail otherwise.
func errorBody(status int) []byte {
	if status == http.StatusTooManyRequests {
		return throttledBody
	}
	b, _ := json.Marshal(detail{Detail: "injected fault"})
	return b
}

// djangoNotFound is Django's own 404 page (DEBUG off): what a path without
// its trailing slash, or any unrouted path, gets.
const djangoNotFound = `<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
`

// routes matches paths exactly, as Django's URL patterns do: every path
// ends in "/", and the same path without it is a 404 (a POST is never
// redirected to the slash form).
func (s *Server) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == compliancely.DefaultLoginPath || p == compliancely.AltLoginPath:
			s.post(s.login)(w, r)
		case p == compliancely.DefaultRefreshPath:
			s.post(s.refresh)(w, r)
		case p == compliancely.DefaultValidatePath:
			s.post(s.validate)(w, r)
		case p == compliancely.TaxExemptPath:
			// DRF authenticates and throttles before it looks for the
			// method's handler.
			s.api(func(w http.ResponseWriter, r *http.Request, account string) {
				if r.Method != http.MethodPost {
					w.Header().Set("Allow", "POST, OPTIONS")
					s.reject(w, r, http.StatusMethodNotAllowed, detail{`Method "` + r.Method + `" not allowed.`, "method_not_allowed"})
					return
				}
				s.createTaxExempt(w, r, account)
			})(w, r)
		case p == compliancely.DefaultSubmissionsPath:
			s.api(s.only(http.MethodPost, s.createTINMatch))(w, r)
		case p == compliancely.DefaultBulkUploadPath:
			s.api(s.only(http.MethodPost, s.createBulkUpload))(w, r)
		case isRoute(p, compliancely.DefaultSubmissionsPath):
			id, _ := routeID(p, compliancely.DefaultSubmissionsPath)
			s.api(s.only(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ string) { s.getTINMatch(w, r, id) }))(w, r)
		case isRoute(p, compliancely.DefaultBulkUploadPath):
			id, _ := routeID(p, compliancely.DefaultBulkUploadPath)
			s.api(s.only(http.MethodGet, func(w http.ResponseWriter, r *http.Request, _ string) { s.getBulkUpload(w, r, id) }))(w, r)
		case strings.HasPrefix(p, "/api/v1/"):
			s.reject(w, r, http.StatusGone, detail{"API v1 and Basic authentication were retired on 31 May 2026; use API v2.", "gone"})
		default:
			s.notFound(w)
		}
	})
}

func (s *Server) notFound(w http.ResponseWriter) {
	s.kit.Counts.Inc(providertest.CountRejected)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, djangoNotFound)
}

// reject answers a refusal by the fake's own rules.
func (s *Server) reject(w http.ResponseWriter, _ *http.Request, status int, body any) {
	s.kit.Counts.Inc(providertest.CountRejected)
	fakekit.WriteJSON(w, status, body)
}

// throttled applies the per-account window; it answers 429 and returns
// true when the account is over it. Requests naming no account count
// against the caller's address.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, account string) bool {
	providertest.SetAccount(r, account)
	if s.window == nil {
		return false
	}
	key := "account:" + account
	if account == "" {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		key = "addr:" + host
	}
	ok, wait := s.window.Allow(key)
	if ok {
		return false
	}
	s.kit.Counts.Inc(providertest.CountRateLimited)
	s.kit.Counts.Inc(providertest.CountRejected)
	// (I) Retry-After says when the fake accepts the key again: DRF sends
	// the wait until a slot frees; past the limit Compliancely refuses for
	// its 10-minute penalty, so that is the wait.
	fakekit.SetRetryAfter(w.Header(), "", wait)
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
			s.countLoginAttempt(r)
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

// countLoginAttempt counts r as a login attempt when it went to a login
// path with POST. Every login request the fake judges counts, refused or
// not; one its rate limit refuses is counted by RateLimited instead, and
// an injected fault never reaches it.
func (s *Server) countLoginAttempt(r *http.Request) {
	if p := r.URL.Path; p == compliancely.DefaultLoginPath || p == compliancely.AltLoginPath {
		s.kit.Counts.Inc(providertest.CountLoginAttempts)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, body map[string]string) {
	user := body["username"]
	if s.throttled(w, r, user) {
		return
	}
	s.countLoginAttempt(r)
	if !s.required(w, r, body, "username", "password") {
		return
	}
	s.mu.Lock()
	want, ok := s.accounts[user]
	s.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(body["password"])) != 1 {
		s.reject(w, r, http.StatusUnauthorized, errNoAccount)
		return
	}
	s.kit.Counts.Inc(providertest.CountLogins)
	access, refresh := s.issue(user)
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{
		"access": access, "access_expiry_seconds": int64(s.accessLife / time.Second),
		"refresh": refresh, "refresh_expiry_seconds": int64(s.refreshLife / time.Second),
	})
}

func (s *Server) issue(user string) (access, refresh string) {
	return s.kit.Tokens.Issue(user, providertest.KindAccess, s.accessLife), s.kit.Tokens.Issue(user, providertest.KindRefresh, s.refreshLife)
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
	s.kit.Counts.Inc(providertest.CountRefreshes)
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
// view it needs no Authorization header. By default it is that view:
// 200 {} for a valid token, 401 token_not_valid otherwise.
func (s *Server) validate(w http.ResponseWriter, r *http.Request, body map[string]string) {
	tok := body["token"]
	kind := providertest.KindAccess
	user, err := s.kit.Tokens.Check(tok, kind)
	if errors.Is(err, providertest.ErrWrongKind) {
		kind = providertest.KindRefresh
		user, err = s.kit.Tokens.Check(tok, kind)
	}
	if s.throttled(w, r, user) || !s.required(w, r, body, "token") {
		return
	}
	s.kit.Counts.Inc("validations")
	if s.validateAnswer == VerifyAnswer {
		if err != nil {
			s.reject(w, r, http.StatusUnauthorized, errTokenInvalid)
			return
		}
		fakekit.WriteJSON(w, http.StatusOK, struct{}{})
		return
	}
	answer := map[string]any{"valid": err == nil, "token_type": kind, "remaining_seconds": 0}
	switch {
	case err == nil:
		answer["status"] = "valid"
		if exp, ok := jwtexp.Expiry(tok); ok {
			answer["expires_at"] = exp.UTC().Format(time.RFC3339)
			answer["remaining_seconds"] = int64(max(exp.Sub(s.kit.Clock.Now()), 0) / time.Second)
		}
	case errors.Is(err, providertest.ErrExpiredToken):
		answer["status"] = "expired"
	case errors.Is(err, providertest.ErrRevokedToken):
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
		case errors.Is(err, providertest.ErrNoToken):
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

// taxExemptRecord is the v2 record, in Compliancely's keys.
type taxExemptRecord struct {
	ID          int64    `json:"id"`
	TIN         string   `json:"tin"`
	Name        string   `json:"name"`
	Status      string   `json:"status"`
	CreatedAt   string   `json:"created_at"`
	CreatedBy   string   `json:"created_by"`
	WebhookURLs []string `json:"webhook_urls"`
}

type v2Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// v2Failure is the documented v2 error envelope.
type v2Failure struct {
	Errors  []v2Error `json:"errors"`
	Data    *struct{} `json:"data"`
	Success bool      `json:"success"`
}

// The documented messages.
const (
	msgBadTIN  = "Please enter valid TIN/EIN"
	msgBadName = "You have entered invalid characters in the Name field. Search terms in the Name field can only " +
		"include letters, numbers, @, /, \\, &, %, (), *, hyphens, spaces, apostrophes, periods, commas and quotation marks."
	msgCredit = "Credit limit reached! For assistance, please contact the support"
)

// createTaxExempt is POST /api/v2/taxexempt/: either tin or name.
func (s *Server) createTaxExempt(w http.ResponseWriter, r *http.Request, account string) {
	var req struct {
		TIN         *string  `json:"tin"`
		Name        *string  `json:"name"`
		WebhookURLs []string `json:"webhook_urls"`
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		s.reject(w, r, http.StatusUnsupportedMediaType, detail{`Unsupported media type "` + r.Header.Get("Content-Type") + `" in request.`, "unsupported_media_type"})
		return
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.reject(w, r, http.StatusBadRequest, detail{"JSON parse error", "parse_error"})
		return
	}
	tin, name := deref(req.TIN), deref(req.Name)
	var errs []v2Error
	switch {
	case tin == "" && strings.TrimSpace(name) == "":
		errs = append(errs, v2Error{"tin", "Either TIN or Name is mandatory"})
	case tin != "" && !nineDigits(tin):
		errs = append(errs, v2Error{"tin", msgBadTIN})
	}
	if !validName(name) {
		errs = append(errs, v2Error{"name", msgBadName})
	}
	if len(errs) > 0 {
		s.reject(w, r, http.StatusBadRequest, v2Failure{Errors: errs})
		return
	}
	s.mu.Lock()
	if s.credits == 0 {
		s.mu.Unlock()
		s.reject(w, r, http.StatusForbidden, map[string]string{"code": compliancely.CodeCreditMessage, "message": msgCredit})
		return
	}
	s.credits--
	s.nextID++
	rec := taxExemptRecord{ID: s.nextID, TIN: tin, Name: name, Status: "Pending",
		CreatedAt: s.kit.Clock.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), CreatedBy: "compliancely",
		WebhookURLs: append([]string{}, req.WebhookURLs...)}
	s.records[rec.ID] = rec
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, map[string]any{
		"success_message": "Created new TAX Exempt record", "data": rec, "success": true})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nineDigits(s string) bool {
	return len(s) == 9 && strings.Trim(s, "0123456789") == ""
}

func validName(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ' ' && !strings.ContainsRune(`@/\&%()*-'.,"`, c) {
			return false
		}
	}
	return true
}

func isRoute(p, prefix string) bool {
	_, ok := routeID(p, prefix)
	return ok
}

// only answers DRF's 405 to other methods.
func (s *Server) only(method string, h func(w http.ResponseWriter, r *http.Request, account string)) func(w http.ResponseWriter, r *http.Request, account string) {
	return func(w http.ResponseWriter, r *http.Request, account string) {
		if r.Method != method {
			w.Header().Set("Allow", method+", OPTIONS")
			s.reject(w, r, http.StatusMethodNotAllowed, detail{`Method "` + r.Method + `" not allowed.`, "method_not_allowed"})
			return
		}
		h(w, r, account)
	}
}
