# The two commands a fresh machine needs: `make run` (the whole pipeline on the embedded default
# corpus) and `make test` (the test suite). Both create .venv from requirements.lock when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# dvc.yaml and the Snakefile call `python`: make it the project's interpreter.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: run test snakemake bench lint lock clean-results

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	dvc repro

test: $(STAMP)
	python -m pytest

snakemake: $(STAMP)
	snakemake --cores 2

# Fast paths vs naive ones, measured in the same run; prints a table and writes results/benchmarks/.
# BENCH_ARGS="--pipeline" adds every stage from a clean cache (minutes); "--threads 1" steadies a busy machine.
bench: $(STAMP)
	python -m reviewgen.bench $(BENCH_ARGS)

lint: $(STAMP)
	ruff check .

# Refresh the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	{ head -n 2 requirements.lock; pip freeze --all --exclude-editable | grep -v "^pip==" | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean-results:
	rm -rf data/raw data/interim data/processed results/*
