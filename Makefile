# ShareCore: `make test` runs every test; `make serve` starts the reference servers.
# Both install missing system packages first (Debian/Ubuntu, via apt-get).

SHELL        := /bin/bash
SWIFT        ?= swift
DATA         ?= ./sharecore-data
SYSTEM_PKGS  := liblmdb-dev libxxhash-dev pkg-config
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

## Every test: the Swift suites (unit, model-based, corruption), the DocC build, then the
## FileREST compatibility suite.
test: unit docs compat crash-test

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
## check` must find the store sound and every acknowledged write must read back. CI runs the
## short default; CRASH_KILLS=100 is the full run.
CRASH_KILLS ?= 5
.PHONY: crash-test
crash-test: build
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q -r Tests/compat/requirements.txt
	for mode in full fast; do \
	  SHARECORE_BIN="$$($(SWIFT) build --show-bin-path)/sharecore" \
	    $(PYTHON) Tests/reliability/crash_test.py --kills $(CRASH_KILLS) --durability $$mode || exit 1; \
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
## 2 GiB; writes Benchmarks/results/http.json and regenerates the "Server benchmarks" tables of
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
