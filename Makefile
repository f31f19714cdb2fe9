# unikyc — developer commands. Everything runs with only Go installed;
# linters are pinned and fetched through the Go module proxy.

GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT     := golang.org/x/perf/cmd/benchstat@latest
PKGS          := ./...
BENCHTIME     ?= 1s
BENCHCOUNT    ?= 6
FUZZTIME      ?= 10s
SOAKREQUESTS  ?= 20000

# Every fuzz target, as package:Target. Their seed corpora
# (testdata/fuzz/<Target>/) run in every `make test`.
FUZZ_TARGETS := \
	./internal/retryafter:FuzzParse \
	./internal/jwtexp:FuzzExpiry \
	./internal/jwtexp:FuzzLifetime \
	./genericjwt:FuzzDecodeError \
	./genericjwt:FuzzTokenAnswer \
	./icomply:FuzzDecodeError \
	./icomply:FuzzTokenAnswer \
	./icomply:FuzzVerifyWebhook \
	./idenfy:FuzzDecodeError \
	./idenfy:FuzzKYBValidate \
	./idenfy:FuzzVerifyWebhook \
	./idenfy:FuzzWebhookDecode \
	./compliancely:FuzzDecodeError \
	./compliancely:FuzzTokenAnswer \
	./compliancely:FuzzWebhook \
	./kyconnect:FuzzDecodeError \
	./kyconnect:FuzzTokenAnswer \
	./providers:FuzzErrorText \
	./webhook:FuzzReceiver \
	./tokencache/filestore:FuzzDecodeFile

.PHONY: test test-floor lint doclinks bench cover fuzz soak vet fmt quickstart integration

## test: every test, examples included, under the race detector
test:
	$(GO) test -race -count=1 $(PKGS)

## test-floor: every test again on the oldest Go the module supports (the
## go line of go.mod), a toolchain the module proxy serves
GO_FLOOR := go$(shell awk '$$1 == "go" { print $$2; exit }' go.mod)
test-floor:
	GOTOOLCHAIN=$(GO_FLOOR) $(GO) version
	GOTOOLCHAIN=$(GO_FLOOR) $(MAKE) test

## integration: the library against servers built on the providers' real
## frameworks (DRF + SimpleJWT, FastAPI, NestJS); see integration/doc.go.
## Needs the Debian packages and node that .ci/run installs.
INTEGRATION_NPM := integration/kyconnect/node_modules/.package-lock.json
integration: $(INTEGRATION_NPM)
	$(GO) vet -tags integration ./integration/...
	$(GO) test -race -count=1 -timeout 10m -tags integration ./integration/...

$(INTEGRATION_NPM): integration/kyconnect/package.json integration/kyconnect/package-lock.json
	cd integration/kyconnect && npm ci --no-audit --no-fund

## lint: gofmt, go vet, staticcheck (pinned) and doc links that do not
## resolve (internal/cmd/doclinks)
lint: fmt vet doclinks
	$(GO) run $(STATICCHECK) $(PKGS)

doclinks:
	$(GO) run ./internal/cmd/doclinks

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

## bench: every benchmark, BENCHCOUNT interleaved rounds, raw output in
## bench.txt, the report (ratios against the baselines) in BENCHMARKS.md
bench:
	$(GO) run ./internal/cmd/benchreport -count $(BENCHCOUNT) -benchtime $(BENCHTIME) -raw bench.txt -out BENCHMARKS.md

## cover: coverage profile and per-function summary
cover:
	$(GO) test -race -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1

## fuzz: each fuzz target for FUZZTIME (make fuzz FUZZTIME=5m). A run that
## stops with an error but writes no failing input is Go's fuzz deadline race
## (golang/go#75804, fixed in Go 1.27), reported and not counted.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; dir=$$pkg/testdata/fuzz/$$name; \
		before=$$(ls $$dir 2>/dev/null | wc -l); \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		if ! $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; then \
			after=$$(ls $$dir 2>/dev/null | wc -l); \
			if [ "$$after" -gt "$$before" ]; then echo "$$name: failing input written to $$dir"; exit 1; fi; \
			echo "$$name: stopped without a failing input (golang/go#75804): not a finding"; \
		fi; \
	done

## soak: the soak test at full size (SOAKREQUESTS per provider); `make
## test` runs it small
soak:
	$(GO) test -race -count=1 -timeout 60m -run '^TestSoak$$' -v ./internal/testkit/soak -soak.requests=$(SOAKREQUESTS)

## quickstart: the main job, against the built-in fake providers
quickstart:
	$(GO) run ./examples/quickstart
