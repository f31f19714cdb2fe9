package auth_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
)

// config is what a user's own settings struct looks like: secrets held as
// auth.Secret, next to a token and a credential.
type config struct {
	User     string
	Password auth.Secret
	Key      auth.Secret `xml:"key,attr" yaml:"key" json:"key"`
	Token    auth.Token
	TokenPtr *auth.Token
}

func sampleConfig() config {
	tok := auth.Token{AccessToken: "acc-SECRET", RefreshToken: "ref-SECRET", Expiry: time.Unix(1e9, 0)}
	return config{User: "bob", Password: "pw-SECRET", Key: "key-SECRET", Token: tok, TokenPtr: &tok}
}

var sampleSecrets = []string{"pw-SECRET", "key-SECRET", "acc-SECRET", "ref-SECRET"}

// Rule: a secret marshals as REDACTED in every encoder that asks the type.
func TestSecretsRedactedInEveryEncoding(t *testing.T) {
	c := sampleConfig()
	cred := auth.APIKey("X-API-Key", "key-SECRET")
	leakcheck.NoSecrets(t, sampleSecrets, c, &c, c.Token, c.TokenPtr, c.Password, cred, []any{c.Password, c.Token})

	// Each encoder, by name, so that a silent refusal cannot pass for a redaction.
	x, err := xml.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<Password>REDACTED</Password>`)
	assert.Contains(t, string(x), `key="REDACTED"`)
	assert.Contains(t, string(x), `AccessToken:REDACTED`)

	var g bytes.Buffer
	require.NoError(t, gob.NewEncoder(&g).Encode(c))
	assert.Contains(t, g.String(), "REDACTED")

	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(y), "password: REDACTED")
	assert.Contains(t, string(y), "key: REDACTED")

	j, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"Password":"REDACTED"`)

	var tpl bytes.Buffer
	require.NoError(t, template.Must(template.New("t").Parse(
		`{{.Password}} {{.Key}} {{.Token}} {{.Token.AccessToken | len}} {{printf "%x" .Password}}`)).Execute(&tpl, c))
	assert.Equal(t, "REDACTED REDACTED "+c.Token.String()+" 10 REDACTED", tpl.String())

	for _, verb := range leakcheck.Verbs {
		got := fmt.Sprintf(verb, c.Password)
		assert.Contains(t, got, "REDACT", verb) // %10.3s may cut it, never reveal it
		assert.NotContains(t, got, "pw-", verb)
	}
	for _, b := range [][]byte{x, g.Bytes(), y, j} {
		for _, s := range sampleSecrets {
			assert.NotContains(t, string(b), s)
		}
	}
}

// Rule: an empty secret stays empty, so "not set" is still visible.
func TestEmptySecretEncodesEmpty(t *testing.T) {
	type cfg struct{ Password auth.Secret }
	x, err := xml.Marshal(cfg{})
	require.NoError(t, err)
	assert.Equal(t, "<cfg><Password></Password></cfg>", string(x))
	y, err := yaml.Marshal(struct{ Password auth.Secret }{})
	require.NoError(t, err)
	assert.Equal(t, "password: \"\"\n", string(y))
}

// Rule: secrets still decode from plain text, so a Config can be read from
// a YAML or JSON file.
func TestSecretDecodesFromText(t *testing.T) {
	var c struct{ Password auth.Secret }
	require.NoError(t, yaml.Unmarshal([]byte("password: hunter2\n"), &c))
	assert.Equal(t, "hunter2", string(c.Password))
	require.NoError(t, json.Unmarshal([]byte(`{"Password":"hunter3"}`), &c))
	assert.Equal(t, "hunter3", string(c.Password))
}
