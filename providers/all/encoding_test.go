package all_test

import (
	"testing"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
)

// Rule: no provider's Config shows a secret in any encoding — every fmt
// verb, text/template, slog, JSON, XML, gob and YAML.
func TestEveryConfigRedactsInEveryEncoding(t *testing.T) {
	secrets := []string{"pw-SECRET", "key-SECRET", "api-SECRET", "JBSWY3DPEHPK3PXPSECRET"}
	configs := []any{
		genericjwt.Config{BaseURL: "https://kyc.example.com", Username: "u", Password: "pw-SECRET"},
		icomply.Config{Username: "u", Password: "pw-SECRET"},
		icomply.Config{APIKey: "key-SECRET", APIKeyHeader: "X-API-Key"},
		idenfy.Config{APIKey: "key-SECRET", APISecret: "api-SECRET"},
		compliancely.Config{Username: "u", Password: "pw-SECRET"},
		kyconnect.Config{BaseURL: "https://k.example.com/api/v1", Email: "a@b.c", Password: "pw-SECRET",
			TOTPSecret: "JBSWY3DPEHPK3PXPSECRET", MFACode: kyconnect.TOTP(auth.Secret("JBSWY3DPEHPK3PXPSECRET"), nil)},
		kyconnect.Config{BaseURL: "https://k.example.com/api/v1", APIKey: "key-SECRET"},
	}
	for _, c := range configs {
		r := leakcheck.Renderings(c)
		for _, enc := range []string{"xml", "gob", "yaml", "json", "text/template"} {
			if _, ok := r[enc]; !ok {
				t.Errorf("%T: %s refused the Config: it must encode, redacted", c, enc)
			}
		}
	}
	values := append(configs, func() []any {
		var ptrs []any
		for i := range configs {
			ptrs = append(ptrs, &configs[i])
		}
		return ptrs
	}()...)
	leakcheck.NoSecrets(t, secrets, values...)
}
