# ShareCore: `make test` runs every test; `make serve` starts the reference servers.
# Both install missing system packages first (Debian/Ubuntu, via apt-get).

SHELL        := /bin/bash
SWIFT        ?= swift
DATA         ?= ./sharecore-data
SYSTEM_PKGS  := liblmdb-dev libxxhash-dev libssl-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# The model-based test's operation count (CI runs at least 10,000).
MODEL_OPS    ?= 10000
PYTHON       ?= python3

.PHONY: all deps build release test unit docs compat check serve clean

all: build

## Install the system packages the build needs, if any is missing.
deps:
	@missing=""; for p in $(SYSTEM_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Every test: the Swift suites (unit, model-based, corruption), the DocC build, the
## compatibility suite, the crash test (kills and power cuts), then a replay of the fuzz corpus.
test: unit docs compat crash-test fuzz-replay

unit: deps
	$(SWIFT) build --build-tests
	set -o pipefail; SHARECORE_MODEL_OPS=$(MODEL_OPS) $(SWIFT) test --skip-build 2>&1 | tee .build/unit-tests.log
	@grep -E "Test run with [0-9]+ tests? .*passed" .build/unit-tests.log | tail -1 \
	  | sed -E 's/.*with ([0-9]+) tests?.*/swift-tests: \1 passed, 0 failed/'

## Builds the DocC documentation of the public API, failing on any warning.
docs: deps
	$(SWIFT) package --disable-sandbox generate-documentation --target ShareCore --warnings-as-errors \
	  --output-path .build/docs

## The compatibility suite: the official Azure SDK for Python, boto3, the aws CLI (pip),
## s3cmd (apt) and the Azure CLI (pip, in its own virtualenv .build/az-venv, as it pins its own
## Azure libraries; large, so installed only when missing), against a freshly started
## `sharecore serve` (Tests/compat).
COMPAT_PKGS := s3cmd
AZ_VENV     := .build/az-venv
compat: build
	@missing=""; for p in $(COMPAT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q -r Tests/compat/requirements.txt
	@if [ ! -x $(AZ_VENV)/bin/az ]; then \
	  echo "installing azure-cli into $(AZ_VENV)"; \
	  $(PYTHON) -m venv $(AZ_VENV) && PIP_ROOT_USER_ACTION=ignore $(AZ_VENV)/bin/pip install -q azure-cli; \
	fi
	SHARECORE_AZ="$(CURDIR)/$(AZ_VENV)/bin/az" SHARECORE_BIN="$$($(SWIFT) build --show-bin-path)/sharecore" $(PYTHON) -m pytest Tests/compat

## The crash test (issue #10, Tests/reliability): CRASH_KILLS kill -9s of `sharecore serve` under
## mixed concurrent FileREST and S3 writes, for each durability mode; after each, `sharecore
## check` must find the store sound and every acknowledged write must read back. Then the
## power-loss mode (power_loss_test.py): POWER_RUNS loaded runs under an LD_PRELOAD write log
## (compiled with cc), each replayed to POWER_CUTS simulated power cuts that keep only what was
## synced plus a random, page-torn part of the rest, per durability mode. CI runs the short
## defaults; CRASH_KILLS=100 and POWER_RUNS=5 POWER_CUTS=8 are the full runs (docs/RELIABILITY.md).
CRASH_KILLS ?= 5
POWER_RUNS  ?= 1
POWER_CUTS  ?= 3
.PHONY: crash-test
crash-test: build
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q -r Tests/compat/requirements.txt
	for mode in full fast; do \
	  SHARECORE_BIN="$$($(SWIFT) build --show-bin-path)/sharecore" \
	    $(PYTHON) Tests/reliability/crash_test.py --kills $(CRASH_KILLS) --durability $$mode || exit 1; \
	done
	for mode in full fast; do \
	  SHARECORE_BIN="$$($(SWIFT) build --show-bin-path)/sharecore" \
	    $(PYTHON) Tests/reliability/power_loss_test.py --runs $(POWER_RUNS) --cuts $(POWER_CUTS) --durability $$mode || exit 1; \
	done

## Fuzzing (issue #10, Fuzz/): libFuzzer targets for each front's request handling, SigV4 and
## Azure Shared Key/SAS checking, the XML parser, JSON bodies, aws-chunked decoding and Range
## headers, in a package of their own built with `-sanitize=fuzzer` (into .build/fuzz).
## `make fuzz` runs each target for FUZZ_RUNS executions from the committed corpus
## (Fuzz/Corpus/<target>), writing new inputs to .build/fuzz-corpus and crashes to
## .build/fuzz-artifacts; `make fuzz-merge` folds what a run found into the committed corpus
## (-set_cover_merge=1 -use_counters=0: the fewest inputs that add edges; seeds and crash inputs
## already there stay); `make fuzz-replay` (part of `make test`) runs
## every committed input once.
FUZZ_RUNS    ?= 1000000
FUZZ_TARGETS ?= FuzzFileREST FuzzS3 FuzzBackup FuzzIIS FuzzSigV4 FuzzAzureAuth FuzzXML FuzzJSON FuzzAWSChunked FuzzRange
FUZZ_FLAGS   ?= -max_len=8192 -timeout=60 -rss_limit_mb=4096
# Swift's own crash reporter would end the process before libFuzzer writes the crashing input.
FUZZ_ENV     := SWIFT_BACKTRACE=enable=no
FUZZ_SCRATCH ?= .build/fuzz
FUZZ_SWIFT   := $(SWIFT) build --package-path Fuzz --scratch-path $(FUZZ_SCRATCH) -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
.PHONY: fuzz-build fuzz fuzz-replay fuzz-merge
fuzz-build: deps
	$(FUZZ_SWIFT)

fuzz: fuzz-build
	@set -e; bin="$$($(FUZZ_SWIFT) --show-bin-path)"; mkdir -p .build/fuzz-artifacts; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz-corpus/$$t; \
	  echo "== $$t: $(FUZZ_RUNS) runs (log: .build/fuzz-artifacts/$$t.log)"; \
	  $(FUZZ_ENV) "$$bin/$$t" -runs=$(FUZZ_RUNS) $(FUZZ_FLAGS) -print_final_stats=1 -artifact_prefix=.build/fuzz-artifacts/$$t- \
	    .build/fuzz-corpus/$$t Fuzz/Corpus/$$t > .build/fuzz-artifacts/$$t.log 2>&1 \
	    || { tail -n 40 .build/fuzz-artifacts/$$t.log; exit 1; }; \
	  grep -E "^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)" .build/fuzz-artifacts/$$t.log; \
	done

fuzz-replay: fuzz-build
	@set -e; bin="$$($(FUZZ_SWIFT) --show-bin-path)"; mkdir -p .build/fuzz-artifacts; \
	for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_ENV) "$$bin/$$t" -runs=0 $(FUZZ_FLAGS) -artifact_prefix=.build/fuzz-artifacts/$$t- Fuzz/Corpus/$$t \
	    > .build/fuzz-artifacts/$$t-replay.log 2>&1 || { cat .build/fuzz-artifacts/$$t-replay.log; exit 1; }; \
	  echo "$$t: $$(ls Fuzz/Corpus/$$t | wc -l) corpus inputs replayed, no crash"; \
	done

fuzz-merge: fuzz-build
	@set -e; bin="$$($(FUZZ_SWIFT) --show-bin-path)"; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz-corpus/$$t; \
	  $(FUZZ_ENV) "$$bin/$$t" -set_cover_merge=1 -use_counters=0 $(FUZZ_FLAGS) Fuzz/Corpus/$$t .build/fuzz-corpus/$$t > /dev/null 2>&1; \
	  echo "$$t: $$(ls Fuzz/Corpus/$$t | wc -l) inputs"; \
	done

## The soak test (issue #10, Tests/reliability/soak.py): SOAK_CLIENTS clients doing mixed
## operations on every front for SOAK_SECONDS, reporting errors by status, p50/p99 latency and
## the server's RSS over time; fails on a 5xx, a connection error or a dead server. Not part
## of `make test` (it runs for minutes).
SOAK_CLIENTS ?= 64
SOAK_SECONDS ?= 180
.PHONY: soak
soak: build
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q -r Tests/compat/requirements.txt
	SHARECORE_BIN="$$($(SWIFT) build --show-bin-path)/sharecore" \
	  $(PYTHON) Tests/reliability/soak.py --clients $(SOAK_CLIENTS) --seconds $(SOAK_SECONDS)

## Verify a store: make check DATA=dir
check: build
	$(SWIFT) run sharecore check --data $(DATA)

## The reference servers (the FileREST, S3, IIS Files and Backup fronts) arrive with their
## issues; until the first of them lands this target says so and fails.
serve: release
	$(SWIFT) run -c release sharecore serve --data $(DATA)

clean:
	rm -rf .build

## The engine benchmarks (issue #5, Benchmarks/): ShareCore against raw LMDB doing the same
## bytes, in one run; regenerates docs/PERFORMANCE.md's tables and plot. BENCH_SCALE=0.05 for a
## quick smoke run, BENCH_FILTER='w1-.*' for some workloads, BENCH_BASELINE=main to refresh the
## committed baseline.
.PHONY: bench
bench: deps
	SWIFT=$(SWIFT) PYTHON=$(PYTHON) bash Benchmarks/report/bench.sh

## The server benchmarks (issue #5, Benchmarks/http/): `sharecore serve` (release build, default
## `full` durability) beside nginx (FileREST ranged GETs and Put Range) and moto_server (S3) on
## loopback, the same wrk load for both in one run, plus the server's peak RSS while streaming
## 2 GiB; issue #14's rows (S3 4 KiB GETs against nginx's static files, an S3 listing page of
## 1,000 in a 100,000-object directory against nginx's autoindex, the 1/8/64/256-connection
## scaling table); writes Benchmarks/results/http.json and regenerates the "Server benchmarks" tables of
## docs/PERFORMANCE.md. Installs nginx and wrk (apt) and moto[server], boto3 and the Azure SDK
## (pip) when missing. BENCH_HTTP_ARGS='--only s3-get-4KiB --skip-memory --duration 3' for a
## partial run (figures printed, the doc left alone); '--profile s3-get-4KiB' adds a perf profile.
HTTP_BENCH_PKGS := nginx wrk
BENCH_HTTP_ARGS ?=
.PHONY: bench-http
bench-http: deps
	@set -e; started=$$(date +%s); missing=""; \
	for p in $(HTTP_BENCH_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi; \
	echo "pip install -r Benchmarks/http/requirements.txt"; \
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q -r Benchmarks/http/requirements.txt; \
	echo "$(SWIFT) build -c release --product sharecore"; \
	$(SWIFT) build -c release --product sharecore; \
	bin="$$($(SWIFT) build -c release --show-bin-path)/sharecore"; \
	echo "$(PYTHON) Benchmarks/http/bench_http.py --bin $$bin $(BENCH_HTTP_ARGS)"; \
	BENCH_HTTP_STARTED=$$started SWIFT=$(SWIFT) $(PYTHON) Benchmarks/http/bench_http.py --bin "$$bin" $(BENCH_HTTP_ARGS)
