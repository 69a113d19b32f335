#!/usr/bin/env bash
# Set up everything the kiosk needs on a fresh Debian/Ubuntu machine: system packages and a
# virtual environment in .venv with the kiosk installed. Safe to run again (it is idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv        # the virtual environment
  libgl1 libegl1 libgles2 libglib2.0-0   # OpenCV and MediaPipe's native libraries
  wordnet-base wordnet-sense-index       # WordNet 3.0: rebuilding wordnet_labels/ and its tests
  systemd             # systemd-analyze, to check the unit in systemd/
  strace              # the privacy test watches every file and socket the kiosk opens
  libseccomp2         # the kiosk denies itself internet sockets (kiosk/service/network_guard.py)
  opencv-doc          # real photos of people (messi5, basketball) for scripts/eval_labels.py; optional
  xvfb x11-xserver-utils  # a real X server and xset: the screen on/off switch (systemd/screen-power.sh)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python packages: exactly those of requirements/lock.txt (versions and sha256 hashes for Linux
# x86-64, CPython 3.11; refreshed by scripts/lock.sh), then the kiosk itself, resolving nothing.
# .venv is made anew whenever the lock or the interpreter changes.
PYTHON="${PYTHON:-python3.11}"
LOCK=requirements/lock.txt
platform="$(uname -sm) $("$PYTHON" -c 'import sys; print(sys.implementation.name, "%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
if [ "$platform" != "Linux x86_64 cpython 3.11" ]; then
  echo "setup: $LOCK is for Linux x86_64 cpython 3.11; $PYTHON here is: $platform" >&2
  echo "setup: install python3.11 (or set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
lock_stamp=.venv/.lock-$(cat "$LOCK" <("$PYTHON" -VV) | sha256sum | cut -c1-16)
if [ ! -f "$lock_stamp" ]; then
  if [ -e .venv ]; then
    echo "setup: $LOCK or $PYTHON changed since .venv was made: making .venv anew"
    rm -rf .venv
  fi
  echo "setup: creating .venv with $PYTHON and installing $LOCK"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r "$LOCK"
  touch "$lock_stamp"
fi
# The kiosk itself (editable), again when pyproject.toml changes (entry points, metadata);
# pip check fails if pyproject.toml asks for a package the lock lacks: run scripts/lock.sh.
kiosk_stamp=.venv/.kiosk-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$kiosk_stamp" ]; then
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  if ! broken="$(.venv/bin/python -m pip check)"; then
    echo "$broken" >&2
    echo "setup: pyproject.toml needs what $LOCK does not hold: run scripts/lock.sh" >&2
    exit 1
  fi
  rm -f .venv/.kiosk-*
  touch "$kiosk_stamp"
fi

# The GPU's person model (classifier.gpu_model_dir): the shipped one with six views at two
# scales, built from it by graph surgery (a few seconds, nothing downloaded), again whenever
# the shipped model changes.
.venv/bin/python scripts/build_person_head.py --view-set steady --out-dir models/person_steady --if-stale
