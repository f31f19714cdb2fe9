// Package webhooktest checks a webhook.Provider's signature verification
// from its own tests: one call runs the near misses every provider must
// refuse, and a correctly signed delivery that must pass, verified
// directly and through a webhook.Receiver.
//
//	func TestSignatureConformance(t *testing.T) {
//		webhooktest.CheckSignatures(t, webhooktest.Signatures{
//			Provider: hooks,                                        // under key "k1"
//			Header:   "Idenfy-Signature",
//			Sign:     func(b []byte) string { return sign("k1", b) },
//			SignOther: func(b []byte) string { return sign("k2", b) },
//			Body:     documentedPayload,
//		})
//	}
package webhooktest

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unikyc/unikyc/webhook"
)

// Signatures describes the provider under test.
type Signatures struct {
	// Provider verifies under one key (or several) that Sign uses.
	Provider webhook.Provider
	// Header is the signature header, e.g. "Compliancely-Signature".
	Header string
	// Sign returns Header's value for body, signed the provider's way with
	// a key Provider holds.
	Sign func(body []byte) string
	// SignOther signs the same way with a key Provider does not hold.
	SignOther func(body []byte) string
	// Body is a payload the provider decodes (copy one from its docs).
	Body []byte
	// Extra headers sent with every delivery (an event-type header, say).
	Extra http.Header
	// StrictHexCase makes an upper/lower-case swap of a hex signature a
	// near miss. By default it must pass: it is the same MAC, and Go's
	// hex decoder reads both cases.
	StrictHexCase bool
}

// NearMiss is one delivery that must fail verification.
type NearMiss struct {
	Name   string
	Header []string // the signature header's values; nil: no header
	Body   []byte
}

// NearMisses returns the near misses for s: at least twenty, each with
// the reason in its name.
func NearMisses(s Signatures) []NearMiss {
	body := s.Body
	good := s.Sign(body)
	one := func(v string) []string { return []string{v} }
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 0x01
	other := append(bytes.Clone(body), ` `...)
	m := []NearMiss{
		{"no header", nil, body},
		{"empty value", one(""), body},
		{"whitespace value", one("   "), body},
		{"truncated by one character", one(good[:len(good)-1]), body},
		{"truncated to half", one(good[:len(good)/2]), body},
		{"one character appended", one(good + "0"), body},
		{"last character changed", one(changeAt(good, lastAlnum(good))), body},
		{"first character changed", one(changeAt(good, firstAlnum(good))), body},
		{"body with one bit flipped", one(good), flipped},
		{"signature of another body", one(s.Sign(other)), body},
		{"signature of the body plus a newline", one(s.Sign(append(bytes.Clone(body), '\n'))), body},
		{"body plus a newline", one(good), append(bytes.Clone(body), '\n')},
		{"body plus CRLF", one(good), append(bytes.Clone(body), '\r', '\n')},
		{"empty body", one(good), []byte{}},
		{"signature of the empty body", one(s.Sign(nil)), body},
		{"signature under a key the provider does not hold", one(s.SignOther(body)), body},
		{"sha1= prefix", one("sha1=" + good), body},
		{"sha512= prefix", one("sha512=" + good), body},
		{"md5= prefix", one("md5=" + good), body},
		{"prefix given twice", one("sha256=sha256=" + good), body},
		{"space inside", one(good[:len(good)/2] + " " + good[len(good)/2:]), body},
		{"tab inside", one(good[:len(good)/2] + "\t" + good[len(good)/2:]), body},
		{"NUL appended", one(good + "\x00"), body},
		{"quoted", one(`"` + good + `"`), body},
		{"header sent twice, same value", []string{good, good}, body},
		{"header sent twice, wrong one first", []string{s.SignOther(body), good}, body},
		{"header sent twice, right one first", []string{good, s.SignOther(body)}, body},
		{"two values joined by a comma", one(good + "," + good), body},
		{"two values joined by a comma and space", one(s.SignOther(body) + ", " + good), body},
	}
	raw := rawMAC(good)
	if raw != nil {
		m = append(m,
			NearMiss{"MAC in base32", one(base32.StdEncoding.EncodeToString(raw)), body},
			NearMiss{"MAC in base64url without padding", one(base64.RawURLEncoding.EncodeToString(raw)), body},
			NearMiss{"MAC with its last byte dropped", one(hex.EncodeToString(raw[:len(raw)-1])), body},
			NearMiss{"MAC with a zero byte appended, hex", one(hex.EncodeToString(append(bytes.Clone(raw), 0))), body},
		)
	}
	if swapped := swapCase(good); swapped != good && (!isHex(good) || s.StrictHexCase) {
		m = append(m, NearMiss{"case swapped", one(swapped), body})
	}
	if i := strings.IndexByte(good, '='); i > 0 && i < 10 && i < len(good)-1 {
		m = append(m, NearMiss{"prefix in upper case", one(strings.ToUpper(good[:i]) + good[i:]), body})
	}
	return m
}

// CheckSignatures runs every near miss against s.Provider (each must be
// an error matching webhook.ErrBadSignature, with a short text holding
// neither the signature nor the body) and checks that the correct
// signature passes, alone and through a webhook.Receiver.
func CheckSignatures(t testing.TB, s Signatures) {
	t.Helper()
	if s.Provider == nil || s.Sign == nil || s.SignOther == nil || len(s.Body) < 2 || s.Header == "" {
		t.Fatal("webhooktest: Signatures needs Provider, Header, Sign, SignOther and a Body")
	}
	good := s.Sign(s.Body)
	if err := s.Provider.Verify(headers(s, []string{good}), bytes.Clone(s.Body)); err != nil {
		t.Fatalf("webhooktest: the correct signature fails: %v", err)
	}
	if isHex(good) && !s.StrictHexCase {
		if err := s.Provider.Verify(headers(s, []string{swapCase(good)}), s.Body); err != nil {
			t.Errorf("webhooktest: the correct hex signature in the other case fails: %v", err)
		}
	}
	misses := NearMisses(s)
	if len(misses) < 20 {
		t.Fatalf("webhooktest: only %d near misses", len(misses))
	}
	for _, m := range misses {
		err := s.Provider.Verify(headers(s, m.Header), m.Body)
		switch {
		case err == nil:
			t.Errorf("webhooktest: near miss %q verified", m.Name)
			continue
		case !errors.Is(err, webhook.ErrBadSignature):
			t.Errorf("webhooktest: near miss %q: %v does not match webhook.ErrBadSignature", m.Name, err)
		}
		text := err.Error()
		if len(text) > 512 || strings.Count(text, "unikyc:") != 1 {
			t.Errorf("webhooktest: near miss %q: error text %q is over 512 bytes or has not one unikyc: prefix", m.Name, text)
		}
		for _, v := range m.Header {
			if len(v) >= 8 && strings.Contains(text, strings.TrimSpace(v)) {
				t.Errorf("webhooktest: near miss %q: the error quotes the signature", m.Name)
			}
		}
		if bytes.Contains([]byte(text), s.Body) {
			t.Errorf("webhooktest: near miss %q: the error quotes the body", m.Name)
		}
	}
	checkReceiver(t, s, good)
}

// checkReceiver sends the correct delivery and one near miss through a
// Receiver: 200 and one call, then 401 and none.
func checkReceiver(t testing.TB, s Signatures, good string) {
	t.Helper()
	var calls atomic.Int32
	r, err := webhook.NewReceiver(s.Provider, func(context.Context, webhook.Event) error {
		calls.Add(1)
		return nil
	}, webhook.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("webhooktest: NewReceiver: %v", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Close(ctx)
	}()
	post := func(sig []string, body []byte) int {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header = headers(s, sig)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	if got := post([]string{s.SignOther(s.Body)}, s.Body); got != http.StatusUnauthorized {
		t.Errorf("webhooktest: a delivery under another key was answered %d, want 401", got)
	}
	if got := post([]string{good}, s.Body); got != http.StatusOK {
		t.Errorf("webhooktest: the correct delivery was answered %d, want 200 (does Body decode?)", got)
	}
	if calls.Load() != 1 {
		t.Errorf("webhooktest: the handler ran %d times, want 1", calls.Load())
	}
}

func headers(s Signatures, sig []string) http.Header {
	h := s.Extra.Clone()
	if h == nil {
		h = http.Header{}
	}
	if sig != nil {
		h[http.CanonicalHeaderKey(s.Header)] = sig
	}
	return h
}

// rawMAC decodes a hex or base64 signature (after an optional "x=" prefix).
func rawMAC(v string) []byte {
	if i := strings.IndexByte(v, '='); i > 0 && i < 10 && i < len(v)-1 {
		v = v[i+1:]
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) > 1 {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) > 1 {
		return b
	}
	return nil
}

func isHex(v string) bool {
	if i := strings.IndexByte(v, '='); i > 0 && i < 10 {
		v = v[i+1:]
	}
	_, err := hex.DecodeString(v)
	return err == nil && v != ""
}

// swapCase swaps the case of the value after a "sha256=" style prefix;
// the prefix is kept.
func swapCase(v string) string {
	prefix := ""
	if i := strings.IndexByte(v, '='); i > 0 && i < 10 && i < len(v)-1 {
		prefix, v = v[:i+1], v[i+1:]
	}
	return prefix + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, v)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func lastAlnum(v string) int {
	for i := len(v) - 1; i >= 0; i-- {
		if isAlnum(v[i]) {
			return i
		}
	}
	return len(v) - 1
}

func firstAlnum(v string) int {
	// Skip a "sha256=" style prefix: changing it is a prefix variant.
	start := 0
	if i := strings.IndexByte(v, '='); i > 0 && i < 10 && i < len(v)-1 {
		start = i + 1
	}
	for i := start; i < len(v); i++ {
		if isAlnum(v[i]) {
			return i
		}
	}
	return 0
}

// changeAt replaces the character at i by the next one of its class
// (0-9, a-f within hex digits, a-z, A-Z), so the value keeps its encoding.
func changeAt(v string, i int) string {
	b := []byte(v)
	c := b[i]
	switch {
	case c >= '0' && c <= '9':
		b[i] = '0' + (c-'0'+1)%10
	case c >= 'a' && c <= 'f' && isHex(v):
		b[i] = 'a' + (c-'a'+1)%6
	case c >= 'A' && c <= 'F' && isHex(v):
		b[i] = 'A' + (c-'A'+1)%6
	case c >= 'a' && c <= 'z':
		b[i] = 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'Z':
		b[i] = 'A' + (c-'A'+1)%26
	default:
		b[i] = 'A'
	}
	return string(b)
}
