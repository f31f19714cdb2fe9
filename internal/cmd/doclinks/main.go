// Command doclinks checks that every doc link in the module's Go doc
// comments resolves. go vet does not check them, and go doc prints a link
// that does not resolve as plain text in brackets, so a renamed or removed
// identifier leaves a stale reference behind. `make lint` runs it.
//
//	go run ./internal/cmd/doclinks        # the module in the current directory
//	go run ./internal/cmd/doclinks DIR    # the module rooted at DIR
//
// A doc link is a name in square brackets, in one of these forms:
//
//	[Name]  [Recv.Name]  [pkg.Name]  [pkg.Recv.Name]  [*pkg.Name]  [import/path.Name]  [import/path]
//
// It reads what go doc shows: the package doc and the docs of exported
// constants, variables, types, functions, methods, struct fields and
// interface methods, test files and examples excepted. A bracketed word
// that cannot be a link (lower case, a number, a space inside) is prose,
// as it is for go doc, and is not reported. Links to other packages are
// checked against those packages' sources: the module's own, the standard
// library's and its dependencies' (found as the go command finds them).
//
// Each link that does not resolve is printed as file:line: message, and
// the command exits 1.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	root := "."
	switch len(os.Args) {
	case 1:
	case 2:
		root = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: doclinks [module-root]")
		os.Exit(2)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doclinks:", err)
		os.Exit(2)
	}
	problems, err := Check(abs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doclinks:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "doclinks: %d doc link(s) do not resolve\n", len(problems))
		os.Exit(1)
	}
}

// errNoModule is returned when the root has no go.mod.
var errNoModule = errors.New("no go.mod at the module root")
