package compliancely

import (
	"context"
	"net/http"
	"strings"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// Name is the provider's short name in errors, logs and store keys.
const Name = "compliancely"

// Client is a Compliancely API client. It is safe for concurrent use;
// make one per account and share it. Close it when done. Besides the
// typed calls, [Client.NewRequest] and [Client.Do], or [Client.HTTPClient],
// reach endpoints this package does not type, with the same authentication,
// throttling and retries.
type Client struct {
	conn         *providers.Core
	validatePath string
	paths        businessPaths
}

// businessPaths are the TIN match routes, each ending in "/".
type businessPaths struct {
	submissions, bulkUpload string
}

//go:generate go run ../internal/cmd/clientgen

// New returns a client for cfg. It sends nothing until the first call.
// A bad cfg returns a *providers.ValidationError naming the field.
func New(cfg Config, opts ...providers.Option) (_ *Client, err error) {
	defer func() { err = providers.Named(Name, err) }()
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// The closures below hold the password; Client itself holds no secret,
	// so printing a Client cannot show one.
	tc := tokenCalls{username: cfg.Username, password: cfg.Password,
		loginPath: cfg.LoginPath, refreshPath: cfg.RefreshPath, scheme: cfg.AuthScheme}
	conn, err := providers.Build(providers.Spec{
		Name:        Name,
		BaseURL:     cfg.BaseURL,
		Account:     cfg.Username,
		Config:      cfg,
		Login:       tc.login,
		Refresh:     tc.refresh,
		DecodeError: decodeError,
		Budgets:     []ratelimit.Budget{DefaultBudget},
		// "You will need to wait 10 minutes before retrying": a shorter
		// Retry-After does not shorten it.
		Penalty:      Penalty,
		PenaltyFloor: true,
		// "Attempt a token refresh once"; "if re-authentication fails,
		// surface the error and stop retrying".
		TokenRules: providers.TokenRules{LoginAttempts: 1, RefreshAttempts: 1},
		TokenCache: []tokencache.Option{
			tokencache.WithSoftWindow(RefreshAhead),
			tokencache.WithJitter(0.5),
		},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, validatePath: cfg.ValidatePath, paths: businessPaths{
		submissions: withSlash(cfg.SubmissionsPath), bulkUpload: withSlash(cfg.BulkUploadPath)}}, nil
}

// do sends a JSON call (body nil for none) and decodes the answer into out.
func (c *Client) do(ctx context.Context, method, path, operation string, body, out any) error {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	return c.Do(req, operation, out)
}

// tokenCalls are the login and refresh calls the token cache makes.
type tokenCalls struct {
	username    string
	password    auth.Secret
	loginPath   string
	refreshPath string
	scheme      string
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type refreshRequest struct {
	Refresh string `json:"refresh"`
}

func (tc tokenCalls) login(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
	return tc.call(ctx, s, tc.loginPath, "login", loginRequest{Username: tc.username, Password: string(tc.password)})
}

func (tc tokenCalls) refresh(ctx context.Context, s *providers.Sender, refreshToken string) (*auth.Token, error) {
	return tc.call(ctx, s, tc.refreshPath, "refresh", refreshRequest{Refresh: refreshToken})
}

func (tc tokenCalls) call(ctx context.Context, s *providers.Sender, path, operation string, body any) (*auth.Token, error) {
	req, err := s.NewRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	var a tokenAnswer
	if err := s.Do(req, operation, &a); err != nil {
		return nil, err
	}
	return a.token(s, operation, tc.scheme)
}

// withSlash ends p in "/": an id is appended to the route.
func withSlash(p string) string {
	if strings.HasSuffix(p, "/") {
		return p
	}
	return p + "/"
}
