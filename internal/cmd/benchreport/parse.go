package main

import (
	"bufio"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Sample is one result line of one benchmark.
type Sample struct {
	NsOp, BytesOp, AllocsOp float64
	HasMem                  bool
}

// Bench is every sample of one benchmark, in the order of the rounds.
type Bench struct {
	Pkg     string // short package path, e.g. "tokencache"
	Name    string // "BenchmarkCachedToken/unikyc", without the -GOMAXPROCS suffix
	Samples []Sample
}

// Key names a benchmark across packages.
func (b *Bench) Key() string { return b.Pkg + "." + b.Name }

// Results are the parsed benchmarks and the header lines go test printed.
type Results struct {
	Benches []*Bench
	CPU     string
	byKey   map[string]*Bench
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads go test -bench output (any number of runs, concatenated).
func Parse(r io.Reader, module string) (*Results, error) {
	res := &Results{byKey: map[string]*Bench{}}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(line[5:]), module), "/")
		case strings.HasPrefix(line, "cpu: "):
			res.CPU = strings.TrimSpace(line[5:])
		case strings.HasPrefix(line, "Benchmark"):
			name, s, ok := parseLine(line)
			if !ok {
				continue
			}
			b := res.byKey[pkg+"."+name]
			if b == nil {
				b = &Bench{Pkg: pkg, Name: name}
				res.byKey[b.Key()] = b
				res.Benches = append(res.Benches, b)
			}
			b.Samples = append(b.Samples, s)
		}
	}
	return res, sc.Err()
}

// parseLine reads "BenchmarkX/y-2  1000  12.5 ns/op  0 B/op  0 allocs/op".
func parseLine(line string) (string, Sample, bool) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return "", Sample{}, false
	}
	var s Sample
	found := false
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", Sample{}, false
		}
		switch f[i+1] {
		case "ns/op":
			s.NsOp, found = v, true
		case "B/op":
			s.BytesOp, s.HasMem = v, true
		case "allocs/op":
			s.AllocsOp = v
		}
	}
	return procsSuffix.ReplaceAllString(f[0], ""), s, found
}

// Get returns the benchmark with key, or nil.
func (r *Results) Get(key string) *Bench { return r.byKey[key] }

// median returns the median of xs and the largest deviation from it as a
// fraction of it: benchstat's "± x%" in its simplest form.
func median(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if m == 0 {
		return 0, 0
	}
	dev := max(m-s[0], s[len(s)-1]-m)
	return m, dev / m
}

func (b *Bench) field(f func(Sample) float64) []float64 {
	out := make([]float64, len(b.Samples))
	for i, s := range b.Samples {
		out[i] = f(s)
	}
	return out
}

func nsOp(s Sample) float64     { return s.NsOp }
func bytesOp(s Sample) float64  { return s.BytesOp }
func allocsOp(s Sample) float64 { return s.AllocsOp }
