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
	"github.com/unikyc/unikyc/internal/fakekit"
)

// verification is a KYC session the fake issued.
type verification struct {
	params  idenfy.CreateVerificationTokenParams
	scanRef string
	status  idenfy.VerificationStatus
	expiry  time.Time
	created time.Time
}

// statusNow is v's status on the clock: an ACTIVE session past its token's
// expiry is EXPIRED.
func (s *Server) statusNow(v *verification) idenfy.VerificationStatus {
	if v.status == idenfy.StatusActive && !s.kit.Clock.Now().Before(v.expiry) {
		return idenfy.StatusExpired
	}
	return v.status
}

func (s *Server) createKYC(w http.ResponseWriter, _ *http.Request, body []byte) {
	var p idenfy.CreateVerificationTokenParams
	if !s.decode(w, body, &p) || s.invalid(w, p.Validate()) {
		return
	}
	lifetime := s.opts.kycLifetime
	if p.ExpiryTime > 0 {
		lifetime = time.Duration(p.ExpiryTime) * time.Second
	}
	now := s.kit.Clock.Now()
	v := &verification{params: p, scanRef: newUUID(), status: idenfy.StatusActive, expiry: now.Add(lifetime), created: now}
	authToken := s.kit.Tokens.Issue(p.ClientID, "kyc", lifetime)
	out := idenfy.VerificationToken{
		Message:             "Token created successfully",
		AuthToken:           authToken,
		ScanRef:             v.scanRef,
		ClientID:            p.ClientID,
		FirstName:           strings.ToUpper(p.FirstName),
		LastName:            strings.ToUpper(p.LastName),
		SuccessURL:          p.SuccessURL,
		ErrorURL:            p.ErrorURL,
		UnverifiedURL:       p.UnverifiedURL,
		CallbackURL:         p.CallbackURL,
		Locale:              p.Locale,
		Country:             p.Country,
		ExpiryTime:          int(lifetime / time.Second),
		SessionLength:       cmpOr(p.SessionLength, 600),
		Documents:           p.Documents,
		TokenType:           cmpOr(p.TokenType, "IDENTIFICATION"),
		ExternalRef:         p.ExternalRef,
		GenerateDigitString: p.GenerateDigitString,
		RedirectURL:         s.URL + "/api/v2/redirect?authToken=" + url.QueryEscape(authToken),
	}
	if p.GenerateDigitString {
		n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
		out.DigitString = fmt.Sprintf("%08d", n)
	}
	s.mu.Lock()
	s.kyc[v.scanRef] = v
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, out)
}

// scanRef decodes {"scanRef"} and finds the verification, answering 400
// or 404 itself when it cannot.
func (s *Server) scanRef(w http.ResponseWriter, body []byte) (*verification, bool) {
	var req idenfy.ScanRefRequest
	if !s.decode(w, body, &req) {
		return nil, false
	}
	if req.ScanRef == "" {
		s.reject(w, http.StatusBadRequest, idenfy.CodeMissingValue, "scanRef: is required")
		return nil, false
	}
	s.mu.Lock()
	v, ok := s.kyc[req.ScanRef]
	s.mu.Unlock()
	if !ok {
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Verification not found.")
	}
	return v, ok
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request, body []byte) {
	if v, ok := s.scanRef(w, body); ok {
		view, _ := s.Verification(v.scanRef)
		fakekit.WriteJSON(w, http.StatusOK, view)
	}
}

func (s *Server) delete(w http.ResponseWriter, _ *http.Request, body []byte) {
	if v, ok := s.scanRef(w, body); ok {
		s.mu.Lock()
		v.status = idenfy.StatusDeleted
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}
}

// Verification returns the status answer for scanRef.
func (s *Server) Verification(scanRef string) (idenfy.Verification, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kyc[scanRef]
	if !ok {
		return idenfy.Verification{}, false
	}
	out := idenfy.Verification{Status: s.statusNow(v), ScanRef: v.scanRef, ClientID: v.params.ClientID,
		FraudTags: []string{}, MismatchTags: []string{}}
	if out.Status.Final() {
		out.AutoDocument, out.AutoFace = "DOC_VALIDATED", "FACE_MATCH"
		out.ManualDocument, out.ManualFace = "DOC_VALIDATED", "FACE_MATCH"
	}
	return out, true
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

// Callback builds the result webhook iDenfy would send for scanRef now.
func (s *Server) Callback(scanRef string) (idenfy.KYCCallback, bool) {
	view, ok := s.Verification(scanRef)
	if !ok {
		return idenfy.KYCCallback{}, false
	}
	s.mu.Lock()
	v := s.kyc[scanRef]
	p, created := v.params, v.created
	s.mu.Unlock()
	return idenfy.KYCCallback{
		Final:       view.Status.Final() || view.Status == idenfy.StatusExpired,
		Platform:    "PC",
		ScanRef:     scanRef,
		ClientID:    p.ClientID,
		ExternalRef: p.ExternalRef,
		StartTime:   created.Unix(),
		FinishTime:  s.kit.Clock.Now().Unix(),
		Status: idenfy.CallbackStatus{Overall: view.Status, AutoDocument: view.AutoDocument, AutoFace: view.AutoFace,
			ManualDocument: view.ManualDocument, ManualFace: view.ManualFace,
			FraudTags: view.FraudTags, MismatchTags: view.MismatchTags, SuspicionReasons: []string{}},
		Data: idenfy.CallbackData{DocFirstName: strings.ToUpper(p.FirstName), DocLastName: strings.ToUpper(p.LastName),
			DocDOB: p.DateOfBirth, DocIssuingCountry: p.Country},
	}, true
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
