package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
)

// The routes command reads KYConnect's public Postman collection (served
// without auth, the developer page) with no credential: no login is
// attempted, and the one request is the collection's.
func TestRoutesListsTheDeploymentsEndpoints(t *testing.T) {
	srv := kyconnecttest.NewServer()
	defer srv.Close()
	env := map[string]string{"UNIKYC_KYCONNECT_BASE_URL": srv.BaseURL()}

	r := cli(env, "", "routes", "kyconnect")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 1+96, "a header and the fake's 96 requests")
	assert.Regexp(t, `^category +name +method +path +auth$`, lines[0])
	assert.Regexp(t, `^Authentication +Login +POST +/auth/login +noauth$`, lines[1])
	assert.Regexp(t, `^Authentication +Current user +GET +/auth/me +bearer$`, lines[3])
	method, path := strings.Index(lines[0], "method"), strings.Index(lines[0], "path")
	for _, l := range lines {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 100, "at most 100 columns: %q", l)
		// Aligned: each row's method and path start under their headers.
		assert.Regexp(t, `^\S`, l[method:], l)
		assert.Regexp(t, `^\S`, l[path:], l)
		assert.Equal(t, "  ", l[path-2:path], l)
	}
	assert.Zero(t, srv.LoginAttempts(), "no login: the collection is public")
	hits := srv.Hits()
	require.Len(t, hits, 1)
	assert.Equal(t, kyconnecttest.Prefix+kyconnect.PostmanCollectionPath, hits[0].Path)

	// --json prints every value whole, with the budgets counting each.
	r = cli(env, "", "routes", "kyconnect", "--json")
	require.Equal(t, exitOK, r.code, r.all())
	var routes []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &routes), r.stdout)
	require.Len(t, routes, 96)
	assert.Equal(t, map[string]any{"category": "Authentication", "name": "Login", "method": "POST",
		"path": "/auth/login", "auth": "noauth", "budgets": []any{"requests", "login"}}, routes[0])

	// --base-url wins over the variable.
	r = cli(map[string]string{"UNIKYC_KYCONNECT_BASE_URL": "http://127.0.0.1:1/api/v1"}, "",
		"routes", "--base-url", srv.BaseURL(), "kyconnect")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Len(t, strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"), 97)
	assert.Zero(t, srv.LoginAttempts())
}

func TestRoutesFailures(t *testing.T) {
	srv := kyconnecttest.NewServer()
	defer srv.Close()
	env := map[string]string{"UNIKYC_KYCONNECT_BASE_URL": srv.BaseURL()}

	srv.FailNext(kyconnect.PostmanCollectionPath, 1, http.StatusServiceUnavailable, nil)
	r := cli(env, "", "routes", "kyconnect")
	assert.Equal(t, exitFailure, r.code, r.all())
	assert.Contains(t, r.stderr, "unikyc routes kyconnect: ")
	assert.Contains(t, r.stderr, "503")
	assert.Empty(t, r.stdout)

	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"routes", "kyconnect"}, "want the API root: --base-url or UNIKYC_KYCONNECT_BASE_URL"},
		{env, []string{"routes"}, "want one provider: kyconnect"},
		{env, []string{"routes", "idenfy"}, "idenfy publishes no route list; only kyconnect does"},
		{env, []string{"routes", "onfido"}, `unknown provider "onfido": the providers are compliancely, genericjwt`},
		{env, []string{"routes", "kyconnect", "--timeout", "0s"}, "--timeout"},
		{map[string]string{"UNIKYC_KYCONNECT_BASE_URL": "http://kyc.example.com/api/v1"}, []string{"routes", "kyconnect"},
			"UNIKYC_KYCONNECT_BASE_URL must start with https:// (plain http only to loopback)"},
		{nil, []string{"routes", "kyconnect", "--base-url", "kyc.example.com"}, "--base-url must start with https://"},
	} {
		r := cli(tc.env, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.all())
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.Empty(t, r.stdout, tc.args)
	}
	assert.Zero(t, srv.LoginAttempts())
}

// A deployment's names are its own: the table escapes control characters
// (nothing reaches the terminal as a sequence) and cuts long values to
// keep a row within 100 columns; --json keeps them whole.
func TestRoutesTableCutsAndEscapes(t *testing.T) {
	long := strings.Repeat("Very long request name ", 4)
	// A Postman collection v2.1 (schema.getpostman.com/json/collection/v2.1.0)
	// with a hostile folder name and long values.
	col := fmt.Sprintf(`{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	"auth":{"type":"bearer"},
	"item":[{"name":"Cases\u001b[31m red","item":[
		{"name":%q,"request":{"method":"GET","url":{"raw":"{{KYCONNECT_BASE_URL}}/api/v1/cases/:caseId/documents/:documentId/versions/:version","path":"api/v1/cases/:caseId/documents/:documentId/versions/:version"}}}]}]}`, long)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1"+kyconnect.PostmanCollectionPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, col)
	}))
	defer api.Close()

	r := cli(nil, "", "routes", "kyconnect", "--base-url", api.URL+"/api/v1")
	require.Equal(t, exitOK, r.code, r.all())
	assert.NotContains(t, r.stdout, "\x1b")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2)
	assert.LessOrEqual(t, utf8.RuneCountInString(lines[1]), 100, lines[1])
	assert.Regexp(t, regexp.MustCompile(`^Cases\\x1b\[31m r… +Very long request name V… +GET +/cases/:caseId/documents/:documentI… +bearer$`), lines[1])

	r = cli(nil, "", "routes", "kyconnect", "--base-url", api.URL+"/api/v1", "--json")
	require.Equal(t, exitOK, r.code, r.all())
	var routes []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &routes))
	require.Len(t, routes, 1)
	assert.Equal(t, long, routes[0]["name"])
	assert.Equal(t, "/cases/:caseId/documents/:documentId/versions/:version", routes[0]["path"])
}
