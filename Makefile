# opsbook — `make demo` and `make test` bootstrap everything they need into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := sandbox,k8s,postgres,notify,web,temporal,dev

.PHONY: demo test test-slow lint typecheck unit fuzz bench bench-fleet clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/opsbook demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two workers by default (CI has 2 cores; much of the suite waits on subprocesses and sandboxes, not CPU).
# JOBS=0 runs in one process (easier to debug).
JOBS ?= 2
# Cases marked `slow` (the benchmark's scaled estate) run with `make bench` and `make test-slow`, not here.
unit: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter 0,$(JOBS)),,-n $(JOBS)) -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

test: lint unit

# Many more fuzzed configs and stack trees than `make test` runs (FUZZ_PROFILE=ci|deep, FUZZ_EXAMPLES=N).
FUZZ_PROFILE ?= deep
fuzz: $(STAMP)
	OPSBOOK_FUZZ_PROFILE=$(FUZZ_PROFILE) OPSBOOK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(BIN)/python -m pytest tests/fuzz --timeout 0 --hypothesis-show-statistics $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/python -m bench.harness $(BENCH_ARGS)

# 10, 50 and 200 accounts x 2 regions with AWS's latency and throttling on (bench/fleet.py); not in `make test`.
# FLEET_ARGS overrides, e.g. FLEET_ARGS="--sizes 10,50 --rounds 2".
bench-fleet: $(STAMP)
	$(BIN)/python -m bench.fleet $(FLEET_ARGS)

# PNGs of the HTML report (and the dashboard's pages) from a sandbox run, in headless Chromium (Debian's
# `chromium`, or $OPSBOOK_CHROMIUM; nothing is downloaded), into docs/screenshots/ for a reviewer.
.PHONY: screenshots
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .opsbook opsbook-report
