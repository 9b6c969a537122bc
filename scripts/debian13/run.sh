#!/usr/bin/env bash
# `make test-debian13`: applab's userland on Debian 13 (packages, daemons,
# Python 3.13), in a Debian 13 root on this machine's kernel. A fresh clone
# of this checkout's HEAD goes into the root, where scripts/install.sh runs,
# then the unit tests, a chosen set of integration tests, and one experiment
# with --strict. Everything mounted for it is unmounted, and every process
# left in the root is stopped, however it ends.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=$(bash "$repo/scripts/debian13/root.sh")
clone=/opt/applab-ci
mounted=()

mount_in() {  # mount_in TARGET ARGS...: mount, and remember to unmount
  local target=$root$1; shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

in_root() {
  # Processes whose root is the Debian 13 root.
  for link in /proc/[0-9]*/root; do
    [ "$(readlink "$link" 2>/dev/null)" = "$root" ] && basename "$(dirname "$link")"
  done
  return 0
}

cleanup() {
  local pids
  pids=$(in_root)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  sleep 0.5
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -lR "${mounted[$i]}"
  done
  left=$(awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/mounts)
  pids=$(in_root)
  if [ -n "$left$pids" ]; then
    echo "debian13/run.sh: left behind: ${left} ${pids}" >&2
    exit 1
  fi
}
trap cleanup EXIT

# The root a mount point of its own: Mininet's mnexec makes / private in
# each host's namespaces, which Linux refuses ("remount: Invalid argument")
# where / is not a mount point, and every host's shell then exits at once.
mount_in / --bind "$root"
mount_in /proc -t proc proc
mount_in /sys --rbind /sys
mount --make-rslave "$root/sys"
mount_in /dev --rbind /dev
mount --make-rslave "$root/dev"
mount_in /run -t tmpfs tmpfs
mount_in /tmp -t tmpfs tmpfs
# The machine's pip configuration names local package folders: the same ones, read-only.
for folder in /opt/pypi /opt/pypi-more /opt/wheels; do
  [ -d "$folder" ] && mount_in "$folder" --bind -o ro "$folder"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

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
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root CI="${CI:-1}" LANG=C.UTF-8 bash -c "$steps"
