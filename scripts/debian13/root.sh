#!/usr/bin/env bash
# A Debian 13 (trixie) root for `make test-debian13`: debootstrap's minimal
# system from the machine's own mirror, with the machine's pip configuration
# and the certificate authorities it added carried in (pip reaches its index
# through them). Kept under /var/cache/applab, named by this recipe's hash:
# made again only when the recipe changes. Prints the root's path.
set -euo pipefail
suite=trixie
include=ca-certificates,python3,git,procps
cache=/var/cache/applab
hash=$(sha256sum "$0" | cut -c1-12)
root=$cache/debian13-$hash

if [ -f "$root/.made" ]; then
  echo "$root"
  exit 0
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
mirror=$(cd "$repo" && /usr/bin/python3 -m orchestrator.packages mirror)
mirror=${mirror%/}
echo "debian13/root.sh: making a Debian 13 root from $mirror under $root" >&2
partial=$root.partial
rm -rf "$partial" "$cache"/debian13-*    # older recipes' roots go too
mkdir -p "$cache"
debootstrap --variant=minbase --include="$include" "$suite" "$partial" "$mirror" >&2
cat > "$partial/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror}-security $suite-security main
SOURCES
# What the machine adds to reach its package indexes: its certificate
# authorities and its pip configuration.
if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$partial/usr/local/share/ca-certificates/"
  chroot "$partial" update-ca-certificates > /dev/null
fi
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$partial/etc/pip.conf"
if [ -f /root/.config/pip/pip.conf ]; then
  mkdir -p "$partial/root/.config/pip"
  cp /root/.config/pip/pip.conf "$partial/root/.config/pip/pip.conf"
fi
touch "$partial/.made"
mv "$partial" "$root"
echo "$root"
