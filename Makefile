# egate: `make demo` runs the simulated gate, `make test` runs every test. Both set up first.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@$(VENV)/bin/egate demo

test: setup
	@$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	@$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
