#!/usr/bin/env bash
# The one install path for applab: used by `make setup`, `.ci/run` and the
# Vagrantfile. Idempotent: a second run only checks what the first one did.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.venv"
system_python=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (apt and Mininet need it)" >&2
  exit 1
fi

# Each package is declared once, where it is needed: a role's in its class
# under services/, applab's own tools' in orchestrator/packages.py. That
# module reads them with the system's Python alone.
if [ ! -x "$system_python" ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3
fi
declared() { (cd "$repo" && "$system_python" -m orchestrator.packages "$1"); }
# Debian 12 or 13, named as that release names them; any other system is
# refused here, with the releases applab installs on.
release=$(declared release) || exit 1
echo "install.sh: Debian $release"
mapfile -t apt_packages < <(declared apt)
mapfile -t packaged_daemons < <(declared units)
[ ${#apt_packages[@]} -gt 0 ] || { echo "install.sh: no packages declared" >&2; exit 1; }

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix gets no system-wide configuration: each emulated mail server
  # writes its own.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -q
  # policy-rc.d keeps the packaged daemons from starting system-wide: applab
  # starts its own instances inside emulated hosts.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ "$created_policy" -eq 1 ] && rm -f "$policy"
fi

# Nor may the packaged daemons start at the next boot: a system-wide resolver
# would ask the real root servers, and its resolvconf hook would take over
# /etc/resolv.conf.
if [ -d /run/systemd/system ]; then
  for unit in "${packaged_daemons[@]}"; do
    if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      echo "install.sh: disabling the packaged $unit"
      systemctl disable --now --quiet "$unit"
    fi
  done
fi

# The unprivileged user sandboxed programs run as (orchestrator.emulation.sandbox).
if ! getent passwd applab-sandbox >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    applab-sandbox
fi

# Debian's mininet imports only under the system Python, so the venv is made
# from it and sees its site-packages.
if [ ! -x "$venv/bin/python" ]; then
  "$system_python" -m venv --system-site-packages "$venv"
fi
# The Python packages at the versions of requirements.lock.
lock="$repo/requirements.lock"
stamp="$venv/.installed-pyproject"
if [ ! -f "$stamp" ] || ! cat "$repo/pyproject.toml" "$lock" | cmp -s - "$stamp"; then
  "$venv/bin/pip" install -q --upgrade pip
  # An environment made before niquests was kept apart has urllib3-future in
  # place of urllib3: take it out and put urllib3 itself back.
  if "$venv/bin/pip" show -q urllib3-future 2>/dev/null; then
    "$venv/bin/pip" uninstall -q -y niquests urllib3-future
    "$venv/bin/pip" install -q --force-reinstall --no-deps -c "$lock" urllib3
  fi
  "$venv/bin/pip" install -q -c "$lock" -e "$repo[dev]"
  cat "$repo/pyproject.toml" "$lock" > "$stamp"
fi

# The tests' HTTP/3 client other than applab's own, apart from the
# environment: its urllib3-future would replace the urllib3 that the Docker
# SDK and requests use. A test runs it with PYTHONPATH pointing here.
http3_client="$venv/http3-client"
if [ ! -f "$http3_client/.installed" ] || ! cmp -s "$lock" "$http3_client/.installed"; then
  rm -rf "$http3_client"
  "$venv/bin/pip" install -q -c "$lock" --target "$http3_client" niquests
  cp "$lock" "$http3_client/.installed"
fi

# A user-mode kernel with sch_netem that runs on this CPU, for make test-netem.
bash "$repo/scripts/uml/install.sh"

"$venv/bin/python" -c "import mininet.node, orchestrator, topologies" \
  || { echo "install.sh: mininet or applab does not import in $venv" >&2; exit 1; }
echo "install.sh: ready ($venv)"
