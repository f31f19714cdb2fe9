package icomplytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fake's own wire shapes for the calls that start and follow a
// verification. Keys are matched regardless of case, as ASP.NET Core's
// JSON binder (web defaults) reads them.

// addPersonRequest is what the fake reads of Add Natural Person: the
// documented data structures (the Data Structures page: KYCMetaData with
// ExternalID, PersonalInformation, KYCServices with the bool flags
// RequestIDV, RequestDoc, RequestBio, RequestAML and the list RequestEDD)
// under camelCase keys (I: the sample body is not readable).
type addPersonRequest struct {
	KYCMetaData         requestMeta                `json:"kycMetaData"`
	PersonalInformation map[string]any             `json:"personalInformation"`
	KYCServices         map[string]json.RawMessage `json:"kycServices"`
}

type requestMeta struct {
	ExternalID string   `json:"externalID"`
	Tags       []string `json:"tags"`
}

type addLegalRequest struct {
	KYCMetaData          requestMeta    `json:"kycMetaData"`
	CorporateInformation map[string]any `json:"corporateInformation"`
}

// services the fake knows, as documented: four flags and the EDD list.
var services = map[string]bool{"RequestIDV": true, "RequestDoc": true, "RequestBio": true, "RequestAML": true}

func str(m map[string]any, k string) string {
	for key, v := range m {
		if strings.EqualFold(key, k) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// newID makes a UUID-shaped entity ID from a counter, so runs repeat.
func newID(n int) string { return fmt.Sprintf("5e%06x-0000-4000-8000-%012x", n, n) }

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	return hasMediaType(r, "application/json") &&
		json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm)).Decode(v) == nil
}

func (s *Server) addNaturalPerson(w http.ResponseWriter, r *http.Request) {
	if !hasMediaType(r, "application/json") {
		s.reject(w, http.StatusUnsupportedMediaType, problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	var p addPersonRequest
	if !decodeJSON(w, r, &p) {
		s.failure(w, http.StatusBadRequest, "message", "the request body is not valid JSON")
		return
	}
	errs := map[string][]string{}
	for _, f := range []string{"firstName", "lastName"} {
		if str(p.PersonalInformation, f) == "" {
			errs["personalInformation."+f] = []string{"The " + f + " field is required."}
		}
	}
	flags := map[string]bool{}
	for name, raw := range p.KYCServices {
		var on bool
		var edd []string
		switch {
		case services[name] && json.Unmarshal(raw, &on) == nil:
			flags[name] = on
		case name == "RequestEDD" && json.Unmarshal(raw, &edd) == nil:
		case services[name] || name == "RequestEDD":
			errs["kycServices."+name] = []string{"The value is not valid."}
		default:
			errs["kycServices."+name] = []string{"Unknown KYC service."}
		}
	}
	if len(errs) > 0 {
		s.invalid(w, errs)
		return
	}
	now := s.kit.Clock.Now()
	s.mu.Lock()
	s.nextEntity++
	id := newID(s.nextEntity)
	info := map[string]any{}
	for k, v := range p.PersonalInformation {
		info[k] = v
	}
	np := object{
		"kycMetaData": object{"entityID": id, "createdDateTime": now.Format(time.DateOnly),
			"lastUpdate": now.Format(time.DateOnly), "nextKYCReview": now.AddDate(1, 0, 0).Format(time.DateOnly),
			"kycStatus": "New", "externalID": nullable(p.KYCMetaData.ExternalID), "tags": nonNil(p.KYCMetaData.Tags)},
		"personalInformation": info, "identityVerification": []object{}, "documentAuthentication": []object{},
	}
	s.data.persons[id] = np
	s.data.entities = append(s.data.entities, object{"id": id, "type": "Natural Person", "personalInformation": info,
		"kycMetaData": object{"dateCreated": now.Format("2006-01-02 15:04:05"), "status": "New",
			"lastUpdated": now.Format("2006-01-02 15:04:05")}})
	s.requested[id] = flags
	s.mu.Unlock()
	success(w, http.StatusCreated, np)
}

// searchPersons answers a natural-person search with the matching
// entities as {"entityID": …} objects (I: the answer's shape is not
// published).
func (s *Server) searchPersons(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	keys := []string{"externalID", "email", "phone", "firstName", "lastName"}
	if !anySet(q, keys) {
		s.failure(w, http.StatusBadRequest, "message", "provide at least one search parameter")
		return
	}
	s.mu.Lock()
	out := []object{}
	for id, np := range s.data.persons {
		meta, info := np["kycMetaData"].(object), np["personalInformation"].(map[string]any)
		fields := map[string]string{"externalID": str(meta, "externalID"), "email": str(info, "email"),
			"phone": str(info, "phone"), "firstName": str(info, "firstName"), "lastName": str(info, "lastName")}
		if matchAll(q, keys, fields) {
			out = append(out, object{"entityID": id})
		}
	}
	s.mu.Unlock()
	success(w, http.StatusOK, out)
}

func (s *Server) getLegalEntity(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e := s.data.legal(r.PathValue("id"))
	s.mu.Unlock()
	if e == nil {
		s.failure(w, http.StatusNotFound, "message", "there is no legal entity with given id")
		return
	}
	success(w, http.StatusOK, e)
}

func (s *Server) searchLegal(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	keys := []string{"externalID", "duns", "glei", "companyName", "registrationNumber", "email", "phone"}
	if !anySet(q, keys) {
		s.failure(w, http.StatusBadRequest, "message", "provide at least one search parameter")
		return
	}
	if d := q.Get("duns"); d != "" {
		if _, err := strconv.ParseInt(d, 10, 64); err != nil {
			s.invalid(w, map[string][]string{"duns": {"The value '" + d + "' is not valid."}})
			return
		}
	}
	s.mu.Lock()
	out := []object{}
	for _, e := range s.data.entities {
		if e["type"] != "Legal Entity" {
			continue
		}
		ci := e["corporateInformation"].(object)
		fields := map[string]string{"externalID": s.externalIDs[e["id"].(string)], "duns": str(ci, "duns"),
			"glei": str(ci, "glei"), "companyName": str(ci, "companyName"),
			"registrationNumber": str(ci, "registrationNumber"), "email": str(ci, "email"), "phone": str(ci, "companyPhone")}
		if matchAll(q, keys, fields) {
			out = append(out, object{"entityID": e["id"]})
		}
	}
	s.mu.Unlock()
	success(w, http.StatusOK, out)
}

func (s *Server) addLegalEntity(w http.ResponseWriter, r *http.Request) {
	if !hasMediaType(r, "application/json") {
		s.reject(w, http.StatusUnsupportedMediaType, problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	var p addLegalRequest
	if !decodeJSON(w, r, &p) {
		s.failure(w, http.StatusBadRequest, "message", "the request body is not valid JSON")
		return
	}
	if str(p.CorporateInformation, "companyName") == "" {
		s.invalid(w, map[string][]string{"corporateInformation.companyName": {"The companyName field is required."}})
		return
	}
	now := s.kit.Clock.Now()
	s.mu.Lock()
	s.nextEntity++
	id := newID(s.nextEntity)
	ci := object{}
	for k, v := range p.CorporateInformation {
		ci[k] = v
	}
	e := object{"id": id, "type": "Legal Entity", "corporateInformation": ci,
		"kycMetaData": object{"dateCreated": now.Format("2006-01-02 15:04:05"), "status": "New"}}
	s.data.entities = append(s.data.entities, e)
	if p.KYCMetaData.ExternalID != "" {
		s.externalIDs[id] = p.KYCMetaData.ExternalID
	}
	s.mu.Unlock()
	success(w, http.StatusCreated, e)
}

func (s *Server) requestLegalUpdate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	e := s.data.legal(id)
	if e != nil {
		s.updateRequests[id]++
	}
	s.mu.Unlock()
	if e == nil {
		s.failure(w, http.StatusNotFound, "message", "there is no legal entity with given id")
		return
	}
	success(w, http.StatusOK, nil)
}

// invalid answers 400 with the v2 failure envelope and its field errors.
func (s *Server) invalid(w http.ResponseWriter, errs map[string][]string) {
	s.reject(w, http.StatusBadRequest, map[string]any{"code": 400, "status": "failure",
		"message": "One or more validation errors occurred.", "data": nil, "errors": errs})
}

func (d *dataset) legal(id string) object {
	for _, e := range d.entities {
		if e["id"] == id && e["type"] == "Legal Entity" {
			return e
		}
	}
	return nil
}

func anySet(q map[string][]string, keys []string) bool {
	for _, k := range keys {
		if len(q[k]) > 0 && q[k][0] != "" {
			return true
		}
	}
	return false
}

func matchAll(q map[string][]string, keys []string, fields map[string]string) bool {
	for _, k := range keys {
		if v := first(q[k]); v != "" && !strings.EqualFold(v, fields[k]) {
			return false
		}
	}
	return true
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// --- the person's side, and webhooks ---

// Outcome is how a verification ends on the fake.
type Outcome int

// Outcomes the webhooks document.
const (
	// AutoApproved: the portal's auto-approval settings approve the
	// person (NaturalPersonAutoApproved).
	AutoApproved Outcome = iota
	// ManuallyApproved: a user of the portal approves the person
	// (NaturalPersonManuallyApproved).
	ManuallyApproved
)

// personLocked returns the personal information and full name of the
// natural person entityID; s.mu is held.
func (s *Server) personLocked(entityID string) (info map[string]any, name string, err error) {
	np, ok := s.data.persons[entityID]
	if !ok {
		return nil, "", fmt.Errorf("icomplytest: no natural person %q", entityID)
	}
	info = np["personalInformation"].(map[string]any)
	return info, strings.TrimSpace(str(info, "firstName") + " " + str(info, "lastName")), nil
}

// ErrNoWebhook is returned by the knobs when no webhook is set.
var ErrNoWebhook = errors.New("icomplytest: no webhook URL set (WithWebhook or SetWebhook)")

// SetWebhook makes the fake deliver webhooks to url, with secret in the
// payload's "secret" field (as icomply.DefaultSecretField expects).
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	s.hookURL, s.hookSecret = url, secret
	s.mu.Unlock()
}

// SubmitPersonalInfo plays the person filling in the first two screens of
// the Natural Person portal: the entity's KYC status becomes Pending and
// the fake delivers NaturalPersonPending. It returns the delivery's error
// (transport, or a non-2xx answer); the fake does not deliver again (I:
// iComply documents no retries).
func (s *Server) SubmitPersonalInfo(ctx context.Context, entityID string) error {
	s.mu.Lock()
	info, name, err := s.personLocked(entityID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.setStatus(entityID, "Pending")
	session := newID(1_000_000 + s.nextHook)
	s.sessions[entityID] = session
	data := object{"entityCreated": true, "isClientUpdateRequest": false, "entity": name, "email": str(info, "email"),
		"sessionId": session, "entityId": entityID, "message": name + " submitted personal info"}
	s.mu.Unlock()
	return s.deliver(ctx, "NaturalPersonPending", "natural-person-pending", data)
}

// Complete ends the person's verification with outcome: the entity's KYC
// status becomes Approved and the fake delivers the matching webhook.
func (s *Server) Complete(ctx context.Context, entityID string, outcome Outcome) error {
	s.mu.Lock()
	_, name, err := s.personLocked(entityID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.setStatus(entityID, "Approved")
	s.mu.Unlock()
	event, kebab, how := "NaturalPersonAutoApproved", "natural-person-auto-approved", "automatically"
	if outcome == ManuallyApproved {
		event, kebab, how = "NaturalPersonManuallyApproved", "natural-person-manually-approved", "manually"
	}
	return s.deliver(ctx, event, kebab, object{"entity": name, "entityId": entityID, "userName": "Fake Reviewer",
		"userEmail": "reviewer@example.com", "entityStatus": "approved", "description": name + " was " + how + " approved"})
}

// The supporting-document events' names (I). The Webhooks page lists the
// events "Natural Person Has Begun Uploading Supporting Document" (with a
// "First Payload" and a "Second Payload") and "When a Natural Person has
// completed uploading Supporting Documents", but shows neither their names
// nor their payloads in a readable form. The fake names them after the
// documented events (NaturalPerson…, with a kebab-case eventType twin);
// package icomply recognises any event with "SupportingDocument" in its
// name (or "supporting-document" in its eventType) and decodes it as an
// icomply.SupportingDocumentEvent with "data" kept raw.
const (
	EventSupportingDocumentBegun     = "NaturalPersonSupportingDocumentUploadBegun"
	EventSupportingDocumentCompleted = "NaturalPersonSupportingDocumentUploadCompleted"
)

// BeginSupportingDocuments plays the person starting to upload supporting
// documents on the Natural Person portal: the fake delivers
// EventSupportingDocumentBegun. CompleteSupportingDocuments plays the
// person finishing: EventSupportingDocumentCompleted. Neither changes the
// entity's KYC status. Their "data" (I, not published) has the fields of
// the documented NaturalPersonPending payload that still apply: "entity"
// (the person's name), "entityId", "email", "sessionId" (the portal
// session of SubmitPersonalInfo, when there was one) and "message".
// Delivered and signed as every other webhook: once, with the secret in
// the payload; the error is the delivery's.
func (s *Server) BeginSupportingDocuments(ctx context.Context, entityID string) error {
	return s.supportingDocuments(ctx, entityID, EventSupportingDocumentBegun,
		"natural-person-supporting-document-upload-begun", "has begun uploading supporting documents")
}

// CompleteSupportingDocuments: see BeginSupportingDocuments.
func (s *Server) CompleteSupportingDocuments(ctx context.Context, entityID string) error {
	return s.supportingDocuments(ctx, entityID, EventSupportingDocumentCompleted,
		"natural-person-supporting-document-upload-completed", "has completed uploading supporting documents")
}

func (s *Server) supportingDocuments(ctx context.Context, entityID, event, kebab, what string) error {
	s.mu.Lock()
	info, name, err := s.personLocked(entityID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	data := object{"entity": name, "entityId": entityID, "email": str(info, "email"), "message": name + " " + what}
	if session, ok := s.sessions[entityID]; ok {
		data["sessionId"] = session
	}
	s.mu.Unlock()
	return s.deliver(ctx, event, kebab, data)
}

// setStatus sets an entity's KYC status in both its shapes; s.mu held.
func (s *Server) setStatus(id, status string) {
	now := s.kit.Clock.Now()
	if np, ok := s.data.persons[id]; ok {
		meta := np["kycMetaData"].(object)
		meta["kycStatus"], meta["lastUpdate"] = status, now.Format(time.DateOnly)
	}
	for _, e := range s.data.entities {
		if e["id"] == id {
			if meta, ok := e["kycMetaData"].(object); ok {
				meta["status"], meta["lastUpdated"] = status, now.Format("2006-01-02 15:04:05")
			}
		}
	}
}

// deliver POSTs one webhook in the documented payload shape, plus the
// secret (I: field "secret").
func (s *Server) deliver(ctx context.Context, event, kebab string, data object) error {
	s.mu.Lock()
	url, secret := s.hookURL, s.hookSecret
	s.nextHook++
	id := strconv.Itoa(253 + s.nextHook)
	s.mu.Unlock()
	if url == "" {
		return ErrNoWebhook
	}
	body, err := json.Marshal(object{"id": id, "event": event, "eventType": kebab, "data": data,
		"creationTimeUtc": s.kit.Clock.Now().UTC().Format(time.RFC3339Nano), "secret": secret})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lastHook = body
	s.mu.Unlock()
	return s.post(ctx, url, body)
}

// RedeliverLast sends the last webhook again, byte for byte, as a
// provider's retry would: a receiver drops it as a duplicate.
func (s *Server) RedeliverLast(ctx context.Context) error {
	s.mu.Lock()
	url, body := s.hookURL, s.lastHook
	s.mu.Unlock()
	if url == "" || body == nil {
		return ErrNoWebhook
	}
	return s.post(ctx, url, body)
}

func (s *Server) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.opts.hookClient.Do(req)
	s.kit.Counts.Inc(countDeliveries)
	if err != nil {
		s.kit.Counts.Inc(countFailedDeliveries)
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.kit.Counts.Inc(countFailedDeliveries)
		return fmt.Errorf("icomplytest: the webhook was answered %d", resp.StatusCode)
	}
	return nil
}

const (
	countDeliveries       = "webhook deliveries"
	countFailedDeliveries = "failed webhook deliveries"
)

// Deliveries counts the webhooks the fake sent, answered or not.
func (s *Server) Deliveries() int { return s.kit.Counts.Get(countDeliveries) }

// FailedDeliveries counts the webhooks answered with a non-2xx status or
// not answered at all.
func (s *Server) FailedDeliveries() int { return s.kit.Counts.Get(countFailedDeliveries) }

// UpdateRequests counts the client-update requests made for a legal
// entity.
func (s *Server) UpdateRequests(entityID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateRequests[entityID]
}

// RequestedServices returns the KYC service flags Add Natural Person sent
// for the entity, as the fake read them.
func (s *Server) RequestedServices(entityID string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for k, v := range s.requested[entityID] {
		out[k] = v
	}
	return out
}
