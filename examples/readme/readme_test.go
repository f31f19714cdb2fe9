package readme_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/providers"
	_ "github.com/unikyc/unikyc/providers/all" // README: registers all five
	"github.com/unikyc/unikyc/providers/otelunikyc"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// Placeholders the README's snippets use.
var (
	ctx                         = context.Background()
	pw, key, secret, totpSecret = "pw", "key", "secret", "JBSWY3DPEHPK3PXP"
	webhookKey                  = auth.Secret("whk")
	opts                        []providers.Option
	lookup                      = func(string) string { return "" }
	logger                      = slog.New(slog.DiscardHandler)
	r                           *http.Request
	err                         error
	_, _, _, _, _, _, _             = pw, key, secret, totpSecret, webhookKey, opts, lookup
	_                               = logger
	_                           any = r
)

// README: the first snippet.
func Example_compliancely() {
	c, err := compliancely.New(compliancely.Config{Username: "svc", Password: auth.Secret(pw)})
	if err != nil {
		return
	}
	defer c.Close()
	// Always give a deadline: behind Compliancely's 10-minute penalty a call would wait it out.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://app1.compliancely.com/api/v2/…", nil)
	resp, err := c.HTTPClient().Do(req) // logged in, refreshed, throttled, retried
	_, _ = resp, err
}

// README: "Or pick the provider by configuration".
func Example_fromEnv() {
	c, err := providers.FromEnv("kyconnect") // reads UNIKYC_KYCONNECT_*; a bad setting names the variable
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = c.CheckAuth(ctx) // the provider's cheapest call that proves the credentials
	_ = err
}

// README: genericjwt.
func Example_genericjwt() {
	c, err := genericjwt.New(genericjwt.Config{
		BaseURL: "https://kyc.example.com", Username: "svc@example.com", Password: auth.Secret(pw),
	})
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // every call below takes a deadline
	defer cancel()
	me, err := c.Me(ctx) // logs in (urlencoded form) on first use, again before the JWT's exp
	_, _ = me, err
}

// README: icomply.
func Example_icomply() {
	c, err := icomply.New(icomply.Config{Username: "svc", Password: auth.Secret(pw)}) // or APIKey: auth.Secret(key)
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	people, err := c.ListEntities(ctx, icomply.ListEntitiesParams{
		Type: icomply.EntityTypeNaturalPersons, Limit: 20, KYCMetaData: true,
	})
	id, err := c.CreateAMLSearch(ctx, icomply.AMLSearchParams{SearchTerm: icomply.AMLSearchTerm{Name: "Jane Doe"}})
	_, _, _ = people, id, err
}

// README: idenfy.
func Example_idenfy() {
	c, err := idenfy.New(idenfy.Config{APIKey: auth.Secret(key), APISecret: auth.Secret(secret)})
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tok, err := c.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{
		TokenType: idenfy.KYBTokenForm, ClientID: "company-42", Tags: []string{"onboarding"},
		Questionnaire: idenfy.Null[string](), // absent, null and a value are three different things
	})
	_, _ = tok, err
	if r != nil {
		cb, err := idenfy.ParseWebhook(r, webhookKey) // errors.Is(err, idenfy.ErrBadSignature): answer 401
		_, _ = cb, err
	}
}

// README: compliancely.
func Example_compliancelySubmission() {
	c, err := compliancely.New(compliancely.Config{Username: "svc", Password: auth.Secret(pw)})
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme & Sons"})
	_, _ = rec, err
}

// README: "Observability".
func Example_observability() {
	cfg := compliancely.Config{Username: "svc", Password: auth.Secret(pw)}
	c, err := compliancely.New(cfg,
		otelunikyc.WithMeterProvider(otel.GetMeterProvider()),   // metrics
		otelunikyc.WithTracerProvider(otel.GetTracerProvider())) // spans
	if err != nil {
		return
	}
	defer c.Close()
}

// README: kyconnect.
func Example_kyconnect() {
	c, err := kyconnect.New(kyconnect.Config{
		BaseURL: "https://kyc.example.com/api/v1", Email: "svc@example.com", Password: auth.Secret(pw),
		TOTPSecret: auth.Secret(totpSecret), // checked by New; the current code at each login; empty without MFA
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	me, err := c.Me(ctx) // one login, then refreshes: the 10-logins-an-hour budget is never burnt
	_, _ = me, err
}

// README: "Choosing the provider by configuration".
func Example_registry() {
	c, err := providers.Open("idenfy", idenfy.Config{APIKey: auth.Secret(key), APISecret: auth.Secret(secret)}, opts...)
	if err != nil {
		return
	}
	defer c.Close()
	c.Close()
	c, err = providers.FromEnv("idenfy", opts...) // from UNIKYC_IDENFY_*
	if err == nil {
		c.Close()
	}
	c, err = providers.FromEnvFunc("idenfy", lookup, opts...) // from your own settings source
	if err != nil {
		c, _ = providers.Open("idenfy", idenfy.Config{APIKey: auth.Secret(key), APISecret: auth.Secret(secret)}, opts...)
	}
	ic := c.(*idenfy.Client) // the typed calls
	_ = ic
	fmt.Println(providers.Drivers())
	// Output: [compliancely genericjwt icomply idenfy kyconnect]
}

// README: fleet mode.
func Example_fleet() {
	if os.Getenv("REDIS_ADDR") == "" {
		return // compiled always; run by hand against a Redis
	}
	cfg := compliancely.Config{Username: "svc", Password: auth.Secret(pw)}
	key := make([]byte, 32)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"}})
	fleet, err := redisfleet.New(rdb,
		redisfleet.WithEncryptionKey(key), // 32 bytes, the same on every replica
		redisfleet.WithReplicas(5),        // each replica's share of the budgets when Redis is down
		redisfleet.WithLogger(logger))
	if err != nil {
		return
	}
	client, err := compliancely.New(cfg, fleet.Options("compliancely:"+cfg.Username)...)
	_, _ = client, err
}

// README: errors.
func Example_errors() {
	_, err := idenfy.New(idenfy.Config{APIKey: "k"})
	switch {
	case errors.Is(err, providers.ErrInvalidCredentials): // wrong password/key: final, never retried
	case errors.Is(err, providers.ErrUnauthorized): // token refused even after a fresh one
	case errors.Is(err, providers.ErrRateLimited): // *providers.RateLimitError: RetryAfter
	case errors.Is(err, providers.ErrValidation): // *providers.ValidationError (not sent) or a 400/422
		var ve *providers.ValidationError // the field and the rule broken; nothing was sent
		errors.As(err, &ve)
		fmt.Println(ve.Field)
	case errors.Is(err, providers.ErrNotFound):
	}
	var pe *providers.Error          // status, provider code, request id, capped body (which may hold personal data)
	var rl *providers.RateLimitError // how long until the provider takes requests again
	var ee *providers.EnvError       // the UNIKYC_* variable that is missing or malformed
	_, _, _ = pe, rl, ee
	// Output: APISecret
}

// README: "Testing your service with the fakes". It runs: the login and
// the 429's ten-minute penalty pass on the fake clock in milliseconds.
func Example_testing() {
	req := &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme & Sons"}
	clk := clock.NewFake(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer srv.Close()
	c, _ := compliancely.New(srv.Config(), providers.WithClock(clk))
	defer c.Close()
	// Deadlines are real time: give one longer than the longest wait on the fake
	// clock (a wait that would outlast it fails at once, as in production).
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()

	clk.Drive(func() { _, err = c.CreateTaxExempt(ctx, req) }) // logs in, then checks
	fmt.Println("first:", err)

	srv.RateLimitNext(compliancely.TaxExemptPath, 1, "")       // the next check gets a 429 with the 10-minute penalty
	clk.Drive(func() { _, err = c.CreateTaxExempt(ctx, req) }) // waits the penalty out on the fake clock
	fmt.Println("after the 429:", err, clk.Now().Format("15:04"))
	srv.RevokeAccessTokens()      // the next call gets a 401, refreshes, and is replayed
	clk.Advance(55 * time.Minute) // the refresh ahead of expiry happens in the background
	logins, refreshes, calls, hits := srv.Logins(), srv.Refreshes(), srv.Calls(compliancely.TaxExemptPath), srv.Hits()
	fmt.Println("logins:", logins, "submissions:", calls)
	_, _ = refreshes, hits
	// Output:
	// first: <nil>
	// after the 429: <nil> 09:10
	// logins: 1 submissions: 3
}

// README: durable tokens.
func Example_filestore() {
	cfg := kyconnect.Config{BaseURL: "https://kyc.example.com/api/v1", Email: "svc@example.com", Password: auth.Secret(pw)}
	store, err := filestore.New() // path from UNIKYC_TOKEN_STORE, key (64 hex digits) from UNIKYC_TOKEN_KEY
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := kyconnect.New(cfg, providers.WithStore(store))
	_, _ = c, err
	// Output: unikyc: filestore: no token file: set UNIKYC_TOKEN_STORE or use WithPath
}

// Every Go snippet of the README has its Example here: each snippet's
// lines that call this module appear in this file.
func TestEveryReadmeSnippetIsMirrored(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), "") }
	mirror := norm(string(self))
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 12 {
		t.Fatalf("found %d Go snippets in the README", len(blocks))
	}
	for i, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			code, _, _ := strings.Cut(line, "//")
			code = strings.TrimSpace(code)
			if code == "" || strings.Contains(code, "…") || strings.HasPrefix(code, "import") || code == "}" || code == "})" {
				continue
			}
			if !strings.Contains(mirror, norm(code)) {
				t.Errorf("README snippet %d: %q has no mirror in readme_test.go", i+1, code)
			}
		}
	}
}
