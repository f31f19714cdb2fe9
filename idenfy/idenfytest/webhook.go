package idenfytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/httpbody"
)

// SignWebhook returns the Idenfy-Signature value for body under the fake's
// webhook key.
func (s *Server) SignWebhook(body []byte) string {
	return idenfy.SignWebhook(body, s.WebhookKey())
}

// SendWebhook posts a KYC result to url the way iDenfy does: SendEvent
// with the event type IDENTIFICATION_AUTO_FINISHED.
func (s *Server) SendWebhook(ctx context.Context, url string, payload any) error {
	return s.SendEvent(ctx, url, idenfy.EventIdentificationAutoFinished, payload)
}

// SendEvent posts payload to url the way iDenfy does: JSON, with the
// Idenfy-Signature header over the exact bytes sent and Idenfy-Event-Type
// set to eventType ("" for none, as legacy webhooks). payload may be a
// []byte or json.RawMessage (sent as is) or any value (sent as JSON), e.g.
// from Callback. A non-2xx answer is an error (iDenfy would retry).
func (s *Server) SendEvent(ctx context.Context, url, eventType string, payload any) error {
	var body []byte
	switch p := payload.(type) {
	case []byte:
		body = p
	case json.RawMessage:
		body = p
	default:
		var err error
		if body, err = json.Marshal(p); err != nil {
			return fmt.Errorf("idenfytest: encoding webhook: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("idenfytest: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(idenfy.SignatureHeader, s.SignWebhook(body))
	if eventType != "" {
		req.Header.Set(idenfy.EventTypeHeader, eventType)
	}
	resp, err := s.webhook.Do(req)
	if err != nil {
		return fmt.Errorf("idenfytest: sending webhook: %w", err)
	}
	defer httpbody.Drain(resp.Body, 64<<10)
	s.kit.Counts.Inc("webhooks")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("idenfytest: webhook answered %d", resp.StatusCode)
	}
	return nil
}
