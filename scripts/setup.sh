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

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the kiosk and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The GPU's person model (classifier.gpu_model_dir): the shipped one with six views at two
# scales, built from it by graph surgery (a few seconds, nothing downloaded), again whenever
# the shipped model changes.
.venv/bin/python scripts/build_person_head.py --view-set steady --out-dir models/person_steady --if-stale
