package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Rule: every provider's checked-in client_gen.go is what clientgen writes
// now, so the template is the one place the user API is declared.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	for _, p := range providers {
		want, err := render(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "..", p.Package, FileName)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./...)", p.Package, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./%s (or go run ./internal/cmd/clientgen)", path, p.Package)
		}
	}
}

// Rule: the table has exactly the providers package all registers.
func TestTableHasEveryProvider(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "..", "providers", "all", "all.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var registered, table []string
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		registered = append(registered, strings.TrimPrefix(path, "github.com/unikyc/unikyc/"))
	}
	for _, p := range providers {
		table = append(table, p.Package)
	}
	slices.Sort(registered)
	slices.Sort(table)
	if !slices.Equal(registered, table) {
		t.Errorf("providers/all registers %v, the table has %v", registered, table)
	}
}
