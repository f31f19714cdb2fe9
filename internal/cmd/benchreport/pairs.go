package main

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Pair is a benchmark measured against its baseline.
type Pair struct {
	Candidate, Baseline *Bench
}

// Baselines names the sub-benchmarks that are baselines by themselves:
// what unikyc is measured against (a bare http.Client, oauth2), and the
// local side of fleet mode's local-against-Redis pairs.
var Baselines = map[string]bool{
	"bare": true, "oauth2.Transport": true, "oauth2.ReuseTokenSource": true,
	"local": true, "memory": true,
}

// Pairs finds every benchmark that has a baseline, by naming convention,
// among the sub-benchmarks of one parent: one named "unikyc" is measured
// against each sibling (its baselines: "bare", "oauth2.Transport", …);
// otherwise one named "baseline=…" or listed in Baselines ("local",
// "memory") is the baseline of each sibling ("shared", "redis").
func Pairs(r *Results) []Pair {
	groups := map[string][]*Bench{}
	var parents []string
	for _, b := range r.Benches {
		parent, _ := split(b.Name)
		key := b.Pkg + "." + parent
		if _, ok := groups[key]; !ok {
			parents = append(parents, key)
		}
		groups[key] = append(groups[key], b)
	}
	var out []Pair
	for _, key := range parents {
		g := groups[key]
		var cand, base *Bench
		for _, b := range g {
			_, leaf := split(b.Name)
			switch {
			case leaf == "unikyc":
				cand = b
			case base == nil && (strings.HasPrefix(leaf, "baseline=") || Baselines[leaf]):
				base = b
			}
		}
		for _, b := range g {
			switch {
			case cand != nil && b != cand:
				out = append(out, Pair{Candidate: cand, Baseline: b})
			case cand == nil && base != nil && b != base:
				out = append(out, Pair{Candidate: b, Baseline: base})
			}
		}
	}
	return out
}

// Ratio is the candidate's ns/op over the baseline's, per round (the runs
// are interleaved, so round i of both ran under the same load), as a
// median and its largest deviation.
func (p Pair) Ratio() (float64, float64) {
	n := min(len(p.Candidate.Samples), len(p.Baseline.Samples))
	rs := make([]float64, 0, n)
	for i := range n {
		if b := p.Baseline.Samples[i].NsOp; b > 0 {
			rs = append(rs, p.Candidate.Samples[i].NsOp/b)
		}
	}
	return median(rs)
}

// Series is one benchmark measured at growing sizes: the same name but
// for one "key=N" element.
type Series struct {
	Name   string // with the element written "key=N"
	Key    string // "goroutines", "replicas"
	Sizes  []int
	Points []*Bench
}

var sizeElem = regexp.MustCompile(`^([A-Za-z_]+)=(\d+)$`)

// Scaling finds every series of at least two sizes.
func Scaling(r *Results) []Series {
	byName := map[string]*Series{}
	var names []string
	for _, b := range r.Benches {
		parts := strings.Split(b.Name, "/")
		for i, p := range parts {
			m := sizeElem.FindStringSubmatch(p)
			if m == nil {
				continue
			}
			n, _ := strconv.Atoi(m[2])
			generic := append(append(append([]string(nil), parts[:i]...), m[1]+"=N"), parts[i+1:]...)
			name := b.Pkg + "." + strings.Join(generic, "/")
			s := byName[name]
			if s == nil {
				s = &Series{Name: name, Key: m[1]}
				byName[name] = s
				names = append(names, name)
			}
			s.Sizes = append(s.Sizes, n)
			s.Points = append(s.Points, b)
		}
	}
	var out []Series
	for _, name := range names {
		s := byName[name]
		if len(s.Sizes) < 2 {
			continue
		}
		sort.Sort(bySize{s})
		out = append(out, *s)
	}
	return out
}

type bySize struct{ s *Series }

func (b bySize) Len() int           { return len(b.s.Sizes) }
func (b bySize) Less(i, j int) bool { return b.s.Sizes[i] < b.s.Sizes[j] }
func (b bySize) Swap(i, j int) {
	b.s.Sizes[i], b.s.Sizes[j] = b.s.Sizes[j], b.s.Sizes[i]
	b.s.Points[i], b.s.Points[j] = b.s.Points[j], b.s.Points[i]
}

// split returns a benchmark name's parent and last element.
func split(name string) (string, string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}
