# applab: `make experiment` and `make test` each install what they need first.
VENV := .venv
PY := $(VENV)/bin/python
APPLAB := $(VENV)/bin/applab

.PHONY: setup experiment chapter test test-netem test-debian13 unit integration bench clean lint

setup:
	bash scripts/install.sh

# The textbook's caching example: three scenarios, about five minutes.
EXPERIMENT ?= experiments/access-link.yaml

experiment: setup
	$(APPLAB) run $(EXPERIMENT)

# Every experiment of the chapter, one after another, into one folder with
# one index page: about 75 minutes on two cores.
chapter: setup
	$(APPLAB) run experiments/

test: setup
	$(PY) -m pytest tests

# The netem realizer's tests inside Debian's user-mode kernel (it has sch_netem,
# which the build machines' kernel lacks): about ten minutes.
test-netem: setup
	bash scripts/uml/run.sh --out results/test-netem sh scripts/uml/test-netem.sh

# applab's userland on Debian 13 (its packages, daemons and Python 3.13) in a
# Debian 13 root on this machine: install, unit tests, a chosen set of
# integration tests and one experiment with --strict: about five minutes.
test-debian13:
	bash scripts/debian13/run.sh

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
