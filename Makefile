# Two entry points: `make demo` (the main job) and `make test` (the whole suite).
# Both bootstrap .venv from the pinned requirements when it is missing or stale.
# `make bench` writes BENCHMARKS.md from its own .venv-bench, which adds the benchmark-only
# peer (dlt, requirements-bench.txt) to the same pins.
PYTHON ?= python3.11
VENV ?= .venv
BENCH_VENV ?= .venv-bench
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test bench venv clean

# $(call bootstrap,VENV,REQUIREMENTS): a fresh virtual environment with exactly these pins and
# this project installed in editable mode, pip check clean.
define bootstrap
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install $(PIP_FLAGS) -r $(2)
	$(1)/bin/pip install $(PIP_FLAGS) --no-deps -e .
	$(1)/bin/pip check
	touch $(1)/.bootstrapped
endef

venv: $(VENV)/.bootstrapped

$(VENV)/.bootstrapped: requirements.txt requirements-dev.txt pyproject.toml
	$(call bootstrap,$(VENV),requirements-dev.txt)

$(BENCH_VENV)/.bootstrapped: requirements.txt requirements-bench.txt pyproject.toml
	$(call bootstrap,$(BENCH_VENV),requirements-bench.txt)

demo: $(VENV)/.bootstrapped
	$(VENV)/bin/python -m liquid_sync.demo

test: $(VENV)/.bootstrapped
	$(VENV)/bin/python -m pytest

# Every benchmark figure, into BENCHMARKS.md (about 20 minutes on 2 cores, 1M-execution accounts included).
bench: $(BENCH_VENV)/.bootstrapped
	$(BENCH_VENV)/bin/python bench/run_benchmarks.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache
