package kyconnecttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// onboardingKey is what the onboarding throttler counts by: the body's
// email, lower-cased (KYConnect documents "per email"; a request without
// one counts by client IP, as @nestjs/throttler's default tracker does).
// The body is put back for the handler.
func onboardingKey(r *http.Request) string {
	b, _ := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(b))
	var body struct {
		Email any `json:"email"`
	}
	if json.Unmarshal(b, &body) == nil {
		if e, ok := body.Email.(string); ok && e != "" {
			return "email " + strings.ToLower(e)
		}
	}
	return "ip " + clientIP(r)
}

// Messages of the onboarding answers. (I): KYConnect publishes the status
// codes' meanings, not these texts; the bodies are NestJS's exceptions'
// (ForbiddenException from a roles guard, ConflictException,
// UnprocessableEntityException).
const (
	msgForbidden = "Forbidden resource"
	msgDuplicate = "An onboarding case for this email already exists"
	msgUnderage  = "Applicant must be at least 18 years old"
)

// rolesOnboarding may onboard individuals (I).
var rolesOnboarding = map[string]bool{"admin": true, "compliance_officer": true, "analyst": true}

// authenticated reports whether r carries the API key or a live access
// token, answering 401 when not.
func (s *Server) authenticated(w http.ResponseWriter, r *http.Request) bool {
	if key := r.Header.Get(s.set.apiKeyHeader); key != "" {
		if key != s.key {
			s.fail(w, http.StatusUnauthorized, "Invalid API key")
			return false
		}
		return true
	}
	if _, err := s.kit.Tokens.Bearer(r, kindAccess); err != nil {
		s.kit.Counts.Inc(providertest.CountRejected)
		fakekit.WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": msgUnauthorized, "statusCode": 401})
		return false
	}
	return true
}

// onboardIndividual is POST /onboarding/individual: throttled per email
// (before), then authenticated, role-checked and validated (I: the DTO's
// fields are not published; snake_case as the auth routes' are).
func (s *Server) onboardIndividual(w http.ResponseWriter, r *http.Request) {
	if !s.authenticated(w, r) {
		return
	}
	if !rolesOnboarding[s.user.Role] {
		s.fail(w, http.StatusForbidden, msgForbidden)
		return
	}
	body, ok := s.body(w, r, map[string]rule{"email": email, "first_name": required, "last_name": required,
		"date_of_birth": optional, "country": optional, "phone": optional, "external_ref": optional})
	if !ok {
		return
	}
	now := s.kit.Clock.Now()
	if dob := body["date_of_birth"]; dob != "" {
		born, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			s.fail(w, http.StatusBadRequest, []string{"date_of_birth must be a valid ISO 8601 date string"})
			return
		}
		if born.AddDate(18, 0, 0).After(now) {
			s.fail(w, http.StatusUnprocessableEntity, msgUnderage)
			return
		}
	}
	key := strings.ToLower(body["email"])
	s.mu.Lock()
	if _, dup := s.cases[key]; dup {
		s.mu.Unlock()
		s.fail(w, http.StatusConflict, msgDuplicate)
		return
	}
	s.nextCase++
	c := map[string]any{"id": s.nextCase, "type": "individual", "status": "pending", "email": body["email"],
		"first_name": body["first_name"], "last_name": body["last_name"], "created_at": now.UTC().Format(time.RFC3339Nano)}
	s.cases[key] = c
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, c)
}

// Onboardings counts the individual onboarding requests that reached the
// handler (past the throttler), accepted or not.
func (s *Server) Onboardings() int { return s.kit.Counts.Get("onboardings") }

// CaseStatus returns the status of the onboarding case for email ("" when
// there is none).
func (s *Server) CaseStatus(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cases[strings.ToLower(email)]
	if !ok {
		return ""
	}
	st, _ := c["status"].(string)
	return st
}
