package providertest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rule: only code for tests imports this package: the provider fakes
// (packages named …test), this module's test harnesses and commands, and
// _test.go files. A library package that imported it would link test
// machinery into every service binary.
func TestOnlyTestCodeImportsIt(t *testing.T) {
	const self = "github.com/unikyc/unikyc/providertest"
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p != self {
				continue
			}
			if strings.HasSuffix(f.Name.Name, "test") || strings.HasPrefix(dir, "../internal/testkit/") || strings.HasPrefix(dir, "../internal/cmd/") {
				continue
			}
			t.Errorf("%s (package %s) imports providertest: only fakes and tests may", path, f.Name.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is the walk rooted at the module?", checked)
	}
}
