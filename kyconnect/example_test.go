package kyconnect_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

// Log in with email and password, then ask who we are. The first call logs
// in; later calls share the token and refresh it before it expires.
func ExampleClient_Me() {
	srv := kyconnecttest.NewServer()
	defer srv.Close()

	c, err := kyconnect.New(kyconnect.Config{
		BaseURL:  srv.BaseURL(), // e.g. "https://kyc.example.com/api/v1"
		Email:    srv.Email(),
		Password: srv.Password(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Email, u.Role, c.Stats().Logins)
	// Output: admin@yourfirm.com admin 1
}

// An account with MFA: TOTP computes the authenticator code from the
// account's secret at each login.
func ExampleTOTP() {
	srv := kyconnecttest.NewServer(kyconnecttest.WithMFA("JBSWY3DPEHPK3PXP"))
	defer srv.Close()

	c, err := kyconnect.New(kyconnect.Config{
		BaseURL:  srv.BaseURL(),
		Email:    srv.Email(),
		Password: srv.Password(),
		MFACode:  kyconnect.TOTP("JBSWY3DPEHPK3PXP", nil),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Email, "MFA:", u.MFAEnabled)
	// Output: admin@yourfirm.com MFA: true
}

// A wrong MFA code is reported with its own sentinel; unlike a wrong
// password it is not final.
func ExampleErrInvalidMFACode() {
	srv := kyconnecttest.NewServer(kyconnecttest.WithMFA(""))
	defer srv.Close()

	cfg := srv.Config()
	cfg.MFACode = func(context.Context) (string, error) { return "12345x", nil }
	c, err := kyconnect.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Me(ctx)
	fmt.Println(errors.Is(err, kyconnect.ErrInvalidMFACode), errors.Is(err, providers.ErrInvalidCredentials))
	fmt.Println(err)
	// Output:
	// true false
	// unikyc: kyconnect login: 401 Unauthorized
}

// Machine-to-machine access with an API key: no login, no token.
func ExampleNew_apiKey() {
	srv := kyconnecttest.NewServer()
	defer srv.Close()

	c, err := kyconnect.New(kyconnect.Config{
		BaseURL: srv.BaseURL(),
		APIKey:  srv.APIKey(), // sent in X-API-Key; see APIKeyHeader
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, c.TokenSource() == nil, srv.Logins())
	// Output: 1 true 0
}

// Onboard individuals. KYConnect takes 5 submissions per 2 hours per
// email: the sixth for one email is held back by the client, with the
// wait, and never reaches KYConnect; other emails go through.
func ExampleClient_OnboardIndividual() {
	srv := kyconnecttest.NewServer()
	defer srv.Close()
	c, err := kyconnect.New(srv.APIKeyConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	person := kyconnect.Individual{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Country: "GB"}
	kase, err := c.OnboardIndividual(ctx, person)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("case", kase.ID, kase.Status)

	_, err = c.OnboardIndividual(ctx, person)
	fmt.Println(errors.Is(err, kyconnect.ErrConflict))
	for range 3 {
		_, _ = c.OnboardIndividual(ctx, person)
	}
	_, err = c.OnboardIndividual(ctx, person)
	var rl *providers.RateLimitError
	if errors.As(err, &rl) {
		fmt.Println("held back by", rl.Budget)
	}
	fmt.Println("sent:", srv.Onboardings())
	// Output:
	// case 1 pending
	// true
	// held back by onboarding-individual
	// sent: 5
}

// List what a deployment offers, from its Postman collection: no account
// needed.
func ExampleFetchRoutes() {
	srv := kyconnecttest.NewServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	routes, err := kyconnect.FetchRoutes(ctx, nil, srv.BaseURL())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(routes), "routes")
	for _, r := range routes[:3] {
		fmt.Println(r.Category, r.Method, r.Path, r.Auth)
	}
	// Output:
	// 96 routes
	// Authentication POST /auth/login noauth
	// Authentication POST /auth/refresh noauth
	// Authentication GET /auth/me bearer
}
