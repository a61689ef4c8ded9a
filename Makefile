# zhiyun: every target creates or updates its own virtualenv in .venv.
# `make demo` and `make bench` install what the platform runs with (pyproject's dependencies);
# `make test`, `make lint` and `make install` add the developer tools (the pinned `dev` extra).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
DB     ?=
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: demo test lint bench install install-runtime clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the package and its runtime dependencies only: what `make demo` needs
$(RUNTIME_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# plus the developer tools (pytest, ruff, mypy, …); a dev install is a runtime install too
$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(RUNTIME_STAMP) $(DEV_STAMP)

install: $(DEV_STAMP)

install-runtime: $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/zhiyun demo --port $(PORT) $(if $(DB),--db $(DB),)

test: $(DEV_STAMP)
	bash scripts/test.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(RUNTIME_STAMP)
	$(BIN)/python benchmarks/workflow.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
