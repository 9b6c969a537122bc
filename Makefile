# applab: `make experiment` and `make test` each install what they need first.
VENV := .venv
PY := $(VENV)/bin/python
APPLAB := $(VENV)/bin/applab

.PHONY: setup experiment test unit integration bench clean lint

setup:
	bash scripts/install.sh

# Until the access-link experiment lands, the default experiment is the link
# calibration at the textbook's access-link rate.
experiment: setup
	$(APPLAB) linktest --bw 10 --delay 20ms
	$(APPLAB) linktest --bw 1.54 --delay 10ms --loss 1

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
