#!/usr/bin/env bash
# Run inside `unshare --mount --pid --fork` (scripts/debian13/run.sh): make
# the Debian 13 root this mount namespace's root with pivot_root, not a
# chroot, so that a host's commands, which join its mount namespace, find
# the same root; then run STEPS there. The mounts belong to this namespace
# and go with it; the processes to this PID namespace, and die with it.
set -euo pipefail
root=$1 steps=$2
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/tmp"
# The machine's pip configuration names local package folders: the same ones, read-only.
for folder in /opt/pypi /opt/pypi-more /opt/wheels; do
  if [ -d "$folder" ]; then
    mkdir -p "$root$folder"
    mount --bind -o ro "$folder" "$root$folder"
  fi
done
cd "$root"
mkdir -p .machine
pivot_root . .machine
umount -l /.machine
rmdir /.machine
exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root CI="${CI:-1}" LANG=C.UTF-8 bash -c "$steps"
