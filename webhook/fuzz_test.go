package webhook_test

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/unikyc/unikyc/webhook"
)

// FuzzReceiver drives the receiver's read/verify/decode path with any body
// and signature header, or (signed set) with any body correctly signed, so
// the decode path sees verified garbage too. A delivery is answered 200
// only with a correct signature, the handler runs only then, and nothing
// unverified is decoded.
func FuzzReceiver(f *testing.F) {
	f.Add(autoBody, "", true)
	f.Add(autoBody, hex.EncodeToString(mac([]byte(key1), autoBody)), false)
	f.Add(manualBody, "sha256="+hex.EncodeToString(mac([]byte(key1), manualBody)), false)
	f.Add([]byte(`{"ref":"","type":"","final":true}`), "", true)
	f.Add([]byte(`{"ref":1}`), "", true)
	f.Add([]byte("\xff\xfe"), "00", false)
	f.Add([]byte(strings.Repeat("[", 4096)), "", true)
	f.Fuzz(func(t *testing.T, body []byte, sig string, signed bool) {
		p := &counting{Provider: newTestProvider(key1)}
		p.Provider.(*testProvider).delivery.MaxBody = 4096
		var calls atomic.Int32
		r, err := webhook.NewReceiver(p, func(context.Context, webhook.Event) error { calls.Add(1); return nil },
			webhook.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(context.Background())
		if signed {
			sig = hex.EncodeToString(mac([]byte(key1), body))
		}
		got, _ := hex.DecodeString(sig)
		valid := len(body) <= 4096 && len(sig) > 0 && !strings.ContainsAny(sig, ", \t") &&
			hmac.Equal(got, mac([]byte(key1), body))
		status := deliver(r, http.Header{sigHeader: {sig}}, body)
		switch {
		case len(body) > 4096:
			if status != http.StatusRequestEntityTooLarge || p.verified.Load() != 0 {
				t.Fatalf("oversized: %d, verified %d", status, p.verified.Load())
			}
		case !valid:
			if status != http.StatusUnauthorized || p.decoded.Load() != 0 || calls.Load() != 0 {
				t.Fatalf("bad signature: %d, decoded %d, called %d", status, p.decoded.Load(), calls.Load())
			}
		case status == http.StatusOK:
			if calls.Load() != 1 {
				t.Fatalf("200 with %d calls", calls.Load())
			}
		case status == http.StatusBadRequest:
			if calls.Load() != 0 {
				t.Fatal("undecodable body reached the handler")
			}
		default:
			t.Fatalf("signed body answered %d", status)
		}
	})
}
