package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeModule writes files (path → content) under a new module root.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.24\n"
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

func messages(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// Rule: a link to a name that exists resolves; one to a removed name is
// reported at its line, with why.
func TestReportsEveryLinkThatDoesNotResolve(t *testing.T) {
	root := writeModule(t, map[string]string{
		"m.go": `// Package m uses [Limiter] at [DefaultRate] and [Limiter.Wait].
//
// Other packages: [fmt.Stringer], [strings.Builder.WriteString],
// [fmt.Gone], [sub.Thing], [sub.Gone], [*sub.Thing],
// [example.com/m/sub], [example.com/m/nope.Thing], [Limiter.Gone],
// [Limiter.Burst], [nosuchpkg.Thing].
//
// Prose, never links: [optional], [0], map[string]int, x[Limiter], [a b].
//
//	code [Missing] in a code block
package m

import "example.com/m/sub"

// Limiter is [sub.Thing]'s limiter; see [DefaultBurst].
type Limiter struct {
	// Burst is [Missing2].
	Burst int
	// hidden is not shown by go doc: [Missing3].
	hidden int
}

// Wait waits; see [Limiter.Wait] and [Waiter.Wait].
func (l *Limiter) Wait() { _ = sub.Thing{}; _ = l.hidden }

// Waiter has a method with a doc: [Waiter.Gone].
type Waiter interface {
	// Wait is [Missing4].
	Wait()
}

// helper is not shown by go doc: [Missing5].
func helper() {}
`,
		"m_test.go":       "package m\n\n// TestX is a test: [Missing6].\nfunc TestX() {}\n",
		"sub/sub.go":      "// Package sub has [Thing].\npackage sub\n\n// Thing is a thing.\ntype Thing struct{}\n",
		"testdata/x/x.go": "// Package x is test data: [Missing7].\npackage x\n",
		"_tools/t.go":     "// Package t is ignored by the go command: [Missing8].\npackage t\n",
	})
	ps, err := Check(root)
	require.NoError(t, err)
	got := messages(ps)
	assert.Equal(t, []string{
		"m.go:1: doc link [DefaultRate] does not resolve: package m has no exported DefaultRate",
		"m.go:4: doc link [fmt.Gone] does not resolve: package fmt has no exported Gone",
		"m.go:4: doc link [sub.Gone] does not resolve: package example.com/m/sub has no exported Gone",
		"m.go:5: doc link [example.com/m/nope.Thing] does not resolve: no package example.com/m/nope",
		"m.go:5: doc link [Limiter.Gone] does not resolve: package m has no exported Limiter.Gone",
		"m.go:6: doc link [nosuchpkg.Thing] does not resolve: nosuchpkg is not a package imported here nor a standard library package",
		"m.go:15: doc link [DefaultBurst] does not resolve: package m has no exported DefaultBurst",
		"m.go:17: doc link [Missing2] does not resolve: package m has no exported Missing2",
		"m.go:26: doc link [Waiter.Gone] does not resolve: package m has no exported Waiter.Gone",
		"m.go:28: doc link [Missing4] does not resolve: package m has no exported Missing4",
	}, got)
	for _, m := range got {
		for _, never := range []string{"Missing3", "Missing5", "Missing6", "Missing7", "Missing8", "[Missing]", "optional", "[0]"} {
			assert.NotContains(t, m, never)
		}
	}
}

// Rule: a module whose links all resolve has nothing to report.
func TestCleanModule(t *testing.T) {
	root := writeModule(t, map[string]string{
		"m.go": "// Package m has [T], [T.M], [fmt.Stringer] and [example.com/m].\npackage m\n\n// T is a type; [T.M].\ntype T struct{}\n\n// M is a method.\nfunc (T) M() {}\n",
	})
	ps, err := Check(root)
	require.NoError(t, err)
	assert.Empty(t, ps)
}

// Rule: the checker needs a module root.
func TestNoModule(t *testing.T) {
	_, err := Check(t.TempDir())
	assert.ErrorIs(t, err, errNoModule)
}
