package idenfytest

import (
	"net/http"
	"slices"
	"time"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/fakekit"
)

// kybRecord is a KYB token the fake issued.
type kybRecord struct {
	tok           idenfy.KYBToken
	questionnaire idenfy.Nullable[string]
	deactivated   bool
}

// kybView returns the token as iDenfy would show it now.
func (s *Server) kybView(rec *kybRecord) idenfy.KYBToken {
	t := rec.tok
	t.Tags, t.ScanRefs = slices.Clone(t.Tags), slices.Clone(t.ScanRefs)
	t.IsActive = !rec.deactivated
	t.IsValid = t.IsActive && s.kit.Clock.Now().Before(t.Expiration)
	return t
}

func (s *Server) createKYB(w http.ResponseWriter, _ *http.Request, body []byte) {
	var p idenfy.CreateKYBTokenParams
	var given struct{ Lifetime *int } // tells an explicit 0 from absent
	if !s.decode(w, body, &p) || !s.decode(w, body, &given) || s.invalid(w, p.Validate()) {
		return
	}
	lifetime := s.opts.kybLifetime
	if given.Lifetime != nil {
		lifetime = time.Duration(*given.Lifetime) * time.Second
	}
	now := s.kit.Clock.Now()
	rec := &kybRecord{questionnaire: p.Questionnaire, tok: idenfy.KYBToken{
		TokenType:   p.TokenType,
		TokenString: s.kit.Tokens.Issue(p.ClientID, "kyb", max(lifetime, time.Second)),
		Expiration:  now.Add(lifetime).UTC().Truncate(time.Second),
		ClientID:    p.ClientID,
		ExternalRef: p.ExternalRef,
		Locale:      p.Locale,
		Flow:        p.Flow,
		Theme:       p.Theme,
		Tags:        nonNil(p.Tags),
		ScanRefs:    p.ScanRefs,
	}}
	s.mu.Lock()
	s.kyb[rec.tok.TokenString] = rec
	view := s.kybView(rec)
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, view)
}

func (s *Server) updateKYB(w http.ResponseWriter, _ *http.Request, token string, body []byte) {
	var p idenfy.UpdateKYBTokenParams
	if !s.decode(w, body, &p) || s.invalid(w, p.Validate()) {
		return
	}
	s.mu.Lock()
	rec, ok := s.kyb[token]
	var view idenfy.KYBToken
	if ok {
		view = s.kybView(rec)
	}
	if ok && view.IsValid {
		if p.Tags != nil {
			rec.tok.Tags = nonNil(p.Tags)
		}
		if p.ScanRefs != nil {
			rec.tok.ScanRefs = p.ScanRefs
		}
		view = s.kybView(rec)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Token not found.")
	case !view.IsValid:
		s.reject(w, http.StatusBadRequest, idenfy.CodeTokenNotValid, "Token is expired or deactivated.")
	default:
		fakekit.WriteJSON(w, http.StatusOK, view)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// KYBToken returns a KYB token the fake issued, as iDenfy would show it now.
func (s *Server) KYBToken(tokenString string) (idenfy.KYBToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.kyb[tokenString]
	if !ok {
		return idenfy.KYBToken{}, false
	}
	return s.kybView(rec), true
}

// KYBQuestionnaire returns what the token was created with for
// "questionnaire": absent, null or a key.
func (s *Server) KYBQuestionnaire(tokenString string) (idenfy.Nullable[string], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.kyb[tokenString]
	if !ok {
		return idenfy.Nullable[string]{}, false
	}
	return rec.questionnaire, true
}

// DeactivateKYBToken deactivates a KYB token, as the dashboard does; it
// reports whether the token exists.
func (s *Server) DeactivateKYBToken(tokenString string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.kyb[tokenString]
	if ok {
		rec.deactivated = true
	}
	return ok
}

// ExpireTokens makes every KYB and KYC token the fake issued expire now.
func (s *Server) ExpireTokens() {
	now := s.kit.Clock.Now()
	s.kit.Tokens.ExpireAll("")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.kyb {
		rec.tok.Expiration = now
	}
	for _, v := range s.kyc {
		v.expiry = now
	}
}
