# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Python caches each module's bytecode on first import (its default): pip is told not to compile
# the ~25,000 modules of the dependencies at install (a minute on one core, measured), so the
# ~5,000 a run imports are compiled once, when first imported, and kept. A shell that turned the
# cache off would recompile them in every process (each test worker, server and notebook).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-types test-suite install lint typecheck serve clean bench

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 est requis ($(PYTHON) introuvable)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --no-compile -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

DEMO_FLAGS ?=
PYTEST_ARGS ?=

demo: $(STAMP)
	$(BIN)/tremplin demo $(DEMO_FLAGS)

PACKAGES = data_contracts tremplin matching training services serving web tremplin_cli
CODE = $(PACKAGES) tests tools benchmarks

# The type check (one core, about a minute on a fresh clone) runs beside the tests: each
# prints when it ends (--output-sync), and either failing fails `make test`.
test: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory -j2 --output-sync=target test-types test-suite

test-types: $(STAMP)
	$(BIN)/mypy $(PACKAGES) benchmarks

test-suite: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" tools/with-postgres.sh $(BIN)/python -m pytest -n 2 --dist loadscope -q $(PYTEST_ARGS)

# Every benchmark, then docs/performance.md from their JSON (about 80 minutes on 2 cores).
BENCH_SIZES ?= 10000 100000 1000000
BENCH_STORE ?= build/bench-store
BENCH_SINCE := $(shell date +%F)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_index.py --sizes $(BENCH_SIZES)
	$(BIN)/python benchmarks/bench_matching.py --sizes $(BENCH_SIZES)
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_embedding.py
	$(BIN)/python benchmarks/bench_encoder_quality.py
	TREMPLIN_DATA_DIR=$(BENCH_STORE) $(BIN)/tremplin demo --no-serve
	$(BIN)/python benchmarks/bench_jobday.py --data-dir $(BENCH_STORE)
	TREMPLIN_DATA_DIR=$(BENCH_STORE) $(BIN)/python benchmarks/bench_pool.py --data-dir $(BENCH_STORE)
	$(BIN)/python benchmarks/bench_api.py --seconds 30
	$(BIN)/python benchmarks/bench_security.py --seconds 30
	$(BIN)/python benchmarks/report.py --since $(BENCH_SINCE)

lint: $(STAMP)
	$(BIN)/ruff check --fix $(CODE) && $(BIN)/ruff format $(CODE)

typecheck: $(STAMP)
	$(BIN)/mypy $(PACKAGES) benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
