# Two entry points: `make demo` and `make test`. Both create .venv if it is missing and install
# the package into it; nothing needs to be installed by hand beyond Python >= 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR := build/demo

.PHONY: install demo test lint bench clean
LINT_STAMP := $(VENV)/.lint-stamp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/qru models
	$(BIN)/qru compile wdbc --device rainbow
	$(BIN)/python examples/demo.py --output-dir $(DEMO_DIR)
	$(BIN)/qru simulate wdbc --params $(DEMO_DIR)/params.json --inputs $(DEMO_DIR)/inputs.json \
		--output $(DEMO_DIR)/outputs.json
	rm -rf $(DEMO_DIR)/train
	$(BIN)/qru train wdbc --folds 2 --epochs 1 --restarts 1 --scheduler local:2 \
		--output $(DEMO_DIR)/train
	$(BIN)/qru sweep oscillation wdbc mnist --devices rainbow,weber,willow_pink --scheduler local:2

test: install
	$(BIN)/python -m pytest -q

$(LINT_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(LINT_STAMP)

# ruff over the repository, mypy --strict over qru_compile/ (settings in pyproject.toml)
lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/compile_bench.py
	$(BIN)/python bench/train_bench.py
	$(BIN)/python bench/engine_ab.py
	$(BIN)/python bench/scale_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
