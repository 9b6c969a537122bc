#!/usr/bin/env bash
# A user-mode Linux kernel that can run processes on this machine, for
# `make test-netem`. The running release's (package user-mode-linux: 6.1 on
# Debian 12, 6.12 on 13) is used where it works. On a CPU whose XSAVE area is
# larger than its FP buffer (AVX-512, AMX) its first process dies:
# ptrace(PTRACE_SETREGSET) answers EFAULT, on both. Debian unstable's kernel
# sizes the buffer from the host: it is unpacked, with the C library it was
# built against, under /opt/applab/uml (nothing else on the machine changes),
# and the version fetched is recorded there. Unstable's Release file may be
# past its Valid-Until on a mirror; only this download ignores that, as the
# packages are still checked against Debian's keyring. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=/opt/applab/uml
stamp=$target/.checked

probe() {  # $1: kernel binary; prints "ok" if it runs a process
  local init; init=$(mktemp /tmp/applab-uml-probe.XXXXXX)
  printf '#!/bin/sh\necho applab-uml-probe-ok\npoweroff -f\n' > "$init"
  chmod +x "$init"
  timeout 60 "$1" mem=256M rootfstype=hostfs rootflags=/ ro init="$init" con=null \
    con0=fd:0,fd:1 uml_dir=/tmp quiet < /dev/null 2>/dev/null | grep -q applab-uml-probe-ok \
    && echo ok || true
  rm -f "$init"
}

cpu=$(grep -m1 '^flags' /proc/cpuinfo | md5sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$cpu" ]; then
  exit 0
fi
installed="user-mode-linux $(dpkg-query -W -f '${Version}' user-mode-linux 2>/dev/null \
  || echo '(not installed)') (/usr/bin/linux.uml)"
if [ "$(probe /usr/bin/linux.uml)" = ok ]; then
  rm -rf "$target"
  mkdir -p "$target" && echo "$cpu" > "$stamp"
  echo "uml/install.sh: the release's user-mode kernel runs here: $installed"
  exit 0
fi

echo "uml/install.sh: $installed cannot run a process on this CPU;" \
     "unpacking Debian unstable's under $target"
work=$(mktemp -d /tmp/applab-uml-fetch.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
mirror=$(cd "$here/../.." && /usr/bin/python3 -m orchestrator.packages mirror)
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
  > "$work/sources.list"
apt_opts=(-q -o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o "APT::Sandbox::User=root" -o "Acquire::Check-Valid-Until=false")
apt-get "${apt_opts[@]}" update > /dev/null
(cd "$work" && apt-get "${apt_opts[@]}" download user-mode-linux libc6 > /dev/null)
rm -rf "$target"
mkdir -p "$target/root"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$target/root"; done
(cd "$work" && ls -1 ./*.deb) > "$target/fetched"    # which versions, for the record
libdir=$target/root/usr/lib/x86_64-linux-gnu
cp "$target/root/usr/bin/linux.uml" "$target/linux.uml"
patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --set-rpath "$libdir" \
  "$target/linux.uml"
if [ "$(probe "$target/linux.uml")" != ok ]; then
  echo "uml/install.sh: neither $installed nor Debian unstable's" \
       "($(tr '\n' ' ' < "$target/fetched")) runs a process on this machine" >&2
  exit 1
fi
echo "$cpu" > "$stamp"
echo "uml/install.sh: $("$target/linux.uml" --version 2>/dev/null | head -1 || true) ready"
