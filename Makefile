# Two entry points: `make report` (audit the embedded demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: report test setup setup-test docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m auditkit.report.kernelspec >/dev/null   # ipykernel's spec, quiet provisioner
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(STAMP)
setup-test: $(TEST_STAMP)

report: $(STAMP)
	$(BIN)/auditkit demo --out reports/demo

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/auditkit rules --format md --precision benchmarks/ecosystem/precision.csv > docs/rules.md
	$(BIN)/auditkit columns --format md > docs/columns.md

clean:
	rm -rf reports/demo .pytest_cache
