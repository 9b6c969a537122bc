#!/usr/bin/env bash
# `make test-debian13`: applab's userland on Debian 13 (packages, daemons,
# Python 3.13), in a Debian 13 root on this machine's kernel. A fresh clone
# of this checkout's HEAD goes into the root, where scripts/install.sh runs,
# then the unit tests, a chosen set of integration tests, and one experiment
# with --strict; or, given COMMAND, the install and then that command. The
# root's mounts and processes live in a mount and a PID namespace of their
# own (enter.sh), so they go when it ends, however it ends.
#
#   scripts/debian13/run.sh [COMMAND...]     # exit status: the steps'
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=$(bash "$repo/scripts/debian13/root.sh")
clone=/opt/applab-ci

rm -rf "${root:?}$clone"
git clone -q "$repo" "$root$clone"
steps=$(cat <<'STEPS'
set -euo pipefail
cd /opt/applab-ci
bash scripts/install.sh
.venv/bin/python -m pytest -q -p no:cacheprovider tests/unit
.venv/bin/python -m pytest -q -p no:cacheprovider \
  "tests/integration/orchestrator/test_cli.py::test_linktest_json_reports_measured_beside_configured" \
  "tests/integration/orchestrator/experiment/test_experiment.py::test_cache_scenario_shortened[by-name]" \
  tests/integration/experiments/test_dns.py \
  "tests/integration/assignments/test_assignments.py::test_a_new_assignment_with_a_changed_topology_runs" \
  "tests/integration/experiments/test_http3.py"
.venv/bin/applab run experiments/email.yaml --scenario end-to-end --strict --out /tmp/results
STEPS
)
if [ $# -gt 0 ]; then
  steps="set -euo pipefail; cd $clone; bash scripts/install.sh; $(printf '%q ' "$@")"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
unshare --mount --pid --fork --kill-child bash "$repo/scripts/debian13/enter.sh" "$root" "$steps"
