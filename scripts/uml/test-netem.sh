#!/bin/sh
# What `make test-netem` runs inside the user-mode kernel, which has sch_netem:
# the netem realizer's link tests (one link differing by direction), the link
# fidelity tests, a short access-link (c) and (d) (d changes a link's rate at
# run time), the UDP pinger assignment (checked against netem's drop count,
# sandboxed under cgroup v2), then the same short spec under both realizers
# side by side.
# Every step runs; the exit status says whether all passed.
export APPLAB_REALIZER=netem PYTHONDONTWRITEBYTECODE=1 MPLCONFIGDIR=/tmp/matplotlib
failed=0
step() {
  echo "=== $*"
  # Through a pipe: the kernel's console is a terminal, and progress bars
  # would fill the log.
  { "$@"; echo $? > /tmp/step-status; } 2>&1 | cat
  [ "$(cat /tmp/step-status)" = 0 ] || { echo "=== FAILED: $*"; failed=1; }
}
step .venv/bin/applab linktest --bw 10 --delay 20ms --json
step .venv/bin/applab linktest --up-bw 1 --down-bw 10 --delay 5ms --json
step .venv/bin/python -m pytest -p no:cacheprovider -q \
  tests/integration/orchestrator/emulation/links/test_fidelity.py
# Every check but the mean delay, which the user-mode kernel's one slow CPU
# inflates over a short run's first seconds (make test judges it on the
# machine itself). Its browsers take about 12 s to start there, while the
# timeline counts from their launch: (d) runs 80 s, so that its link still
# has some 20 s of load before the upgrade at half-time.
step .venv/bin/applab run experiments/access-link.yaml --scenario c \
  --duration 40 --out results/uml-access-link
step .venv/bin/applab run experiments/access-link.yaml --scenario d \
  --duration 80 --out results/uml-access-link
step .venv/bin/python scripts/uml/judge.py results/uml-access-link mean_delay
# The pinger's timeouts against what netem's own qdisc counted as dropped.
step .venv/bin/applab assignment run udp-pinger
unset APPLAB_REALIZER
step .venv/bin/applab compare experiments/access-link.yaml --scenario c --duration 40 \
  --realizers relay,netem --out results/uml-compare
step .venv/bin/python scripts/uml/judge.py results/uml-compare mean_delay
exit $failed
