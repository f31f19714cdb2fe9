package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/providers"
)

// routesBaseVar is where routes finds the API root without --base-url.
var routesBaseVar = providers.EnvName(kyconnect.Name, "BASE_URL")

// routeWidths caps each column of the routes table (category, name,
// method, path, auth) so that a row, gaps included, fits 100 columns;
// --json prints every value whole.
var routeWidths = [5]int{16, 25, 7, 36, 8}

// routeJSON is one route as --json prints it.
type routeJSON struct {
	Category string   `json:"category"`
	Name     string   `json:"name"`
	Method   string   `json:"method"`
	Path     string   `json:"path"`
	Auth     string   `json:"auth"`
	Budgets  []string `json:"budgets"`
}

func routesCmd(e *env, args []string) int {
	fs := newFlags(e, "routes", "kyconnect [--base-url URL] [--json]",
		"Lists the endpoints a KYConnect deployment serves, read from its Postman collection\n"+
			"(GET "+kyconnect.PostmanCollectionPath+", public: no credential is read or sent, no login made):\n"+
			"category, name, method, path (relative to the API root) and auth (noauth, bearer, apikey).\n"+
			"The API root is --base-url, else "+routesBaseVar+".\n"+
			"Exit 0: listed; 1: the deployment refused or is unreachable; 2: usage or configuration.")
	baseURL := fs.String("base-url", "", "the API root, e.g. https://kyc.example.com/api/v1 (default $"+routesBaseVar+")")
	asJSON := fs.Bool("json", false, "print the routes as JSON, every value whole, with the budgets that count each")
	timeout := timeoutFlag(fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "want one provider: kyconnect")
	}
	if pos[0] != kyconnect.Name {
		if !slices.Contains(providers.Drivers(), pos[0]) {
			return fail(e, "routes", &providers.UnknownProviderError{Name: pos[0]})
		}
		return usageError(e, fs, "%s publishes no route list; only kyconnect does", clip(pos[0]))
	}
	base, from := strings.TrimSpace(*baseURL), "--base-url"
	if base == "" {
		base, from = strings.TrimSpace(e.getenv(routesBaseVar)), routesBaseVar
	}
	if base == "" {
		return usageError(e, fs, "want the API root: --base-url or %s", routesBaseVar)
	}
	// A bad URL is the operator's to fix (exit 2), named by where it came
	// from; no credential goes anywhere, but the answer must not be read
	// off the network in clear text either.
	if _, err := providers.ParseBaseURL(kyconnect.Name, base, false); err != nil {
		var ve *providers.ValidationError
		if errors.As(err, &ve) {
			return usageError(e, fs, "%s %s", from, ve.Reason)
		}
		return usageError(e, fs, "%s must start with https:// (plain http only to loopback)", from)
	}
	ctx, cancel := withTimeout(*timeout)
	defer cancel()
	routes, err := kyconnect.FetchRoutes(ctx, nil, base)
	if err != nil {
		return fail(e, "routes kyconnect", err)
	}
	if *asJSON {
		out := make([]routeJSON, len(routes))
		for i, r := range routes {
			out[i] = routeJSON{r.Category, r.Name, r.Method, r.Path, r.Auth, r.Budgets}
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "category\tname\tmethod\tpath\tauth")
	for _, r := range routes {
		cols := [5]string{r.Category, r.Name, r.Method, r.Path, r.Auth}
		for i := range cols {
			cols[i] = cell(cols[i], routeWidths[i])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cols[0], cols[1], cols[2], cols[3], cols[4])
	}
	_ = tw.Flush()
	return exitOK
}

// cell is a server's string for a table: control characters escaped, at
// most n runes, the last one "…" when cut.
func cell(s string, n int) string {
	r := []rune(printable(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
