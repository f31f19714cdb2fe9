# unikyc — developer commands. Everything runs with only Go installed;
# linters are pinned and fetched through the Go module proxy.

GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT     := golang.org/x/perf/cmd/benchstat@latest
PKGS          := ./...
BENCHTIME     ?= 1s
BENCHCOUNT    ?= 6
FUZZTIME      ?= 10s

.PHONY: test lint bench cover fuzz vet fmt quickstart

## test: every test, examples included, under the race detector
test:
	$(GO) test -race -count=1 $(PKGS)

## lint: gofmt, go vet and staticcheck (pinned)
lint: fmt vet
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

## bench: every benchmark, BENCHCOUNT runs each, in bench.txt
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS) | tee bench.txt

## cover: coverage profile and per-function summary
cover:
	$(GO) test -race -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1

## fuzz: each fuzz target for FUZZTIME
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/retryafter
	$(GO) test -run '^$$' -fuzz '^FuzzExpiry$$' -fuzztime $(FUZZTIME) ./internal/jwtexp

## quickstart: the main job, against the built-in fake providers
quickstart:
	$(GO) run ./examples/quickstart
