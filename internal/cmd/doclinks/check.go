package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is a doc link that does not resolve.
type Problem struct {
	Pos  token.Position // the comment line that holds the link
	Link string         // the link as written, brackets included
	Why  string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: doc link %s does not resolve: %s", p.Pos.Filename, p.Pos.Line, p.Link, p.Why)
}

// Check reads every package of the module rooted at root (nested modules,
// testdata, node_modules and directories starting with "." or "_" are
// skipped, as the go command skips them) and returns its doc links that
// do not resolve, with file names relative to root.
func Check(root string) ([]Problem, error) {
	modPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	c := &checker{root: root, modPath: modPath, fset: token.NewFileSet(), pkgs: map[string]map[string]bool{}}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root {
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		return c.checkDir(path)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(c.problems, func(a, b Problem) int {
		if a.Pos.Filename != b.Pos.Filename {
			return strings.Compare(a.Pos.Filename, b.Pos.Filename)
		}
		return a.Pos.Line - b.Pos.Line
	})
	return c.problems, nil
}

// modulePath reads the module line of a go.mod.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", errNoModule
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

type checker struct {
	root     string
	modPath  string
	fset     *token.FileSet
	pkgs     map[string]map[string]bool // import path → its exported symbols (nil: not found)
	problems []Problem
}

// checkDir checks the doc comments of the package (or packages: a
// directory may hold an ignored main) in dir.
func (c *checker) checkDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	byPkg := map[string][]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(c.fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		byPkg[f.Name.Name] = append(byPkg[f.Name.Name], f)
	}
	rel, err := filepath.Rel(c.root, dir)
	if err != nil {
		return err
	}
	importPath := c.modPath
	if rel != "." {
		importPath += "/" + filepath.ToSlash(rel)
	}
	for _, files := range byPkg {
		p, err := doc.NewFromFiles(c.fset, files, importPath, doc.PreserveAST)
		if err != nil {
			return err
		}
		c.checkPackage(p, files)
	}
	return nil
}

// checkPackage checks the comments go doc shows for p.
func (c *checker) checkPackage(p *doc.Package, files []*ast.File) {
	syms := symbols(p)
	seen := map[*ast.CommentGroup]bool{}
	check := func(cg *ast.CommentGroup) {
		if cg == nil || seen[cg] {
			return
		}
		seen[cg] = true
		c.checkComment(p, syms, cg)
	}
	for _, f := range files {
		check(f.Doc)
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			check(v.Decl.Doc)
		}
	}
	funcs := func(fs []*doc.Func) {
		for _, f := range fs {
			if f.Decl != nil {
				check(f.Decl.Doc)
			}
		}
	}
	values(p.Consts)
	values(p.Vars)
	funcs(p.Funcs)
	for _, t := range p.Types {
		check(t.Decl.Doc)
		for _, s := range t.Decl.Specs {
			spec, ok := s.(*ast.TypeSpec)
			if !ok || spec.Name.Name != t.Name {
				continue
			}
			check(spec.Doc)
			var fields *ast.FieldList
			switch st := spec.Type.(type) {
			case *ast.StructType:
				fields = st.Fields
			case *ast.InterfaceType:
				fields = st.Methods
			}
			if fields == nil {
				continue
			}
			for _, fld := range fields.List {
				if exported(fld) {
					check(fld.Doc)
				}
			}
		}
		values(t.Consts)
		values(t.Vars)
		funcs(t.Funcs)
		funcs(t.Methods)
	}
}

// exported reports whether go doc shows the field: a named exported one,
// or an embedded one.
func exported(f *ast.Field) bool {
	if len(f.Names) == 0 {
		return true
	}
	for _, n := range f.Names {
		if n.IsExported() {
			return true
		}
	}
	return false
}

// checkComment parses cg as go doc does and checks its links: those the
// parser made (the symbol or package must exist) and bracketed names it
// left as plain text (it could not resolve them).
func (c *checker) checkComment(p *doc.Package, syms map[string]bool, cg *ast.CommentGroup) {
	pr := p.Parser()
	// go/doc links struct fields and interface methods from Go 1.26 on;
	// resolve them on every Go the module supports.
	pr.LookupSym = func(recv, name string) bool {
		if recv != "" {
			name = recv + "." + name
		}
		return syms[name]
	}
	d := pr.Parse(cg.Text())
	walkText := func(ts []comment.Text) {
		for _, t := range ts {
			switch t := t.(type) {
			case *comment.DocLink:
				if why := c.resolve(p, syms, t); why != "" {
					c.report(cg, docLinkText(t), why)
				}
			case comment.Plain:
				for _, m := range unresolved(string(t)) {
					c.report(cg, m, whyPlain(p, m))
				}
			}
		}
	}
	var walkBlocks func([]comment.Block)
	walkBlocks = func(bs []comment.Block) {
		for _, b := range bs {
			switch b := b.(type) {
			case *comment.Paragraph:
				walkText(b.Text)
			case *comment.Heading:
				walkText(b.Text)
			case *comment.List:
				for _, it := range b.Items {
					walkBlocks(it.Content)
				}
			}
		}
	}
	walkBlocks(d.Content)
}

// resolve returns why l does not resolve, or "".
func (c *checker) resolve(p *doc.Package, syms map[string]bool, l *comment.DocLink) string {
	sym := l.Name
	if l.Recv != "" {
		sym = l.Recv + "." + l.Name
	}
	if l.ImportPath == "" || l.ImportPath == p.ImportPath { // this package
		if sym != "" && !syms[sym] {
			return fmt.Sprintf("package %s has no exported %s", p.Name, sym)
		}
		return ""
	}
	other := c.load(l.ImportPath)
	switch {
	case other == nil:
		return fmt.Sprintf("no package %s", l.ImportPath)
	case sym != "" && !other[sym]:
		return fmt.Sprintf("package %s has no exported %s", l.ImportPath, sym)
	}
	return ""
}

// load returns the exported symbols of the package at importPath, or nil
// when it cannot be found.
func (c *checker) load(importPath string) map[string]bool {
	if s, ok := c.pkgs[importPath]; ok {
		return s
	}
	c.pkgs[importPath] = nil
	var dir string
	if rest, ok := strings.CutPrefix(importPath, c.modPath); ok && (rest == "" || rest[0] == '/') {
		dir = filepath.Join(c.root, filepath.FromSlash(strings.TrimPrefix(rest, "/")))
	} else {
		bp, err := build.Default.Import(importPath, c.root, build.FindOnly)
		if err != nil {
			return nil
		}
		dir = bp.Dir
	}
	bp, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		return nil
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, name := range slices.Concat(bp.GoFiles, bp.CgoFiles, bp.IgnoredGoFiles) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil || f.Name.Name != bp.Name {
			continue // a file of another package (an ignored main), or broken
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	p, err := doc.NewFromFiles(fset, files, importPath)
	if err != nil {
		return nil
	}
	c.pkgs[importPath] = symbols(p)
	return c.pkgs[importPath]
}

// symbols returns what a doc link may name in p, as go/doc collects it:
// exported constants, variables, types, functions, "Type.Method" and
// "Type.Field" (interface methods and struct fields included).
func symbols(p *doc.Package) map[string]bool {
	s := map[string]bool{}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				s[n] = true
			}
		}
	}
	funcs := func(fs []*doc.Func) {
		for _, f := range fs {
			if f.Recv == "" {
				s[f.Name] = true
				continue
			}
			r := strings.TrimPrefix(f.Recv, "*")
			if i := strings.IndexByte(r, '['); i >= 0 {
				r = r[:i]
			}
			s[r+"."+f.Name] = true
		}
	}
	values(p.Consts)
	values(p.Vars)
	funcs(p.Funcs)
	for _, t := range p.Types {
		s[t.Name] = true
		values(t.Consts)
		values(t.Vars)
		funcs(t.Funcs)
		funcs(t.Methods)
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != t.Name {
				continue
			}
			var fields *ast.FieldList
			switch st := ts.Type.(type) {
			case *ast.StructType:
				fields = st.Fields
			case *ast.InterfaceType:
				fields = st.Methods
			}
			if fields == nil {
				continue
			}
			for _, f := range fields.List {
				for _, n := range f.Names {
					s[t.Name+"."+n.Name] = true
				}
			}
		}
	}
	return s
}

// bracketed matches a bracketed word with no space in it.
var bracketed = regexp.MustCompile(`\[[^\[\]\s]+\]`)

// linkShape is what go/doc/comment would take for a doc link: an optional
// *, then an optional package (a name or an import path) and receiver, and
// a capitalized name; or an import path alone.
var (
	linkShape = regexp.MustCompile(`^\*?(?:[A-Za-z0-9_.~/-]+\.)?[A-Z][A-Za-z0-9_]*$`)
	pathShape = regexp.MustCompile(`^[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)+$`)
)

// unresolved returns the bracketed names in plain text that have the shape
// of a doc link and stand where one may (after and before punctuation,
// space or the line's end): the parser left them as text, so they did not
// resolve.
func unresolved(s string) []string {
	var out []string
	for _, loc := range bracketed.FindAllStringIndex(s, -1) {
		text := s[loc[0]+1 : loc[1]-1]
		if !linkShape.MatchString(text) && !pathShape.MatchString(text) {
			continue
		}
		if before := s[:loc[0]]; before != "" {
			r, _ := utf8.DecodeLastRuneInString(before)
			if !unicode.IsPunct(r) && !unicode.IsSpace(r) {
				continue
			}
		}
		if after := s[loc[1]:]; after != "" {
			r, _ := utf8.DecodeRuneInString(after)
			if !unicode.IsPunct(r) && !unicode.IsSpace(r) {
				continue
			}
		}
		out = append(out, s[loc[0]:loc[1]])
	}
	return out
}

// whyPlain explains a bracketed name the parser did not link, split as
// go/doc/comment splits it: [Name], [Recv.Name], [pkg.Name],
// [pkg.Recv.Name].
func whyPlain(p *doc.Package, link string) string {
	text := strings.TrimPrefix(strings.Trim(link, "[]"), "*")
	before, name, ok := strings.Cut(text, ".")
	if i := strings.LastIndex(text, "."); i >= 0 {
		before, name, ok = text[:i], text[i+1:], true
	}
	if !ok {
		if pathShape.MatchString(text) {
			return "not a valid import path"
		}
		return fmt.Sprintf("package %s has no exported %s", p.Name, text)
	}
	pkg, recv := before, ""
	if i := strings.LastIndex(before, "."); !strings.Contains(before[i+1:], "/") && isCapitalized(before[i+1:]) {
		pkg, recv = before[:max(i, 0)], before[i+1:]
	}
	if pkg == "" {
		return fmt.Sprintf("package %s has no exported %s.%s", p.Name, recv, name)
	}
	return fmt.Sprintf("%s is not a package imported here nor a standard library package", pkg)
}

func isCapitalized(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// docLinkText writes l back as it was written (up to the package's name).
func docLinkText(l *comment.DocLink) string {
	var b strings.Builder
	b.WriteByte('[')
	for _, t := range l.Text {
		if p, ok := t.(comment.Plain); ok {
			b.WriteString(string(p))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// report records a problem at the line of cg that holds link.
func (c *checker) report(cg *ast.CommentGroup, link, why string) {
	pos := cg.Pos()
	for _, cm := range cg.List {
		if strings.Contains(cm.Text, link) {
			pos = cm.Pos()
			break
		}
	}
	position := c.fset.Position(pos)
	if rel, err := filepath.Rel(c.root, position.Filename); err == nil {
		position.Filename = rel
	}
	c.problems = append(c.problems, Problem{Pos: position, Link: link, Why: why})
}
