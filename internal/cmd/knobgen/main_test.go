package main

import (
	"bytes"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const root = "../../.."

// Rule: every fake's checked-in knobs_gen.go is what knobgen writes now,
// so providertest.Knobs is the one place the knobs are documented.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	for _, d := range fakes {
		want, err := render(root, d)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, d, FileName)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./...)", d, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./%s (or go run ./internal/cmd/knobgen)", path, d)
		}
	}
}

// Rule: go doc lists every knob and counter under each fake's Server, with
// a document: go/doc (what go doc and pkg.go.dev read) finds each Knobs
// method among Server's own methods.
func TestGoDocListsEveryKnob(t *testing.T) {
	knobs, _, err := readKnobs(filepath.Join(root, "providertest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(knobs) < 30 {
		t.Fatalf("found %d Knobs methods, want the 30 or so documented", len(knobs))
	}
	for _, d := range fakes {
		methods := serverMethods(t, filepath.Join(root, d))
		for _, k := range knobs {
			m, ok := methods[k.name]
			switch {
			case !ok:
				t.Errorf("go doc %s Server.%s: not found", filepath.Base(d), k.name)
			case strings.TrimSpace(m.Doc) == "":
				t.Errorf("go doc %s Server.%s: no document", filepath.Base(d), k.name)
			}
		}
	}
}

// serverMethods reads the package in dir as go doc does and returns the
// methods it documents for Server.
func serverMethods(t *testing.T, dir string) map[string]*doc.Func {
	t.Helper()
	fset := token.NewFileSet()
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/unikyc/unikyc/"+dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*doc.Func{}
	for _, typ := range p.Types {
		if typ.Name == "Server" {
			for _, m := range typ.Methods {
				out[m.Name] = m
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no Server type", dir)
	}
	return out
}
