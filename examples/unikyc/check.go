package main

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/jwtexp"
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
	fs := newFlags(e, "check", "<provider> [--cache FILE] [--timeout 30s]",
		"Checks the credentials in UNIKYC_<PROVIDER>_* with the provider's cheapest authenticated call\n"+
			"(logging in first where the provider has logins) and shows when the token expires.\n"+
			"With --cache, a token saved by an earlier run is used and no login is made.\n"+
			"Exit 0: accepted; 1: refused or unreachable; 2: usage or configuration.")
	timeout := timeoutFlag(fs)
	cache := cacheFlag(e, fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "want one provider, got %d arguments", len(pos))
	}
	c, err := open(e, pos[0], *cache)
	if err != nil {
		return fail(e, "check", err)
	}
	defer c.Close()
	ctx, cancel := withTimeout(*timeout)
	defer cancel()
	if err := waitNotice(e, "check", c.Name(), func() error { return c.CheckAuth(ctx) }); err != nil {
		return fail(e, "check "+c.Name(), err)
	}
	fmt.Fprintf(e.stdout, "%s: credentials accepted by %s\n", c.Name(), where(c))
	th, ok := c.(tokenHolder)
	if !ok || th.TokenSource() == nil {
		fmt.Fprintln(e.stdout, "static credentials: no token to expire")
		return exitOK
	}
	tok, err := th.TokenSource().Token(ctx) // the token CheckAuth used, from the cache
	if err != nil {
		return fail(e, "check "+c.Name(), err)
	}
	printExpiry(e, tok)
	return exitOK
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
	fs := newFlags(e, "token", "<provider> [--show-secret] [--cache FILE] [--timeout 30s]",
		"Logs in (or refreshes) with the credentials in UNIKYC_<PROVIDER>_* and shows the token's type,\n"+
			"expiry and claims. Claims are read without verifying the signature: for display only.\n"+
			"The token itself is printed only with --show-secret; treat it as a password.\n"+
			"With --cache, a token saved by an earlier run is shown and no login is made.\n"+
			"Exit 0: shown; 1: refused or unreachable; 2: usage, configuration, or a provider with static credentials.")
	show := fs.Bool("show-secret", false, "also print the access token")
	timeout := timeoutFlag(fs)
	cache := cacheFlag(e, fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "want one provider, got %d arguments", len(pos))
	}
	c, err := open(e, pos[0], *cache)
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
			fmt.Fprintf(e.stdout, "  %s: %s\n", k, claim(k, claims[k]))
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
