// Command benchreport runs the module's benchmarks in interleaved rounds
// and writes BENCHMARKS.md: each benchmark against its baseline as a ratio
// with its spread, the cost as the work grows, the machine, and how to
// reproduce. `make bench` runs it.
//
// Rounds are interleaved (every benchmark once, then again, -count
// times) rather than -count runs of one benchmark in a row, so that a
// burst of load on a shared machine hits a benchmark and its baseline
// alike; ratios are taken round by round.
//
//	go run ./internal/cmd/benchreport -count 6 -benchtime 1s -raw bench.txt -out BENCHMARKS.md
//	go run ./internal/cmd/benchreport -in bench.txt -out BENCHMARKS.md   # report from earlier output
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const module = "github.com/unikyc/unikyc"

func main() {
	var (
		count     = flag.Int("count", 6, "interleaved rounds")
		benchtime = flag.String("benchtime", "1s", "go test -benchtime of each run")
		bench     = flag.String("bench", ".", "go test -bench pattern")
		pkgs      = flag.String("pkgs", "./...", "packages to look for benchmarks in")
		in        = flag.String("in", "", "read go test -bench output from this file instead of running")
		raw       = flag.String("raw", "bench.txt", "where to write the raw output of the runs")
		out       = flag.String("out", "BENCHMARKS.md", "the report")
	)
	flag.Parse()
	log.SetFlags(0)

	var run Run
	var data []byte
	if *in != "" {
		var err error
		if data, err = os.ReadFile(*in); err != nil {
			log.Fatal(err)
		}
		run.FromFile = *in
		readMeta(data, &run)
	} else {
		run = Run{Count: *count, Benchtime: *benchtime, Started: time.Now()}
		data = runRounds(&run, *pkgs, *bench)
		if err := os.WriteFile(*raw, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	res, err := Parse(bytes.NewReader(data), module)
	if err != nil {
		log.Fatal(err)
	}
	if len(res.Benches) == 0 {
		log.Fatal("benchreport: no benchmark results")
	}
	run.Machine = describeMachine(res.CPU)
	var buf bytes.Buffer
	Write(&buf, res, &run)
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("benchreport: %d benchmarks, %d pairs, report in %s", len(res.Benches), len(Pairs(res)), *out)
}

// Run describes how the results were obtained.
type Run struct {
	Count     int
	Benchtime string
	Started   time.Time
	Took      time.Duration
	FromFile  string   `json:"-"`
	Load      []string // load average before, between rounds, after
	Commit    string
	Machine   [][2]string `json:"-"`
}

// runRounds compiles each package that has benchmarks once, then runs
// every binary once per round.
func runRounds(run *Run, pkgs, bench string) []byte {
	run.Commit = strings.TrimSpace(output("git", "describe", "--always", "--dirty"))
	tmp, err := os.MkdirTemp("", "benchreport")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	type bin struct{ path, dir, importPath string }
	var bins []bin
	for _, p := range benchPackages(pkgs) {
		path := filepath.Join(tmp, strings.ReplaceAll(p.importPath, "/", "_")+".test")
		cmd := exec.Command("go", "test", "-c", "-o", path, p.importPath)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("benchreport: building %s: %v", p.importPath, err)
		}
		bins = append(bins, bin{path, p.dir, p.importPath})
	}
	var all bytes.Buffer
	run.Load = append(run.Load, loadavg())
	for round := 1; round <= run.Count; round++ {
		for _, b := range bins {
			log.Printf("benchreport: round %d/%d: %s", round, run.Count, b.importPath)
			cmd := exec.Command(b.path, "-test.run", "^$", "-test.bench", bench, "-test.benchmem",
				"-test.benchtime", run.Benchtime, "-test.count", "1")
			cmd.Dir = b.dir
			cmd.Stderr = os.Stderr
			o, err := cmd.Output()
			if err != nil {
				os.Stderr.Write(o)
				log.Fatalf("benchreport: %s: %v", b.importPath, err)
			}
			if !bytes.Contains(o, []byte("pkg: ")) {
				fmt.Fprintf(&all, "pkg: %s\n", b.importPath)
			}
			all.Write(o)
		}
		run.Load = append(run.Load, loadavg())
	}
	run.Took = time.Since(run.Started)
	meta, _ := json.Marshal(run)
	return append([]byte(metaPrefix+string(meta)+"\n"), all.Bytes()...)
}

// metaPrefix starts the line of the raw output that records how it was
// obtained, so that a report made again from it (-in) says the same.
const metaPrefix = "# benchreport: "

func readMeta(data []byte, run *Run) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if m, ok := bytes.CutPrefix(line, []byte(metaPrefix)); ok {
		_ = json.Unmarshal(m, run)
	}
}

type pkg struct{ importPath, dir string }

// benchPackages lists the packages under pattern whose tests declare a
// benchmark.
func benchPackages(pattern string) []pkg {
	list := output("go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \" \"}} {{join .XTestGoFiles \" \"}}", pattern)
	var out []pkg
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 3)
		if len(f) < 3 {
			continue
		}
		for _, file := range strings.Fields(f[2]) {
			data, err := os.ReadFile(filepath.Join(f[1], file))
			if err == nil && bytes.Contains(data, []byte("\nfunc Benchmark")) {
				out = append(out, pkg{f[0], f[1]})
				break
			}
		}
	}
	return out
}

func output(name string, args ...string) string {
	o, err := exec.Command(name, args...).Output()
	if err != nil {
		log.Printf("benchreport: %s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(o)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeMachine returns what the report says about the machine.
func describeMachine(cpuLine string) [][2]string {
	env := strings.Fields(output("go", "env", "GOVERSION", "GOOS", "GOARCH"))
	for len(env) < 3 {
		env = append(env, "?")
	}
	cpu := cpuLine
	if cpu == "" {
		cpu = procField("/proc/cpuinfo", "model name")
	}
	nproc := strings.TrimSpace(output("nproc"))
	return [][2]string{
		{"Go", env[0] + " " + env[1] + "/" + env[2]},
		{"CPU", cpu},
		{"CPUs (nproc, GOMAXPROCS)", nproc},
		{"Memory", procField("/proc/meminfo", "MemTotal")},
		{"Kernel", strings.TrimSpace(output("uname", "-sr"))},
	}
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
