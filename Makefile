# Two entry points: `make demo` (the main job) and `make test` (the whole suite).
# Both bootstrap .venv from the pinned requirements when it is missing or stale.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped

.PHONY: demo test venv clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m liquid_sync.demo

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
