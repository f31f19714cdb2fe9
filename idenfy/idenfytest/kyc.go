package idenfytest

import (
	"crypto/rand"
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

// kycRequest is what the fake keeps of a KYC token request.
type kycRequest struct {
	clientID, firstName, lastName, dateOfBirth, country, externalRef string
}

// verification is a KYC session the fake issued.
type verification struct {
	req     kycRequest
	scanRef string
	status  idenfy.VerificationStatus
	expiry  time.Time
	created time.Time
}

// kycAnswer is the 201 answer of POST /api/v2/token.
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

// Verification is the status answer of a KYC session, in iDenfy's keys.
type Verification struct {
	Status         idenfy.VerificationStatus `json:"status"`
	AutoDocument   *string                   `json:"autoDocument"`
	AutoFace       *string                   `json:"autoFace"`
	ManualDocument *string                   `json:"manualDocument"`
	ManualFace     *string                   `json:"manualFace"`
	FraudTags      []string                  `json:"fraudTags"`
	MismatchTags   []string                  `json:"mismatchTags"`
	ScanRef        string                    `json:"scanRef"`
	ClientID       string                    `json:"clientId"`
}

// statusNow is v's status on the clock: an ACTIVE session past its token's
// expiry is EXPIRED.
func (s *Server) statusNow(v *verification) idenfy.VerificationStatus {
	if v.status == idenfy.StatusActive && !s.kit.Clock.Now().Before(v.expiry) {
		return idenfy.StatusExpired
	}
	return v.status
}

func (s *Server) createKYC(w http.ResponseWriter, _ *http.Request, b body) {
	r := &reader{b: b}
	clientID, _ := r.str("clientId", true, false)
	r.length("clientId", clientID, 1, 100)
	for i := 0; i < len(clientID); i++ {
		if clientID[i] < 0x20 || clientID[i] > 0x7e {
			r.fail("BAD_VALUE", "clientId", "Only ASCII characters are allowed.")
		}
	}
	first, firstState := r.str("firstName", false, true)
	last, lastState := r.str("lastName", false, true)
	for _, f := range [][2]string{{"firstName", first}, {"lastName", last}} {
		r.length(f[0], f[1], 0, 100)
		if strings.ContainsAny(f[1], nameForbidden) {
			r.fail("BAD_VALUE", f[0], "Name contains forbidden characters.")
		}
	}
	dob, dobState := r.str("dateOfBirth", false, true)
	if dobState == present {
		if _, err := time.Parse("2006-01-02", dob); err != nil {
			r.fail("BAD_VALUE", "dateOfBirth", "Date has wrong format. Use YYYY-MM-DD.")
		}
	}
	country, countryState := r.str("country", false, true)
	r.list("documents", true, 0, 1, 0)
	locale, _ := r.str("locale", false, true)
	expiry, expiryGiven := r.integer("expiryTime", 0, maxExpiryTime)
	session, sessionGiven := r.integer("sessionLength", minSessionLength, maxSessionLength)
	urls := map[string]nullableString{}
	for _, k := range []string{"successUrl", "errorUrl", "unverifiedUrl", "callbackUrl"} {
		u, st := r.str(k, false, true)
		if pu, err := url.Parse(u); st == present && (err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https")) {
			r.fail("BAD_VALUE", k, "Enter a valid URL.")
		}
		urls[k] = someString(u, st)
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
		country: country, externalRef: externalRef}, scanRef: newUUID(), status: idenfy.StatusActive,
		expiry: now.Add(lifetime), created: now}
	authToken := s.kit.Tokens.Issue(clientID, "kyc", lifetime)
	out := kycAnswer{
		Message: "Token created successfully", AuthToken: authToken, ScanRef: v.scanRef, ClientID: clientID,
		FirstName: someString(strings.ToUpper(first), firstState), LastName: someString(strings.ToUpper(last), lastState),
		SuccessURL: urls["successUrl"], ErrorURL: urls["errorUrl"], UnverifiedURL: urls["unverifiedUrl"],
		CallbackURL: urls["callbackUrl"], Locale: locale, Country: someString(country, countryState),
		ExpiryTime: int64(lifetime / time.Second), SessionLength: session, Documents: []string{},
		TokenType: tokenType, ExternalRef: someString(externalRef, extState), GenerateDigitString: digits,
		RedirectURL: s.URL + "/api/v2/redirect?authToken=" + url.QueryEscape(authToken),
	}
	if digits {
		n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
		out.DigitString = someString(fmt.Sprintf("%08d", n), present)
	}
	s.mu.Lock()
	s.kyc[v.scanRef] = v
	s.mu.Unlock()
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

func (s *Server) delete(w http.ResponseWriter, _ *http.Request, b body) {
	if v, ok := s.scanRef(w, b); ok {
		s.mu.Lock()
		v.status = idenfy.StatusDeleted
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}
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
	if final(out.Status) {
		out.AutoDocument, out.AutoFace = ptr("DOC_VALIDATED"), ptr("FACE_MATCH")
		out.ManualDocument, out.ManualFace = out.AutoDocument, out.AutoFace
	}
	return out, true
}

func final(st idenfy.VerificationStatus) bool {
	return st == idenfy.StatusApproved || st == idenfy.StatusDenied || st == idenfy.StatusSuspected
}

// SetStatus sets a verification's status, as if the user had finished it
// and iDenfy had reviewed it. It reports whether scanRef exists.
func (s *Server) SetStatus(scanRef string, status idenfy.VerificationStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kyc[scanRef]
	if ok {
		v.status = status
	}
	return ok
}

// Callback is the body of the KYC result webhook, in iDenfy's keys.
type Callback struct {
	Final       bool           `json:"final"`
	Platform    string         `json:"platform"`
	ScanRef     string         `json:"scanRef"`
	ClientID    string         `json:"clientId"`
	ExternalRef *string        `json:"externalRef"`
	StartTime   int64          `json:"startTime"`
	FinishTime  int64          `json:"finishTime"`
	Status      CallbackStatus `json:"status"`
	Data        CallbackData   `json:"data"`
	FileURLs    map[string]any `json:"fileUrls"`
}

// CallbackStatus is the webhook's "status" block.
type CallbackStatus struct {
	Overall          idenfy.VerificationStatus `json:"overall"`
	SuspicionReasons []string                  `json:"suspicionReasons"`
	FraudTags        []string                  `json:"fraudTags"`
	MismatchTags     []string                  `json:"mismatchTags"`
	AutoDocument     *string                   `json:"autoDocument"`
	AutoFace         *string                   `json:"autoFace"`
	ManualDocument   *string                   `json:"manualDocument"`
	ManualFace       *string                   `json:"manualFace"`
}

// CallbackData is the webhook's "data" block, what was read from the
// document.
type CallbackData struct {
	DocFirstName      string `json:"docFirstName"`
	DocLastName       string `json:"docLastName"`
	DocDOB            string `json:"docDob"`
	DocIssuingCountry string `json:"docIssuingCountry"`
}

// Callback builds the result webhook iDenfy would send for scanRef now;
// send it with SendWebhook (event type ID_VERIFICATION_AUTO_FINISHED).
func (s *Server) Callback(scanRef string) (Callback, bool) {
	view, ok := s.Verification(scanRef)
	if !ok {
		return Callback{}, false
	}
	s.mu.Lock()
	v := s.kyc[scanRef]
	req, created := v.req, v.created
	s.mu.Unlock()
	return Callback{
		Final:       final(view.Status) || view.Status == idenfy.StatusExpired,
		Platform:    "PC",
		ScanRef:     scanRef,
		ClientID:    req.clientID,
		ExternalRef: optional(req.externalRef),
		StartTime:   created.Unix(),
		FinishTime:  s.kit.Clock.Now().Unix(),
		Status: CallbackStatus{Overall: view.Status, AutoDocument: view.AutoDocument, AutoFace: view.AutoFace,
			ManualDocument: view.ManualDocument, ManualFace: view.ManualFace,
			FraudTags: view.FraudTags, MismatchTags: view.MismatchTags, SuspicionReasons: []string{}},
		Data: CallbackData{DocFirstName: strings.ToUpper(req.firstName), DocLastName: strings.ToUpper(req.lastName),
			DocDOB: req.dateOfBirth, DocIssuingCountry: req.country},
		FileURLs: map[string]any{},
	}, true
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
