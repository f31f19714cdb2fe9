package all_test

import (
	"context"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// userAPI is what every provider's Client offers besides its typed calls.
type userAPI interface {
	providers.Client
	NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error)
	Do(req *http.Request, operation string, out any) error
	CheckResponse(resp *http.Response) error
	Stats() providers.Stats
	Budgets() []providers.BudgetState
	TokenSource() tokencache.Source
	BaseURL() *url.URL
}

var (
	_ userAPI = (*compliancely.Client)(nil)
	_ userAPI = (*genericjwt.Client)(nil)
	_ userAPI = (*icomply.Client)(nil)
	_ userAPI = (*idenfy.Client)(nil)
	_ userAPI = (*kyconnect.Client)(nil)
)

// userMethods are the methods of userAPI, by name.
var userMethods = func() []string {
	var names []string
	t := reflect.TypeFor[userAPI]()
	for i := range t.NumMethod() {
		names = append(names, t.Method(i).Name)
	}
	return names
}()

// authorMethods are the exported methods of the provider-author types a
// Client is built on that are not user API: Sender's Expiry, Now and
// Exchange today, and whatever is added to Conn or Sender tomorrow.
var authorMethods = func() []string {
	var names []string
	for _, t := range []reflect.Type{reflect.TypeFor[*providers.Core](), reflect.TypeFor[*providers.Sender]()} {
		for i := range t.NumMethod() {
			if n := t.Method(i).Name; !slices.Contains(userMethods, n) && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}()

// Rule: every exported method of Conn and Sender is decided on: user API
// (declared on each Client, by clientgen) or provider-author API. A method
// added to either fails here until it is put in one list or the other.
func TestEveryConnMethodIsClassified(t *testing.T) {
	author := []string{"Exchange", "Expiry", "Now"}
	assert.ElementsMatch(t, author, authorMethods,
		"a new Conn or Sender method: add it to the user API (userAPI and internal/cmd/clientgen) or to this list")
}

var clientTypes = map[string]reflect.Type{
	"compliancely": reflect.TypeFor[*compliancely.Client](),
	"genericjwt":   reflect.TypeFor[*genericjwt.Client](),
	"icomply":      reflect.TypeFor[*icomply.Client](),
	"idenfy":       reflect.TypeFor[*idenfy.Client](),
	"kyconnect":    reflect.TypeFor[*kyconnect.Client](),
}

// Rule: a user's Client reaches the user API and nothing of the
// provider-author API: no Expiry, Now or Exchange, and no exported field
// (an embedded *providers.Core would promote them all).
func TestClientMethodSetIsTheUserAPI(t *testing.T) {
	require.Subset(t, authorMethods, []string{"Expiry", "Now", "Exchange"}, "the author helpers this rule is about")
	require.Equal(t, providers.Drivers(), slices.Sorted(func(yield func(string) bool) {
		for n := range clientTypes {
			if !yield(n) {
				return
			}
		}
	}), "one client type per registered provider")
	for name, pt := range clientTypes {
		for _, m := range authorMethods {
			_, ok := pt.MethodByName(m)
			assert.False(t, ok, "%s.Client has the provider-author method %s", name, m)
		}
		st := pt.Elem()
		for i := range st.NumField() {
			f := st.Field(i)
			assert.False(t, f.IsExported(), "%s.Client has the exported field %s (%s)", name, f.Name, f.Type)
			assert.False(t, f.Anonymous, "%s.Client embeds %s", name, f.Type)
		}
	}
}

// Rule: go doc lists the user API on each provider's Client, each method
// documented, and no provider-author method: the methods are declared on
// the Client, not promoted from another package (which go doc cannot see).
func TestGoDocListsTheUserAPIOnEachClient(t *testing.T) {
	for name := range clientTypes {
		dir := filepath.Join("..", "..", name)
		p := docPackage(t, dir, "github.com/unikyc/unikyc/"+name)
		var client *doc.Type
		for _, typ := range p.Types {
			if typ.Name == "Client" {
				client = typ
			}
		}
		require.NotNil(t, client, "%s: no type Client", name)
		docs := map[string]string{}
		for _, m := range client.Methods {
			docs[m.Name] = m.Doc
		}
		for _, m := range userMethods {
			d, ok := docs[m]
			if assert.True(t, ok, "go doc %s Client.%s finds nothing", name, m) {
				assert.True(t, strings.HasPrefix(d, m+" "), "%s Client.%s is not documented: %q", name, m, d)
			}
		}
		for _, m := range authorMethods {
			assert.NotContains(t, docs, m, "go doc %s Client shows the provider-author method %s", name, m)
		}
		spec := client.Decl.Specs[0].(*ast.TypeSpec)
		for _, f := range spec.Type.(*ast.StructType).Fields.List {
			assert.NotEmpty(t, f.Names, "%s.Client embeds a field: go doc would not list its methods", name)
		}
	}
}

// Rule: the user API works on a client a program opened by name: the
// methods reach the client's own pipeline.
func TestUserAPIReachesThePipeline(t *testing.T) {
	cases := []struct {
		name   string
		cfg    any
		tokens bool // TokenSource is a cache
	}{
		{"compliancely", compliancely.Config{BaseURL: "https://c.example.com/v/", Username: "u", Password: "p"}, true},
		{"genericjwt", genericjwt.Config{BaseURL: "https://g.example.com/v/", Username: "u", Password: "p"}, true},
		{"icomply", icomply.Config{BaseURL: "https://i.example.com/v/", Username: "u", Password: "p"}, true},
		{"icomply", icomply.Config{BaseURL: "https://i.example.com/v/", APIKey: "k"}, false},
		{"idenfy", idenfy.Config{BaseURL: "https://d.example.com/v/", APIKey: "k", APISecret: "s"}, false},
		{"kyconnect", kyconnect.Config{BaseURL: "https://k.example.com/v/", Email: "a@b.c", Password: "p"}, true},
		{"kyconnect", kyconnect.Config{BaseURL: "https://k.example.com/v/", APIKey: "k"}, false},
	}
	for _, tc := range cases {
		pc, err := providers.Open(tc.name, tc.cfg)
		require.NoError(t, err, tc.name)
		c := pc.(userAPI)
		assert.Equal(t, tc.name, c.Name())
		base := c.BaseURL()
		assert.Equal(t, "/v", base.Path, "%s: the Config's base URL, without the trailing slash", tc.name)
		base.Path = "/changed"
		assert.Equal(t, "/v", c.BaseURL().Path, "%s: BaseURL is a copy", tc.name)

		req, err := c.NewRequest(context.Background(), http.MethodGet, "/cases/a%2Fb?x=1", nil)
		require.NoError(t, err)
		assert.Equal(t, "https://"+base.Host+"/v/cases/a%2Fb?x=1", req.URL.String(), tc.name)
		assert.Equal(t, providers.UserAgent, req.Header.Get("User-Agent"), tc.name)

		assert.Same(t, c.HTTPClient(), c.HTTPClient(), "%s: one shared http.Client", tc.name)
		assert.NotNil(t, c.HTTPClient().Transport, tc.name)
		assert.Equal(t, tc.tokens, c.TokenSource() != nil, "%s: TokenSource", tc.name)
		assert.Equal(t, providers.Stats{}, c.Stats(), "%s: nothing sent yet", tc.name)

		resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{},
			Body: http.NoBody, Request: req}
		err = c.CheckResponse(resp)
		var pe *providers.Error
		if assert.ErrorAs(t, err, &pe, tc.name) {
			assert.Equal(t, tc.name, pe.Provider)
		}
		assert.ErrorIs(t, err, providers.ErrNotFound, tc.name)

		require.NoError(t, c.Close())
		require.NoError(t, c.Close(), "%s: Close twice", tc.name)
		err = c.Do(req, "GetCase", nil)
		assert.ErrorIs(t, err, providers.ErrClosed, "%s: nothing is sent after Close", tc.name)
	}
	c, err := idenfy.New(idenfy.Config{APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	defer c.Close()
	budgets := c.Budgets()
	require.Len(t, budgets, 1)
	assert.Equal(t, idenfy.DocumentedBudget, budgets[0].Budget, "idenfy's documented budget")
	assert.True(t, budgets[0].Live, "the default limiter reports its state")
	assert.Equal(t, idenfy.DocumentedBudget.Limit, budgets[0].Remaining, "nothing sent yet")
}

// docPackage is go doc's view of the package in dir: its non-test files.
func docPackage(t *testing.T, dir, importPath string) *doc.Package {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files, dir)
	p, err := doc.NewFromFiles(fset, files, importPath)
	require.NoError(t, err)
	return p
}
