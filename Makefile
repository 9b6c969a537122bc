# applab: `make experiment` and `make test` each install what they need first.
VENV := .venv
PY := $(VENV)/bin/python
APPLAB := $(VENV)/bin/applab

.PHONY: setup experiment test unit integration bench clean lint

setup:
	bash scripts/install.sh

# The textbook's caching example: three scenarios, about five minutes.
EXPERIMENT ?= experiments/access-link.yaml

experiment: setup
	$(APPLAB) run $(EXPERIMENT)

test: setup
	$(PY) -m pytest tests

unit: setup
	$(PY) -m pytest tests/unit

integration: setup
	$(PY) -m pytest tests/integration

bench: setup
	$(PY) -m bench

clean:
	-$(APPLAB) clean
	rm -rf results .pytest_cache

lint: setup
	$(VENV)/bin/ruff check topologies orchestrator services tests bench
