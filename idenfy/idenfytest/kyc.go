package idenfytest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
)

// KYC rules from iDenfy's documentation for POST /api/v2/token.
const (
	maxExpiryTime                = 2592000
	minSessionLength             = 60
	maxSessionLength             = 3600
	defaultSessionLength         = 600
	nameForbidden                = "~!@#$%^*()_+={}[]|:;\",<>/?0123456789"
	defaultVerificationTokenType = "IDENTIFICATION"
)

// TokenAnswerShape picks which of iDenfy's two documented answers to POST
// /api/v2/token the fake gives.
type TokenAnswerShape int

const (
	// GuidesAnswer is {message, authToken, scanRef, …, redirectUrl}, as the
	// guides show it (the default).
	GuidesAnswer TokenAnswerShape = iota
	// ReferenceAnswer is {tokenString, scanRef, isValid, expiration,
	// sessionUrl}, as the newer API reference shows it.
	ReferenceAnswer
)

// WithTokenAnswer sets the shape of the KYC token answer.
func WithTokenAnswer(shape TokenAnswerShape) Option {
	return func(o *options) { o.tokenShape = shape }
}

// kycRequest is what the fake keeps of a KYC token request.
type kycRequest struct {
	clientID, firstName, lastName, dateOfBirth, country, externalRef string
	webhookURL                                                       string
}

// verification is a KYC session the fake issued.
type verification struct {
	req      kycRequest
	scanRef  string
	status   string // one of the status* constants
	expiry   time.Time
	created  time.Time
	finished time.Time
	result   *resultWire // set once the session is completed
}

// kycAnswer is the guides' 201 answer of POST /api/v2/token.
type kycAnswer struct {
	Message             string         `json:"message"`
	AuthToken           string         `json:"authToken"`
	ScanRef             string         `json:"scanRef"`
	ClientID            string         `json:"clientId"`
	FirstName           nullableString `json:"firstName"`
	LastName            nullableString `json:"lastName"`
	SuccessURL          nullableString `json:"successUrl"`
	ErrorURL            nullableString `json:"errorUrl"`
	UnverifiedURL       nullableString `json:"unverifiedUrl"`
	CallbackURL         nullableString `json:"callbackUrl"`
	Locale              string         `json:"locale"`
	Country             nullableString `json:"country"`
	ExpiryTime          int64          `json:"expiryTime"`
	SessionLength       int64          `json:"sessionLength"`
	Documents           []string       `json:"documents"`
	TokenType           string         `json:"tokenType"`
	ExternalRef         nullableString `json:"externalRef"`
	GenerateDigitString bool           `json:"generateDigitString"`
	DigitString         nullableString `json:"digitString"`
	RedirectURL         string         `json:"redirectUrl"`
}

// kycReferenceAnswer is the API reference's 201 answer.
type kycReferenceAnswer struct {
	TokenString string `json:"tokenString"`
	ScanRef     string `json:"scanRef"`
	IsValid     bool   `json:"isValid"`
	Expiration  string `json:"expiration"`
	SessionURL  string `json:"sessionUrl"`
}

// Verification is the status answer of a KYC session, in iDenfy's keys.
type Verification struct {
	Status         string   `json:"status"`
	AutoDocument   *string  `json:"autoDocument"`
	AutoFace       *string  `json:"autoFace"`
	ManualDocument *string  `json:"manualDocument"`
	ManualFace     *string  `json:"manualFace"`
	FraudTags      []string `json:"fraudTags"`
	MismatchTags   []string `json:"mismatchTags"`
	ScanRef        string   `json:"scanRef"`
	ClientID       string   `json:"clientId"`
}

// statusNow is v's status on the clock: an ACTIVE session past its token's
// expiry is EXPIRED.
func (s *Server) statusNow(v *verification) string {
	if v.status == statusActive && !s.kit.Clock.Now().Before(v.expiry) {
		return statusExpired
	}
	return v.status
}

// createKYC reads either documented request shape: the guides' flat body
// or the reference's nested one (client{}, urls{}, settings{}, lifetime,
// allowedCountries, allowedDocuments).
func (s *Server) createKYC(w http.ResponseWriter, _ *http.Request, b body) {
	r := &reader{b: b}
	clientID, _ := r.str("clientId", true, false)
	r.length("clientId", clientID, 1, 100)
	for i := 0; i < len(clientID); i++ {
		if clientID[i] < 0x20 || clientID[i] > 0x7e {
			r.fail(codeBadValue, "clientId", "Only ASCII characters are allowed.")
		}
	}
	client := r.object("client")
	urlsBlock := r.object("urls")
	r.object("settings")
	first, firstState := r.str("firstName", false, true)
	last, lastState := r.str("lastName", false, true)
	dob, dobState := r.str("dateOfBirth", false, true)
	if client != nil {
		first, firstState = client.str("firstName", false, true)
		last, lastState = client.str("lastName", false, true)
		dob, dobState = client.str("dateOfBirth", false, true)
		r.adopt(client, "client.")
	}
	for _, f := range [][2]string{{"firstName", first}, {"lastName", last}} {
		r.length(f[0], f[1], 0, 100)
		if strings.ContainsAny(f[1], nameForbidden) {
			r.fail(codeBadValue, f[0], "Name contains forbidden characters.")
		}
	}
	if dobState == present {
		if _, err := time.Parse("2006-01-02", dob); err != nil {
			r.fail(codeBadValue, "dateOfBirth", "Date has wrong format. Use YYYY-MM-DD.")
		}
	}
	country, countryState := r.str("country", false, true)
	r.list("documents", true, 0, 1, 0)
	r.list("allowedCountries", true, 0, 2, 2)
	r.list("allowedDocuments", true, 0, 1, 0)
	locale, _ := r.str("locale", false, true)
	expiry, expiryGiven := r.integer("expiryTime", 0, maxExpiryTime)
	if lt, given := r.integer("lifetime", 0, maxExpiryTime); given {
		expiry, expiryGiven = lt, true
	}
	session, sessionGiven := r.integer("sessionLength", minSessionLength, maxSessionLength)
	urls := map[string]nullableString{}
	for _, k := range []string{"successUrl", "errorUrl", "unverifiedUrl", "callbackUrl"} {
		u, st := r.str(k, false, true)
		r.url(k, u, st)
		urls[k] = someString(u, st)
	}
	if urlsBlock != nil {
		for flat, nested := range map[string]string{"successUrl": "successUrl", "errorUrl": "failUrl",
			"unverifiedUrl": "unverifiedUrl", "callbackUrl": "webhookUrl"} {
			u, st := urlsBlock.str(nested, false, true)
			urlsBlock.url(nested, u, st)
			if st == present {
				urls[flat] = someString(u, st)
			}
		}
		r.adopt(urlsBlock, "urls.")
	}
	externalRef, extState := r.str("externalRef", false, true)
	r.length("externalRef", externalRef, 0, 40)
	tokenType, ttState := r.str("tokenType", false, false)
	if ttState == present {
		r.oneOf("tokenType", tokenType, "IDENTIFICATION", "DOCUMENT")
	} else {
		tokenType = defaultVerificationTokenType
	}
	digits, _ := r.boolean("generateDigitString")
	if q, st := r.str("questionnaire", false, true); st == present {
		r.length("questionnaire", q, 1, 0)
	}
	if s.invalid(w, r) {
		return
	}
	lifetime := s.opts.kycLifetime
	if expiryGiven && expiry > 0 {
		lifetime = time.Duration(expiry) * time.Second
	}
	if !sessionGiven {
		session = defaultSessionLength
	}
	now := s.kit.Clock.Now()
	v := &verification{req: kycRequest{clientID: clientID, firstName: first, lastName: last, dateOfBirth: dob,
		country: country, externalRef: externalRef, webhookURL: urls["callbackUrl"].v},
		scanRef: newUUID(), status: statusActive, expiry: now.Add(lifetime), created: now}
	s.mu.Lock()
	conflict := false
	for _, o := range s.kyc {
		if o.req.clientID == clientID && s.statusNow(o) == statusActive && s.opts.activeSessionConflict {
			conflict = true
		}
	}
	if !conflict {
		s.kyc[v.scanRef] = v
		s.order = append(s.order, v.scanRef)
	}
	s.mu.Unlock()
	if conflict {
		// Documented: 409 for a clientId with an active session (body
		// shape inferred: iDenfy's error format).
		s.reject(w, http.StatusConflict, codeBadValue, "Client ID already exists")
		return
	}
	authToken := s.kit.Tokens.Issue(clientID, "kyc", lifetime)
	redirect := s.URL + "/api/v2/redirect?authToken=" + url.QueryEscape(authToken)
	if s.opts.tokenShape == ReferenceAnswer {
		fakekit.WriteJSON(w, http.StatusCreated, kycReferenceAnswer{TokenString: authToken, ScanRef: v.scanRef,
			IsValid: true, Expiration: v.expiry.UTC().Format(time.RFC3339), SessionURL: redirect})
		return
	}
	out := kycAnswer{
		Message: "Token created successfully", AuthToken: authToken, ScanRef: v.scanRef, ClientID: clientID,
		FirstName: someString(strings.ToUpper(first), firstState), LastName: someString(strings.ToUpper(last), lastState),
		SuccessURL: urls["successUrl"], ErrorURL: urls["errorUrl"], UnverifiedURL: urls["unverifiedUrl"],
		CallbackURL: urls["callbackUrl"], Locale: locale, Country: someString(country, countryState),
		ExpiryTime: int64(lifetime / time.Second), SessionLength: session, Documents: []string{},
		TokenType: tokenType, ExternalRef: someString(externalRef, extState), GenerateDigitString: digits,
		RedirectURL: redirect,
	}
	if digits {
		n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
		out.DigitString = someString(fmt.Sprintf("%08d", n), present)
	}
	fakekit.WriteJSON(w, http.StatusCreated, out)
}

// scanRef reads {"scanRef"} and finds the verification, answering 400 or
// 404 itself when it cannot.
func (s *Server) scanRef(w http.ResponseWriter, b body) (*verification, bool) {
	r := &reader{b: b}
	ref, _ := r.str("scanRef", true, false)
	r.length("scanRef", ref, 1, 0)
	if s.invalid(w, r) {
		return nil, false
	}
	s.mu.Lock()
	v, ok := s.kyc[ref]
	s.mu.Unlock()
	if !ok {
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Verification not found.")
	}
	return v, ok
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request, b body) {
	if v, ok := s.scanRef(w, b); ok {
		view, _ := s.Verification(v.scanRef)
		fakekit.WriteJSON(w, http.StatusOK, view)
	}
}

// delete removes a verification's data. Deleting while its token is still
// active is refused, as the deletion page documents.
func (s *Server) delete(w http.ResponseWriter, _ *http.Request, b body) {
	v, ok := s.scanRef(w, b)
	if !ok {
		return
	}
	s.mu.Lock()
	active := s.statusNow(v) == statusActive
	if !active {
		v.status = statusDeleted
		v.result = nil
	}
	s.mu.Unlock()
	if active {
		s.reject(w, http.StatusBadRequest, "PARTNER_ERROR", "Token has not expired yet.")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Verification returns the status answer for scanRef.
func (s *Server) Verification(scanRef string) (Verification, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kyc[scanRef]
	if !ok {
		return Verification{}, false
	}
	out := Verification{Status: s.statusNow(v), ScanRef: v.scanRef, ClientID: v.req.clientID,
		FraudTags: []string{}, MismatchTags: []string{}}
	if r := v.result; r != nil {
		out.AutoDocument, out.AutoFace = r.Status.AutoDocument, r.Status.AutoFace
		out.ManualDocument, out.ManualFace = r.Status.ManualDocument, r.Status.ManualFace
		out.FraudTags, out.MismatchTags = r.Status.FraudTags, r.Status.MismatchTags
	} else if final(out.Status) {
		out.AutoDocument, out.AutoFace = ptr("DOC_VALIDATED"), ptr("FACE_MATCH")
		out.ManualDocument, out.ManualFace = out.AutoDocument, out.AutoFace
	}
	return out, true
}

func final(st string) bool {
	return st == statusApproved || st == statusDenied || st == statusSuspected
}

// SetStatus sets a verification's status without a result or a webhook
// (Complete plays the whole lifecycle). It reports whether scanRef exists.
func (s *Server) SetStatus(scanRef string, status idenfy.VerificationStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kyc[scanRef]
	if ok {
		v.status = string(status)
	}
	return ok
}

// Callback builds the result webhook iDenfy would send for scanRef now
// (the completed result, or one made from its status); send it with
// SendWebhook.
func (s *Server) Callback(scanRef string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kyc[scanRef]
	if !ok {
		return nil, false
	}
	res := v.result
	if res == nil {
		st := s.statusNow(v)
		res = s.buildResult(v, outcomeOf(st), true)
	}
	b, _ := json.Marshal(res)
	return b, true
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func ptr(s string) *string { return &s }

// optional is s, or nil (null) when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
