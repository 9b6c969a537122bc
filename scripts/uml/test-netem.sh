#!/bin/sh
# What `make test-netem` runs inside the user-mode kernel, which has sch_netem:
# the netem realizer's link test, link fidelity tests and a short access-link
# (c), then the same short spec under both realizers. Every step runs; the
# exit status says whether all passed.
export APPLAB_REALIZER=netem PYTHONDONTWRITEBYTECODE=1 APPLAB_TIMING=uml
failed=0
step() {
  echo "=== $*"
  "$@" || { echo "=== FAILED: $*"; failed=1; }
}
step .venv/bin/applab linktest --bw 10 --delay 20ms --json
step .venv/bin/python -m pytest -p no:cacheprovider -q \
  tests/integration/orchestrator/emulation/links/test_fidelity.py
step .venv/bin/applab run experiments/access-link.yaml --scenario c --duration 40 --strict
unset APPLAB_REALIZER
step .venv/bin/applab compare experiments/access-link.yaml --scenario c --duration 40 \
  --realizers relay,netem --strict
exit $failed
