# inloop — every target bootstraps .venv on first use, so `make demo` or `make test` works as the first command.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SRC    := src tests bench examples

.PHONY: venv demo test lint typecheck unit e2e bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,ml,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/inloop policy check examples/policy.yaml
	$(BIN)/inloop demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e tests/web

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/route_bench.py $(BENCH_ARGS)
	$(BIN)/python bench/route_cost.py $(BENCH_ARGS)
	$(BIN)/python bench/pii_bench.py
	$(BIN)/python bench/quality_bench.py
	$(BIN)/python bench/calibration_bench.py
	$(BIN)/python bench/replay_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/workflow_bench.py $(BENCH_ARGS)
	$(BIN)/python bench/console_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) artifacts .mypy_cache .ruff_cache .pytest_cache
