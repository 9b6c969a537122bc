#!/bin/sh
# PID 1 inside the user-mode kernel: writable space, the kernel's modules,
# then the command; its exit status goes out through the shared directory.
# Arguments: MODULES_ROOT OUT_DIR REPO COMMAND...
# (The kernel passes init no PATH and only its own arguments.)
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
modules_root=$1; out=$2; repo=$3; shift 3

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# cgroup v2: the sandboxes' limits (its kernel has the memory, pids and cpu
# controllers), as a machine with systemd mounts it.
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The module tree sits in the host's /tmp: load before a tmpfs hides it.
for module in veth bridge tun sch_htb sch_netem sch_ingress sch_tbf cls_u32 act_mirred ifb; do
  modprobe -d "$modules_root" "$module" || echo "uml-init: modprobe $module failed"
done
# Writable scratch space over the host's read-only directories. The host's
# root stays reachable at /run/host, so a repository under a directory that
# a tmpfs hides (a clone in /tmp) is bound back in place.
mount -t tmpfs tmpfs /run
mkdir -p /run/host /run/out
mount --bind / /run/host
for dir in /tmp /var/tmp /dev/shm /var/log; do
  mount -t tmpfs tmpfs "$dir"
done
case "$repo" in
  /run/*|/tmp/*|/var/tmp/*|/dev/shm/*|/var/log/*)
    mkdir -p "$repo" && mount --bind "/run/host$repo" "$repo" ;;
esac
mount -t tmpfs tmpfs "$repo/results"
# The host directory the run writes its status and results into.
mount -t hostfs hostfs /run/out -o "$out"

ip link set lo up

cd "$repo" || exit 1
echo "uml-init: $(uname -r), netem: $(tc qdisc add dev lo root netem delay 0ms 2>&1 && tc qdisc del dev lo root && echo yes)"
"$@"
status=$?
cp -r "$repo/results/." /run/out/results/ 2>/dev/null
echo "$status" > /run/out/status
sync
poweroff -f
