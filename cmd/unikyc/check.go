package main

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// tokenHolder is implemented by every provider's Client: the token cache,
// nil for static credentials.
type tokenHolder interface {
	TokenSource() tokencache.Source
}

func where(c any) string {
	if b, ok := c.(interface{ BaseURL() *url.URL }); ok {
		return b.BaseURL().Host
	}
	return "the provider"
}

func check(e *env, args []string) int {
	fs := newFlags(e, "check", "<provider> [--no-cache | --cache FILE] [--timeout 30s]",
		"Checks the credentials in UNIKYC_<PROVIDER>_* with the provider's cheapest authenticated call\n"+
			"(logging in first where the provider has logins) and shows when the token expires.\n"+
			"The token is kept, encrypted, in the user's cache directory (or --cache FILE), so that the\n"+
			"next run uses it and makes no login; the output says when it did. --no-cache logs in afresh.\n"+
			"It then shows each budget the client enforces: what is left, the next free slot, a pause.\n"+
			"Exit 0: accepted; 1: refused or unreachable; 2: usage or configuration.")
	timeout := timeoutFlag(fs)
	cf := addCacheFlags(e, fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "want one provider, got %d arguments", len(pos))
	}
	c, spec, err := open(e, pos[0], &cf)
	if err != nil {
		return fail(e, "check", err)
	}
	defer c.Close()
	ctx, cancel := withTimeout(*timeout)
	defer cancel()
	if err := waitNotice(e, "check", c.Name(), func() error { return c.CheckAuth(ctx) }); err != nil {
		return fail(e, "check "+c.Name(), err)
	}
	th, ok := c.(tokenHolder)
	if !ok || th.TokenSource() == nil {
		fmt.Fprintf(e.stdout, "%s: credentials accepted by %s\n", c.Name(), where(c))
		fmt.Fprintln(e.stdout, "static credentials: no token to expire")
		printBudgets(e, c)
		return exitOK
	}
	origin := tokenOrigin(c, spec)
	if origin.cached {
		fmt.Fprintf(e.stdout, "%s: cached token accepted by %s\n", c.Name(), where(c))
	} else {
		fmt.Fprintf(e.stdout, "%s: credentials accepted by %s\n", c.Name(), where(c))
	}
	tok, err := th.TokenSource().Token(ctx) // the token CheckAuth used, from the cache
	if err != nil {
		return fail(e, "check "+c.Name(), err)
	}
	printExpiry(e, tok)
	fmt.Fprintf(e.stdout, "token: %s\n", origin.text)
	printBudgets(e, c)
	return exitOK
}

// origin says where a run's token came from.
type origin struct {
	cached bool // taken from the token file: no login, no refresh
	text   string
}

// tokenOrigin tells, from the client's counters, whether the token came
// from the cache, a refresh of a cached refresh token or a login, and
// where it is kept.
func tokenOrigin(c providers.Client, spec cacheSpec) origin {
	var st providers.Stats
	if s, ok := c.(interface{ Stats() providers.Stats }); ok {
		st = s.Stats()
	}
	kept := "not kept (--no-cache)"
	switch {
	case spec.file != "":
		kept = "kept in " + spec.file
	case spec.why != "":
		kept = "not kept: " + spec.why
	}
	switch {
	case st.Logins > 0:
		return origin{text: "new login, " + kept}
	case st.Refreshes > 0:
		return origin{text: "renewed with the cached refresh token (no login), " + kept}
	case st.StoreHits > 0:
		return origin{cached: true, text: "from the cache " + spec.file +
			" (no login made, so the password was not checked: --no-cache checks it)"}
	}
	return origin{text: kept}
}

func printExpiry(e *env, tok *auth.Token) {
	now := time.Now()
	fmt.Fprintf(e.stdout, "token expires: %s\n", when(tok.Expiry, now))
	if tok.RefreshToken != "" {
		fmt.Fprintf(e.stdout, "refresh token expires: %s\n", when(tok.RefreshExpiry, now))
	}
}

func when(t, now time.Time) string {
	if t.IsZero() {
		return "unknown (used until the provider refuses it)"
	}
	return fmt.Sprintf("%s (in %s)", t.UTC().Format(time.RFC3339), t.Sub(now).Round(time.Second))
}

func token(e *env, args []string) int {
	fs := newFlags(e, "token", "<provider> [--show-secret] [--no-cache | --cache FILE] [--timeout 30s]",
		"Logs in (or refreshes) with the credentials in UNIKYC_<PROVIDER>_* and shows the token's type,\n"+
			"expiry and claims. Claims are read without verifying the signature: for display only.\n"+
			"The token itself is printed only with --show-secret; treat it as a password.\n"+
			"The token is kept, encrypted, in the user's cache directory (or --cache FILE), so that the\n"+
			"next run shows it and makes no login; the output says when it did. --no-cache logs in afresh.\n"+
			"Exit 0: shown; 1: refused or unreachable; 2: usage, configuration, or a provider with static credentials.")
	show := fs.Bool("show-secret", false, "also print the access token")
	timeout := timeoutFlag(fs)
	cf := addCacheFlags(e, fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "want one provider, got %d arguments", len(pos))
	}
	c, spec, err := open(e, pos[0], &cf)
	if err != nil {
		return fail(e, "token", err)
	}
	defer c.Close()
	th, ok := c.(tokenHolder)
	if !ok || th.TokenSource() == nil {
		fmt.Fprintf(e.stderr, "unikyc token %s: this account uses static credentials (a key pair or API key): there is no token\n", c.Name())
		return exitUsage
	}
	ctx, cancel := withTimeout(*timeout)
	defer cancel()
	var tok *auth.Token
	err = waitNotice(e, "token", c.Name(), func() (err error) { tok, err = th.TokenSource().Token(ctx); return err })
	if err != nil {
		return fail(e, "token "+c.Name(), err)
	}
	fmt.Fprintf(e.stdout, "provider: %s (%s)\n", c.Name(), where(c))
	fmt.Fprintf(e.stdout, "type: %s\n", tok.Type())
	printExpiry(e, tok)
	fmt.Fprintf(e.stdout, "token: %s\n", tokenOrigin(c, spec).text)
	claims, ok := jwtexp.Claims(tok.AccessToken)
	if !ok {
		fmt.Fprintln(e.stdout, "claims: none (the token is not a JWT)")
	} else {
		fmt.Fprintln(e.stdout, "claims (unverified):")
		keys := make([]string, 0, len(claims))
		for k := range claims {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(e.stdout, "  %s: %s\n", printable(k), printable(claim(k, claims[k])))
		}
	}
	if *show {
		fmt.Fprintf(e.stdout, "access token: %s\n", tok.AccessToken)
	}
	return exitOK
}

// claim formats a claim; the registered time claims also as dates.
func claim(k string, v any) string {
	if f, ok := v.(float64); ok && (k == "exp" || k == "iat" || k == "nbf") {
		return fmt.Sprintf("%.0f (%s)", f, time.Unix(int64(f), 0).UTC().Format(time.RFC3339))
	}
	return fmt.Sprint(v)
}
