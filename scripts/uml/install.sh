#!/usr/bin/env bash
# A user-mode Linux kernel that can run processes on this machine, for
# `make test-netem`. The running release's (package user-mode-linux: 6.1 on
# Debian 12, 6.12 on 13) is used where it works. On a CPU whose XSAVE area is
# larger than its FP buffer (AVX-512, AMX) its first process dies:
# ptrace(PTRACE_SETREGSET) answers EFAULT, on both. A later kernel sizes the
# buffer from the host: the one recorded in fallback.lock is unpacked, with
# the C library it was built against, under /opt/applab/uml (nothing else on
# the machine changes). `--fallback` takes that path even where the release's
# kernel works, to try it. Idempotent.
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

force_fallback=false
[ "${1:-}" = --fallback ] && force_fallback=true
cpu=$(grep -m1 '^flags' /proc/cpuinfo | md5sum | cut -c1-16)
$force_fallback && rm -f "$stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$cpu" ]; then
  exit 0
fi
installed="user-mode-linux $(dpkg-query -W -f '${Version}' user-mode-linux 2>/dev/null \
  || echo '(not installed)') (/usr/bin/linux.uml)"
if ! $force_fallback && [ "$(probe /usr/bin/linux.uml)" = ok ]; then
  rm -rf "$target"
  mkdir -p "$target" && echo "$cpu" > "$stamp"
  echo "uml/install.sh: the release's user-mode kernel runs here: $installed"
  exit 0
fi

if $force_fallback; then
  echo "uml/install.sh: --fallback: unpacking the kernel of fallback.lock under $target"
else
  echo "uml/install.sh: $installed cannot run a process on this CPU;" \
       "unpacking the kernel of fallback.lock under $target"
fi
work=$(mktemp -d /tmp/applab-uml-fetch.XXXXXX)
trap 'rm -rf "$work"' EXIT
mirror=$(cd "$here/../.." && /usr/bin/python3 -m orchestrator.packages mirror)
snapshot=$(awk '$1 == "SNAPSHOT" {print $2}' "$here/fallback.lock")
rm -rf "$target"
mkdir -p "$target/root"
grep -v -e '^#' -e '^SNAPSHOT' -e '^$' "$here/fallback.lock" |
while read -r package version path sum; do
  deb=$work/$(basename "$path")
  for base in "$mirror" "https://snapshot.debian.org/archive/debian/$snapshot"; do
    if curl -fsS --max-time 300 -o "$deb" "$base/$path" 2>/dev/null \
        && echo "$sum  $deb" | sha256sum --check --status; then
      echo "uml/install.sh: $package $version from $base"
      break
    fi
    rm -f "$deb"
  done
  if [ ! -f "$deb" ]; then
    echo "uml/install.sh: $package $version ($path, sha256 $sum) is on neither" \
         "$mirror nor snapshot.debian.org ($snapshot)" >&2
    exit 1
  fi
  dpkg-deb -x "$deb" "$target/root"
  echo "$package $version $path" >> "$target/fetched"   # what ran, for the record
done
libdir=$target/root/usr/lib/x86_64-linux-gnu
cp "$target/root/usr/bin/linux.uml" "$target/linux.uml"
patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --set-rpath "$libdir" \
  "$target/linux.uml"
if [ "$(probe "$target/linux.uml")" != ok ]; then
  echo "uml/install.sh: neither $installed nor fallback.lock's" \
       "($(cut -d' ' -f1,2 "$target/fetched" | tr '\n' ' ')) runs a process on this machine" >&2
  exit 1
fi
echo "$cpu" > "$stamp"
echo "uml/install.sh: $("$target/linux.uml" --version 2>/dev/null | head -1 || true) ready"
