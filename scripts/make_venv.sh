#!/usr/bin/env bash
# Make (or keep) a virtual environment holding exactly the lock, and the kiosk installed from
# a project folder. Used by scripts/setup.sh (the checkout's .venv) and systemd/install.sh (the
# service's venv), so a developer and a museum run the same packages.
#
#   scripts/make_venv.sh VENV [PROJECT]     (PROJECT: default this checkout)
#
# The interpreter: $PYTHON, else the first of python3.11, python3.12, python3.13 on PATH. One
# lock (requirements/lock.txt, sha256-pinned) serves CPython 3.11, 3.12 and 3.13 on Linux x86-64:
# it is resolved on 3.11 and every pinned release has files for all three (.ci/run installs it on
# each). Where an NVIDIA driver is present (/proc/driver/nvidia/version, or nvidia-smi), the CUDA
# and cuDNN runtime onnxruntime-gpu loads (requirements/gpu-lock.txt, sha256-pinned) goes in too.
# The venv is made anew whenever the lock, the GPU choice or the interpreter changes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${1:?usage: make_venv.sh VENV [PROJECT]}
PROJECT=${2:-$HERE}
LOCK=$HERE/requirements/lock.txt
GPU_LOCK=$HERE/requirements/gpu-lock.txt

if [ -z "${PYTHON:-}" ]; then
  for candidate in python3.11 python3.12 python3.13; do
    # runs, not only found: a pyenv shim is on PATH even for versions it will not run
    if "$candidate" -c '' >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if [ -z "${PYTHON:-}" ]; then
  echo "make_venv: no python3.11, python3.12 or python3.13 found: install one (or set PYTHON=)" >&2
  exit 2
fi
platform="$(uname -sm) $("$PYTHON" -c 'import sys; print(sys.implementation.name, "%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
case "$platform" in
  "Linux x86_64 cpython 3.11"|"Linux x86_64 cpython 3.12"|"Linux x86_64 cpython 3.13") ;;
  *) echo "make_venv: the lock is for Linux x86_64, CPython 3.11-3.13; $PYTHON here is: $platform" >&2
     echo "make_venv: install python3.11, 3.12 or 3.13 (or set PYTHON=/path/to/python3.X)" >&2
     exit 2 ;;
esac

gpu=no
if [ -r /proc/driver/nvidia/version ] || command -v nvidia-smi >/dev/null; then gpu=yes; fi
stamp=$VENV/.lock-$(cat "$LOCK" "$GPU_LOCK" <(echo "gpu=$gpu") <("$PYTHON" -VV) | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  if [ -e "$VENV" ]; then
    echo "make_venv: the lock, the GPU or $PYTHON changed since $VENV was made: making it anew"
    rm -rf "$VENV"
  fi
  echo "make_venv: creating $VENV with $PYTHON ($platform) and installing $(basename "$LOCK")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r "$LOCK"
  if [ "$gpu" = yes ]; then
    echo "make_venv: NVIDIA driver found: installing the CUDA and cuDNN runtime ($(basename "$GPU_LOCK"))"
    "$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r "$GPU_LOCK"
  fi
  touch "$stamp"
fi
# The kiosk itself (editable: config paths such as models/ resolve inside PROJECT), again when
# its pyproject.toml changes; pip check fails if it asks for what the lock does not hold.
kiosk_stamp=$VENV/.kiosk-$(cat "$PROJECT/pyproject.toml" <(echo "$PROJECT") | sha256sum | cut -c1-16)
if [ ! -f "$kiosk_stamp" ]; then
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$PROJECT"
  if ! broken="$("$VENV/bin/python" -m pip check)"; then
    echo "$broken" >&2
    echo "make_venv: pyproject.toml needs what $(basename "$LOCK") does not hold: run scripts/lock.sh" >&2
    exit 1
  fi
  rm -f "$VENV"/.kiosk-*
  touch "$kiosk_stamp"
fi
