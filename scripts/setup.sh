#!/usr/bin/env bash
# Installs what the build needs, idempotently:
#  - Debian packages (pkg-config; libpng, libjpeg-turbo, liblinear, zlib, liblmdb, OpenSSL's libcrypto, libyaml headers);
#  - the pinned PyPI torch wheel into .deps/python (pip --target, never the system site-packages);
#  - .deps/torch-build.json, read by Package.swift: torch version, C++11 ABI flag, install root.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_PIN="2.13.0"
DEPS=.deps
PYDIR="$DEPS/python"
CONFIG="$DEPS/torch-build.json"
APT_PACKAGES=(pkg-config libpng-dev libjpeg62-turbo-dev liblinear-dev zlib1g-dev liblmdb-dev libssl-dev libyaml-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
installed_version() {
  [ -f "$PYDIR/torch/version.py" ] || return 0
  sed -n "s/^__version__ = '\(.*\)'$/\1/p" "$PYDIR/torch/version.py"
}
version="$(installed_version)"
if [ "${version%%+*}" != "$TORCH_PIN" ]; then
  echo "setup: installing torch==$TORCH_PIN into $PYDIR"
  rm -rf "$PYDIR"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --target "$PYDIR" "torch==$TORCH_PIN"
  version="$(installed_version)"
fi
[ "${version%%+*}" = "$TORCH_PIN" ] || { echo "setup: torch $TORCH_PIN did not install (found '$version')" >&2; exit 1; }

if [ ! -f "$CONFIG" ] || ! grep -q "\"version\": \"$version\"" "$CONFIG"; then
  # Read the ABI flag from the installed package itself; run outside the repo so `torch/` is not shadowed.
  abi="$(cd /tmp && PYTHONPATH="$OLDPWD/$PYDIR" "$PYTHON" -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')"
  tmp="$(mktemp "$DEPS/torch-build.XXXXXX")"
  printf '{\n  "version": "%s",\n  "cxx11_abi": %s,\n  "torch_root": "python/torch"\n}\n' "$version" "$abi" > "$tmp"
  mv "$tmp" "$CONFIG"
fi
echo "setup: torch $version ready ($CONFIG)"
