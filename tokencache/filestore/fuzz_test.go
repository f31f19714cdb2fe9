package filestore

import (
	"bytes"
	"testing"
)

// FuzzDecodeFile: whatever the token file holds (it is on disk, where
// anyone with write access may change it), decode neither panics nor
// quotes it, and what it accepts encodes and decodes to the same entries.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"version":2,"entries":{"8413f227af13c21b52f87f1d28972705":{"sealed":"AUlScjxovBEsiuZ5","until":"2026-05-04T11:00:00Z"}}}`))
	f.Add([]byte(`{"version":1,"tokens":{"unikyc:kyconnect:8430ade6ac08f4f1e3528887ca28d6dc":"AUlScjxovBEsiuZ5"}}`))
	f.Add([]byte(`{"version":2,"entries":{"a":{"sealed":""},"b":null}}`))
	f.Add([]byte(`{"version":3}`))
	f.Add([]byte("\x00not json{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decode(data)
		if err != nil {
			if err != errFormat {
				t.Fatalf("decode error %v is not errFormat", err)
			}
			return
		}
		for name, e := range c.entries {
			if len(e.Sealed) == 0 {
				t.Fatalf("entry %q without a sealed value kept", name)
			}
		}
		if c.v1 != nil {
			return // version 1 is read, never written
		}
		enc, err := encode(c.entries)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decode(enc)
		if err != nil {
			t.Fatalf("decode of encode: %v", err)
		}
		if len(again.entries) != len(c.entries) {
			t.Fatalf("%d entries, %d after a round trip", len(c.entries), len(again.entries))
		}
		for name, e := range c.entries {
			a := again.entries[name]
			if !bytes.Equal(a.Sealed, e.Sealed) || !a.Until.Equal(e.Until) {
				t.Fatalf("entry %q changed in a round trip", name)
			}
		}
	})
}
