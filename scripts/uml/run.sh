#!/usr/bin/env bash
# Run a command inside Debian's user-mode Linux kernel (6.1, with sch_netem),
# over this machine's own root filesystem mounted read-only through hostfs.
# The kernel is a process: it shares no network device with this machine,
# and everything it creates is gone when it powers off.
#
#   scripts/uml/run.sh [--out DIR] COMMAND...     # exit status: the command's
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=""
if [ "${1:-}" = "--out" ]; then out=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--out DIR] COMMAND..." >&2; exit 2; }
# The kernel install.sh found to work here, and its modules.
kernel=/usr/bin/linux.uml
modules=/usr/lib/uml/modules
if [ -x /opt/applab/uml/linux.uml ]; then
  kernel=/opt/applab/uml/linux.uml
  modules=/opt/applab/uml/root/usr/lib/uml/modules
fi
[ -x "$kernel" ] || { echo "run.sh: no user-mode kernel: run scripts/uml/install.sh" >&2; exit 2; }
# 2 GiB: Mininet, a dozen daemons and their Python clients.
memory=${APPLAB_UML_MEMORY:-2G}

work=$(mktemp -d /tmp/applab-uml.XXXXXX)
cleanup() {
  # The kernel's helper processes end with it; make sure none outlives a Ctrl-C.
  pkill -KILL -f "$work/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Its modules, where `modprobe -d` finds them.
version=$(ls "$modules")
mkdir -p "$work/modules/lib/modules"
cp -r "$modules/$version" "$work/modules/lib/modules/"
depmod -b "$work/modules" "$version"
mkdir -p "$work/out/results" "$repo/results"

# The kernel hands init only what its command line carries: wrap the command.
printf '#!/bin/sh\nexec %q %q %q %q' "$repo/scripts/uml/init.sh" "$work/modules" \
  "$work/out" "$repo" > "$work/init"
printf ' %q' "$@" >> "$work/init"
printf '\n' >> "$work/init"
chmod +x "$work/init"

"$kernel" mem="$memory" rootfstype=hostfs rootflags=/ ro init="$work/init" \
  con=null con0=fd:0,fd:1 umid="applab-$$" uml_dir="$work" quiet < /dev/null || true

if [ -n "$out" ]; then
  mkdir -p "$out"
  cp -r "$work/out/results/." "$out/"
fi
if [ ! -f "$work/out/status" ]; then
  echo "run.sh: the user-mode kernel stopped before the command finished" >&2
  exit 1
fi
exit "$(cat "$work/out/status")"
