package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/idenfy/idenfytest"
)

// The iDenfy routes of the admin API: a verification completed as the
// person and iDenfy's reviewers would, its signed webhooks delivered to
// the session's callbackUrl (or --idenfy-webhook-url).

// completeRequest is the body of complete-verification.
type completeRequest struct {
	// ScanRef is the session's scanRef, from POST /api/v2/token.
	ScanRef string `json:"scan_ref"`
	// Outcome is APPROVED (default), DENIED, SUSPECTED, EXPIRED,
	// CANCELLED or RESUBMITTED.
	Outcome string `json:"outcome"`
	// AutoOnly ends with the automatic result (final true), no review.
	AutoOnly bool `json:"auto_only"`
	// HoldReview sends the automatic result only and leaves the
	// verification in review until finish-review.
	HoldReview bool `json:"hold_review"`
}

// delivery is one webhook delivery attempt, as the admin API shows it.
type delivery struct {
	EventType string    `json:"event_type"`
	URL       string    `json:"url"`
	Attempt   int       `json:"attempt"` // 1 for the first
	Status    int       `json:"status"`  // the receiver's answer; 0 when the attempt failed
	At        time.Time `json:"at"`
}

var outcomes = []idenfytest.Outcome{idenfytest.Approved, idenfytest.Denied, idenfytest.Suspected,
	idenfytest.Expired, idenfytest.Cancelled, idenfytest.Resubmitted}

func (set *fakeSet) idenfyRoutes(mux *http.ServeMux) {
	id := set.idenfyHub
	mux.HandleFunc("POST "+adminPrefix+"/idenfy/complete-verification", func(w http.ResponseWriter, r *http.Request) {
		c := completeRequest{Outcome: string(idenfytest.Approved)}
		if err := readJSON(r, &c, `"scan_ref", "outcome", "auto_only" or "hold_review"`); err != nil {
			adminError(w, http.StatusBadRequest, "complete-verification: "+err.Error())
			return
		}
		outcome, ok := outcomeNamed(c.Outcome)
		switch {
		case c.ScanRef == "":
			adminError(w, http.StatusBadRequest, `complete-verification: "scan_ref" is required (the scanRef of POST /api/v2/token)`)
			return
		case !ok:
			adminError(w, http.StatusBadRequest, `complete-verification: "outcome" must be one of `+outcomeNames())
			return
		case c.AutoOnly && c.HoldReview:
			adminError(w, http.StatusBadRequest, `complete-verification: "auto_only" and "hold_review" exclude each other`)
			return
		}
		var opts []idenfytest.CompleteOption
		if c.AutoOnly {
			opts = append(opts, idenfytest.AutoOnly())
		}
		if c.HoldReview {
			opts = append(opts, idenfytest.HoldReview())
		}
		before := len(id.Deliveries())
		if err := id.Complete(c.ScanRef, outcome, opts...); err != nil {
			scanError(w, "complete-verification", err)
			return
		}
		writeAdmin(w, http.StatusOK, map[string]any{"ok": true, "deliveries": deliveries(id.Deliveries()[before:])})
	})
	mux.HandleFunc("POST "+adminPrefix+"/idenfy/finish-review", func(w http.ResponseWriter, r *http.Request) {
		var c struct {
			ScanRef string `json:"scan_ref"`
		}
		if err := readJSON(r, &c, `"scan_ref"`); err != nil || c.ScanRef == "" {
			adminError(w, http.StatusBadRequest, `finish-review: the body must be {"scan_ref": "…"}`)
			return
		}
		before := len(id.Deliveries())
		if err := id.FinishReview(c.ScanRef); err != nil {
			scanError(w, "finish-review", err)
			return
		}
		writeAdmin(w, http.StatusOK, map[string]any{"ok": true, "deliveries": deliveries(id.Deliveries()[before:])})
	})
	mux.HandleFunc("GET "+adminPrefix+"/idenfy/deliveries", func(w http.ResponseWriter, _ *http.Request) {
		writeAdmin(w, http.StatusOK, map[string]any{"deliveries": deliveries(id.Deliveries())})
	})
}

func scanError(w http.ResponseWriter, route string, err error) {
	if errors.Is(err, idenfytest.ErrUnknownScan) {
		adminError(w, http.StatusNotFound, route+": no session has that scanRef")
		return
	}
	// The fake's own refusal (a review that is not held, …): its text
	// names no secret and no personal data.
	adminError(w, http.StatusConflict, route+": "+strings.TrimPrefix(err.Error(), "idenfytest: "))
}

func outcomeNamed(s string) (idenfytest.Outcome, bool) {
	for _, o := range outcomes {
		if strings.EqualFold(s, string(o)) {
			return o, true
		}
	}
	return "", false
}

func outcomeNames() string {
	names := make([]string, len(outcomes))
	for i, o := range outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

func deliveries(ds []idenfytest.WebhookDelivery) []delivery {
	out := make([]delivery, len(ds))
	for i, d := range ds {
		out[i] = delivery{EventType: d.EventType, URL: d.URL, Attempt: d.Attempt, Status: d.Status, At: d.At.UTC()}
	}
	return out
}
