package idenfytest

import (
	"context"
	"encoding/json"
	"fmt"
)

// SendWebhook posts a KYC result to url the way iDenfy does: SendEvent
// with the event type IDENTIFICATION_AUTO_FINISHED.
func (s *Server) SendWebhook(ctx context.Context, url string, payload any) error {
	return s.SendEvent(ctx, url, EventIdentificationAutoFinished, payload)
}

// SendEvent posts payload to url the way iDenfy does: JSON, with the
// Idenfy-Signature header over the exact bytes sent and Idenfy-Event-Type
// set to eventType ("" for none). payload may be a []byte or
// json.RawMessage (sent as is) or any value (sent as JSON), e.g. from
// Callback. It makes one attempt: a non-2xx answer is an error (iDenfy
// would retry; Complete does).
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
	status, err := s.post(ctx, url, eventType, body)
	if err != nil {
		return fmt.Errorf("idenfytest: sending webhook: %w", err)
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("idenfytest: webhook answered %d", status)
	}
	return nil
}
