# logsim: the entry points for people and CI. `make help` lists them.
GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 20s
SWEEP_SEEDS ?= 50
PGO      := cmd/logsim/default.pgo
PGO_SCENARIOS ?= quickstart batching-compression nemesis-acksall rebalance-storm

.PHONY: help test bench lint fuzz build demo sweep compare pgo

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build bin/logsim
	$(GO) build -o bin/logsim ./cmd/logsim

test: lint ## lint, then every test (short seed sweeps only)
	$(GO) test -short -count=1 $(PKGS)

# The benchmarks build as the logsim command does, with its profile (see pgo): go
# test itself ignores default.pgo, which Go applies to main packages only.
bench: ## the performance targets, as Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem -pgo=$(CURDIR)/$(PGO) $(PKGS)

lint: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz: ## run each fuzz target for FUZZTIME
	@for spec in $$($(GO) test -list '^Fuzz' $(PKGS) 2>/dev/null | awk '/^Fuzz/{f[n++]=$$1} /^ok/{for(i=0;i<n;i++) print $$2":"f[i]; n=0}'); do \
	  pkg=$${spec%%:*}; fn=$${spec##*:}; echo "== $$pkg $$fn"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; done

demo: ## run the quickstart scenario end to end; its report lands in out/quickstart
	$(GO) run ./cmd/logsim run scenarios/quickstart.yaml --out out/quickstart

sweep: ## every shipped scenario under seeds 1..SWEEP_SEEDS (long: minutes per scenario)
	LOGSIM_SEEDS=$(SWEEP_SEEDS) $(GO) test -v -count=1 -run 'TestSeedSweep' -timeout 0 ./scenarios

compare: ## linger.ms x compression.type on batching-compression; comparison in out/batching-compression-sweep
	$(GO) run ./cmd/logsim sweep scenarios/batching-compression.yaml --out out/batching-compression-sweep

# Go builds a main package with the default.pgo beside it (profile-guided
# optimization: inlining and devirtualization of the hot paths), about 9% faster on
# the quickstart. Refresh the profile after changing the simulation's hot paths.
pgo: ## refresh cmd/logsim/default.pgo from runs of PGO_SCENARIOS
	$(GO) build -o bin/logsim ./cmd/logsim
	@mkdir -p out/pgo
	@for s in $(PGO_SCENARIOS); do echo "== $$s"; \
	  bin/logsim run $$s --out out/pgo/$$s --progress never --cpuprofile out/pgo/$$s.prof > /dev/null; \
	  test $$? -le 1 || exit 1; done
	$(GO) tool pprof -proto $(addprefix out/pgo/,$(addsuffix .prof,$(PGO_SCENARIOS))) > $(PGO)
