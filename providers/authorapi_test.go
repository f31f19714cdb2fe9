package providers_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authorAPI is the provider-author API: what a provider package is written
// with and a user never needs.
var authorAPI = []string{
	"Spec", "Build", "Core", "Sender", "Sender.Expiry", "Sender.Now", "Sender.Exchange",
	"TokenRules", "ErrorDecoder", "NewError", "Invalid", "Named", "ParseBaseURL",
	"Driver", "NewDriver", "Register",
}

// Rule: go doc tells a user which names are not for them: the package doc
// has a "For provider authors" section linking each provider-author name,
// and each of those names' own document says it is the provider-author API.
func TestGoDocMarksTheProviderAuthorAPI(t *testing.T) {
	p := providersDoc(t)
	section, ok := strings.CutPrefix(p.Doc[strings.Index(p.Doc, "\n# For provider authors\n")+1:], "# For provider authors\n")
	require.True(t, ok, "the package doc has no \"# For provider authors\" section")
	if next := strings.Index(section, "\n# "); next >= 0 {
		section = section[:next]
	}
	docs := map[string]string{}
	funcs := func(fs []*doc.Func, recv string) {
		for _, f := range fs {
			docs[recv+f.Name] = f.Doc
		}
	}
	funcs(p.Funcs, "")
	for _, typ := range p.Types {
		docs[typ.Name] = typ.Doc
		funcs(typ.Funcs, "")
		funcs(typ.Methods, typ.Name+".")
	}
	for _, name := range authorAPI {
		d, ok := docs[name]
		if !assert.True(t, ok, "no %s in package providers", name) {
			continue
		}
		assert.Contains(t, strings.Join(strings.Fields(d), " "), "the provider-author API", "the document of %s", name)
		assert.Contains(t, section, "["+name+"]", "the For provider authors section does not link %s", name)
	}
	// The user side says the opposite: nothing a user calls is marked.
	for _, name := range []string{"Open", "FromEnv", "Client", "Error", "Stats", "Budget", "RawBody", "WithTimeout"} {
		assert.NotContains(t, docs[name], "provider-author API", "%s is user API", name)
	}
}

func providersDoc(t *testing.T) *doc.Package {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/unikyc/unikyc/providers")
	require.NoError(t, err)
	return p
}
