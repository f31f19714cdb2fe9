package idenfytest

import (
	"net/http"
	"slices"
	"time"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
)

// KYB rules from iDenfy's schema for POST /kyb/tokens/.
var (
	kybTokenTypes = []string{"FORM", "GOV1", "GOV2"}
	kybLocales    = []string{"en", "es", "fr", "ru", "de", "it", "pl", "lt", "lv", "et", "cs", "ro", "hu", "ja", "bg", "nl", "pt"}
)

const maxKYBLifetime = 2592000

// KYBToken is a KYB token the fake issued, as it stands now. Fields iDenfy
// answers as null are "" (ExternalRef, Flow, Theme) or nil (ScanRefs).
type KYBToken struct {
	TokenType   string
	TokenString string
	Expiration  time.Time
	IsActive    bool
	IsValid     bool
	ClientID    string
	ExternalRef string
	Locale      string
	Flow        string
	Theme       string
	Tags        []string
	ScanRefs    []string
}

// kybRecord is a KYB token the fake issued.
type kybRecord struct {
	tok                     KYBToken
	externalRef, flow, them nullableString
	questionnaire           idenfy.Nullable[string]
	deactivated             bool
}

// kybAnswer is the 201 answer, in iDenfy's key case, nulls included.
type kybAnswer struct {
	TokenType   string         `json:"tokenType"`
	TokenString string         `json:"tokenString"`
	Expiration  string         `json:"expiration"`
	IsActive    bool           `json:"isActive"`
	IsValid     bool           `json:"isValid"`
	CompanyID   nullableString `json:"companyId"`
	ClientID    string         `json:"clientId"`
	ExternalRef nullableString `json:"externalRef"`
	Locale      string         `json:"locale,omitempty"`
	Flow        nullableString `json:"flow"`
	Theme       nullableString `json:"theme"`
	Tags        []string       `json:"tags"`
	ScanRefs    []string       `json:"scanRefs"`
}

// kybUpdateAnswer is the 200 answer of PATCH /kyb/tokens/{token}/: the
// lists only.
type kybUpdateAnswer struct {
	ScanRefs []string `json:"scanRefs"`
	Tags     []string `json:"tags"`
}

// view returns the token as iDenfy would show it now.
func (s *Server) view(rec *kybRecord) KYBToken {
	t := rec.tok
	t.Tags, t.ScanRefs = slices.Clone(t.Tags), slices.Clone(t.ScanRefs)
	t.IsActive = !rec.deactivated
	t.IsValid = t.IsActive && s.kit.Clock.Now().Before(t.Expiration)
	return t
}

func (s *Server) answer(rec *kybRecord) kybAnswer {
	t := s.view(rec)
	exp := t.Expiration.UTC().Format(time.RFC3339)
	if s.opts.naiveTimes {
		exp = t.Expiration.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return kybAnswer{TokenType: t.TokenType, TokenString: t.TokenString, Expiration: exp,
		IsActive: t.IsActive, IsValid: t.IsValid, ClientID: t.ClientID, ExternalRef: rec.externalRef,
		Locale: t.Locale, Flow: rec.flow, Theme: rec.them, Tags: nonNil(t.Tags), ScanRefs: t.ScanRefs}
}

func (s *Server) createKYB(w http.ResponseWriter, _ *http.Request, b body) {
	r := &reader{b: b}
	tokenType, _ := r.str("tokenType", true, false)
	if r.err == nil {
		r.oneOf("tokenType", tokenType, kybTokenTypes...)
	}
	clientID, _ := r.str("clientId", true, false)
	r.length("clientId", clientID, 1, 100)
	lifetime, given := r.integer("lifetime", 0, maxKYBLifetime)
	externalRef, extState := r.str("externalRef", false, true)
	r.length("externalRef", externalRef, 0, 40)
	locale, locState := r.str("locale", false, false)
	if locState == present {
		r.oneOf("locale", locale, kybLocales...)
	}
	flow, flowState := r.uuid("flow")
	theme, themeState := r.uuid("theme")
	q, qState := r.str("questionnaire", false, true)
	if qState == present {
		r.length("questionnaire", q, 1, 0)
	}
	r.boolean("questionnaireRequired")
	tags, _ := r.list("tags", false, 5, 1, 32)
	scanRefs, _ := r.list("scanRefs", true, 0, 1, 40)
	if s.invalid(w, r) {
		return
	}
	d := s.opts.kybLifetime
	if given {
		d = time.Duration(lifetime) * time.Second
	}
	var questionnaire idenfy.Nullable[string]
	switch qState {
	case null:
		questionnaire = idenfy.Null[string]()
	case present:
		questionnaire = idenfy.Value(q)
	}
	rec := &kybRecord{questionnaire: questionnaire,
		externalRef: someString(externalRef, extState), flow: someString(flow, flowState), them: someString(theme, themeState),
		tok: KYBToken{TokenType: tokenType, ClientID: clientID, ExternalRef: externalRef, Locale: locale,
			Flow: flow, Theme: theme, Tags: tags, ScanRefs: scanRefs,
			TokenString: s.kit.Tokens.Issue(clientID, "kyb", max(d, time.Second)),
			Expiration:  s.kit.Clock.Now().Add(d).UTC().Truncate(time.Second)}}
	s.mu.Lock()
	s.kyb[rec.tok.TokenString] = rec
	ans := s.answer(rec)
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, ans)
}

func (s *Server) updateKYB(w http.ResponseWriter, _ *http.Request, token string, b body) {
	r := &reader{b: b}
	scanRefs, scanState := r.list("scanRefs", false, 0, 1, 40)
	tags, tagState := r.list("tags", false, 5, 1, 32)
	if s.invalid(w, r) {
		return
	}
	s.mu.Lock()
	rec, ok := s.kyb[token]
	var valid bool
	if ok {
		valid = s.view(rec).IsValid
	}
	if ok && valid {
		if tagState == present {
			rec.tok.Tags = tags
		}
		if scanState == present {
			rec.tok.ScanRefs = scanRefs
		}
	}
	var ans kybUpdateAnswer
	if ok {
		v := s.view(rec)
		ans = kybUpdateAnswer{ScanRefs: nonNil(v.ScanRefs), Tags: nonNil(v.Tags)}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Token not found.")
	case !valid:
		s.reject(w, http.StatusBadRequest, codeTokenNotValid, "Token is expired or deactivated.")
	default:
		fakekit.WriteJSON(w, http.StatusOK, ans)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// KYBToken returns a KYB token the fake issued, as iDenfy would show it now.
func (s *Server) KYBToken(tokenString string) (KYBToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.kyb[tokenString]
	if !ok {
		return KYBToken{}, false
	}
	return s.view(rec), true
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
