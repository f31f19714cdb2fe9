package genericjwt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

// A client logs in on its first call and reuses the token until it nears
// expiry. Against a real back office, fill the Config yourself:
//
//	genericjwt.Config{
//		BaseURL:  "https://kyc.example.com",
//		Username: os.Getenv("KYC_LOGIN"),
//		Password: auth.Secret(os.Getenv("KYC_PASSWORD")),
//	}
func Example() {
	srv := genericjwttest.NewServer()
	defer srv.Close()

	client, err := genericjwt.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	me, err := client.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Email, me.IsVerified)
	fmt.Println("logins:", srv.Logins())
	// Output:
	// compliance-bot@example.com true
	// logins: 1
}

// Any other route of the back office goes through the same authenticated
// pipeline, with NewRequest and Do (or HTTPClient).
func Example_otherRoutes() {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	client, err := genericjwt.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := client.NewRequest(ctx, http.MethodGet, "/api/v1/resource", nil)
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Resource string `json:"resource"`
	}
	if err := client.Do(req, "resource", &out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Resource)
	// Output: ok
}

// Wrong credentials are refused once and never sent again: every call
// returns the same error, which matches providers.ErrInvalidCredentials.
func Example_badCredentials() {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Password = "not-the-password"
	client, err := genericjwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		err = client.CheckAuth(ctx)
	}
	fmt.Println(errors.Is(err, providers.ErrInvalidCredentials))
	fmt.Println(err)
	fmt.Println("login attempts:", srv.LoginAttempts())
	// Output:
	// true
	// unikyc: genericjwt login: 400 Bad Request (LOGIN_BAD_CREDENTIALS)
	// login attempts: 1
}

// An unverified user is refused too, with its own sentinel.
func Example_userNotVerified() {
	srv := genericjwttest.NewServer(genericjwttest.WithUnverifiedUser("new@example.com", "pw"))
	defer srv.Close()
	cfg := srv.Config()
	cfg.Username, cfg.Password = "new@example.com", "pw"
	client, err := genericjwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = client.CheckAuth(ctx)
	fmt.Println(errors.Is(err, genericjwt.ErrUserNotVerified), errors.Is(err, providers.ErrInvalidCredentials))
	// Output: true true
}

// A back office that issues JWTs without "exp": the token is used until
// it is rejected; then the client logs in once and replays the call.
func Example_tokenWithoutExpiry() {
	srv := genericjwttest.NewServer(genericjwttest.WithTokenLifetime(0))
	defer srv.Close()
	client, err := genericjwt.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	for range 10 {
		if err := client.CheckAuth(ctx); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("logins:", srv.Logins())

	srv.RevokeTokens() // e.g. the back office restarted with a new key
	if err := client.CheckAuth(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logins:", srv.Logins(), "401s:", srv.Unauthorized())
	// Output:
	// logins: 1
	// logins: 2 401s: 1
}

// A Config with a missing field is refused before anything is sent.
func ExampleNew_validation() {
	_, err := genericjwt.New(genericjwt.Config{BaseURL: "https://kyc.example.com", Username: "bot@example.com"})
	var ve *providers.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Field)
	fmt.Println(err)
	// Output:
	// true Password
	// unikyc: genericjwt: invalid Password: is required
}

// A back office whose users router requires verified users lets an
// unverified user log in and answers 403 on /users/me: the error says so.
func ExampleClient_Me_unverified() {
	srv := genericjwttest.NewServer(genericjwttest.WithVerifiedUsersRouter(),
		genericjwttest.WithUnverifiedUser("new@example.com", "fresh-password-7"))
	defer srv.Close()
	cfg := srv.Config()
	cfg.Username, cfg.Password = "new@example.com", "fresh-password-7"
	client, err := genericjwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = client.Me(ctx)
	fmt.Println(errors.Is(err, genericjwt.ErrUserNotVerified), errors.Is(err, genericjwt.ErrForbidden))
	fmt.Println(err)
	// Output:
	// true true
	// unikyc: genericjwt me: 403 Forbidden
}
