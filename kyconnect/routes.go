package kyconnect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// PostmanCollectionPath serves the deployment's Postman collection,
// regenerated from its live OpenAPI on every download, without
// authentication (C, the developer page).
const PostmanCollectionPath = "/health/postman-collection"

// Values of Route.Auth.
const (
	AuthNone   = "noauth" // public: send no credential
	AuthBearer = "bearer" // a JWT
	AuthAPIKey = "apikey" // an API key
)

// Route is one request of the deployment's Postman collection.
type Route struct {
	Category string // the top-level folder: "Authentication", "Onboarding", …
	Name     string // the request's name in the collection
	Method   string // "GET", "POST", …
	// Path is relative to the API root (the client's BaseURL, e.g.
	// "/auth/login") when the collection's path starts with the root's
	// path, as NewRequest wants it; otherwise as in the collection. Path
	// variables keep Postman's form (":id").
	Path string
	// Auth is the scheme the request uses, its own or inherited from its
	// folders and the collection: AuthNone, AuthBearer, AuthAPIKey, or
	// another Postman auth type.
	Auth string
	// Budgets names the documented budgets that count the route
	// ([Budgets], [OnboardingBudget]): "requests" for all, plus the
	// route's own ("login", "forgot-password", "onboarding-individual").
	// A client applies them by itself.
	Budgets []string
}

// budgetsFor names the budgets that count method and path.
func budgetsFor(method, path string) []string {
	var out []string
	for _, b := range append(append([]ratelimit.Budget(nil), Budgets...), OnboardingBudget) {
		if (b.Method == "" || strings.EqualFold(b.Method, method)) && (b.Path == "" || b.Path == path) {
			out = append(out, b.Name)
		}
	}
	return out
}

// maxCollection caps a collection's size (the real one, 96 requests with
// sample bodies, is far smaller).
const maxCollection = 8 << 20

// Routes reads the deployment's Postman collection and lists its
// endpoints, so you can see what your deployment offers and call it with
// NewRequest and Do. It goes through the client's pipeline (budgets,
// retries); in login mode that means a login first when the client holds
// no token, although the route itself is public: [FetchRoutes] reads it
// with no credential at all.
func (c *Client) Routes(ctx context.Context) ([]Route, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, PostmanCollectionPath, nil)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.Do(req, "postman collection", &raw); err != nil {
		return nil, err
	}
	return ParseRoutes(raw, c.BaseURL().Path)
}

// FetchRoutes reads the Postman collection of the deployment at baseURL
// (the API root, e.g. "https://kyc.example.com/api/v1") with hc (nil:
// http.DefaultClient) and no credential, once: no retries, no budget.
// For tools (the CLI) that have no account at hand.
func FetchRoutes(ctx context.Context, hc *http.Client, baseURL string) ([]Route, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	base, err := providers.ParseBaseURL(Name, strings.TrimRight(baseURL, "/"), false)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+PostmanCollectionPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, providers.NewError(Name, "postman collection", resp, decodeError)
	}
	b, err := httpbody.Read(resp.Body, maxCollection)
	if err != nil {
		return nil, err
	}
	return ParseRoutes(b, base.Path)
}

// postman is the part of a Postman collection v2.1 this package reads
// (https://schema.getpostman.com/json/collection/v2.1.0/collection.json).
type postmanItem struct {
	Name    string          `json:"name"`
	Item    []postmanItem   `json:"item"`
	Auth    *postmanAuth    `json:"auth"`
	Request json.RawMessage `json:"request"`
}

type postmanAuth struct {
	Type string `json:"type"`
}

type postmanRequest struct {
	Method string          `json:"method"`
	URL    json.RawMessage `json:"url"`
	Auth   *postmanAuth    `json:"auth"`
}

type postmanURL struct {
	Raw  string          `json:"raw"`
	Path json.RawMessage `json:"path"`
}

// ErrNotCollection: the answer is not a Postman collection v2.x.
var ErrNotCollection = errors.New("unikyc: kyconnect: not a Postman collection")

// ParseRoutes lists the requests of a Postman collection (format v2.0 or
// v2.1), depth first in the collection's order. root, the API root's path
// (e.g. "/api/v1"), is cut from each path that starts with it.
func ParseRoutes(collection []byte, root string) ([]Route, error) {
	var c struct {
		Info struct {
			Schema string `json:"schema"`
		} `json:"info"`
		Item []postmanItem `json:"item"`
		Auth *postmanAuth  `json:"auth"`
	}
	if err := json.Unmarshal(collection, &c); err != nil || !strings.Contains(c.Info.Schema, "/collection/v2") {
		return nil, ErrNotCollection
	}
	root = strings.TrimRight(root, "/")
	out := []Route{}
	var walk func(items []postmanItem, category, auth string)
	walk = func(items []postmanItem, category, auth string) {
		for _, it := range items {
			a := own(it.Auth, auth)
			if it.Item != nil || len(it.Request) == 0 {
				cat := category
				if cat == "" {
					cat = it.Name
				}
				walk(it.Item, cat, a)
				continue
			}
			r := readRequest(it.Request)
			a = own(r.Auth, a)
			method, path := strings.ToUpper(r.method()), relative(requestPath(r.URL), root)
			out = append(out, Route{Category: category, Name: it.Name, Method: method, Path: path, Auth: a,
				Budgets: budgetsFor(method, path)})
		}
	}
	walk(c.Item, "", own(c.Auth, AuthNone))
	return out, nil
}

// own returns the auth type a says, or parent when a is absent, empty or
// "inherit" (what Postman writes for "inherit auth from parent").
func own(a *postmanAuth, parent string) string {
	if a == nil || a.Type == "" || a.Type == "inherit" {
		return parent
	}
	return a.Type
}

// readRequest reads "request", which v2.1 allows to be a bare URL string.
func readRequest(raw json.RawMessage) postmanRequest {
	var r postmanRequest
	if json.Unmarshal(raw, &r) != nil {
		var u string
		if json.Unmarshal(raw, &u) == nil {
			b, _ := json.Marshal(u)
			r = postmanRequest{URL: b}
		}
	}
	return r
}

func (r postmanRequest) method() string {
	if r.Method == "" {
		return http.MethodGet // Postman's default
	}
	return r.Method
}

// requestPath returns the path of a request's url: its "path" segments,
// or the path of "raw" (variables such as {{KYCONNECT_BASE_URL}} dropped).
func requestPath(raw json.RawMessage) string {
	var s string
	var u postmanURL
	switch {
	case json.Unmarshal(raw, &s) == nil:
		u.Raw = s
	case json.Unmarshal(raw, &u) == nil:
		var segs []string
		if json.Unmarshal(u.Path, &segs) == nil && len(segs) > 0 {
			return "/" + strings.Join(segs, "/")
		}
		var one string
		if json.Unmarshal(u.Path, &one) == nil && one != "" {
			return "/" + strings.TrimPrefix(one, "/")
		}
	}
	p := u.Raw
	if i := strings.Index(p, "}}"); strings.HasPrefix(p, "{{") && i > 0 {
		p = p[i+2:]
	} else if pu, err := url.Parse(p); err == nil && pu.Host != "" {
		p = pu.Path
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return "/" + strings.TrimPrefix(p, "/")
}

func relative(p, root string) string {
	if root != "" && (p == root || strings.HasPrefix(p, root+"/")) {
		if rest := strings.TrimPrefix(p, root); rest != "" {
			return rest
		}
		return "/"
	}
	return p
}
