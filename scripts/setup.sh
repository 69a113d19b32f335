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
  binutils            # readelf: the GPU runtime test reads which CUDA libraries onnxruntime links
  libseccomp2         # the kiosk denies itself internet sockets (kiosk/service/network_guard.py)
  opencv-doc          # real photos of people (messi5, basketball) for scripts.bench.eval_labels; optional
  xvfb x11-xserver-utils  # a real X server and xset: the screen on/off switch (systemd/screen-power.sh)
  cage xwayland grim  # the service's display path (compositor, X for SDL) and reading its screen back
  v4l-utils           # v4l2-ctl: a webcam's formats and its exposure-driven frame-rate drop
  espeak-ng           # audio.speak: the landed label said aloud, offline (and its tests)
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
# x86-64, CPython 3.11, 3.12 or 3.13: whichever the machine has, or PYTHON=; refreshed by
# scripts/lock.sh), the GPU runtime where an NVIDIA driver is present, then the kiosk itself,
# resolving nothing. VENV= names another folder (CI sets up one per Python).
VENV=${VENV:-.venv}
./scripts/make_venv.sh "$VENV"

# The GPU's person model (classifier.gpu_model_dir): the shipped one with six views at two
# scales, built from it by graph surgery (a few seconds, nothing downloaded), again whenever
# the shipped model changes.
"$VENV/bin/python" -m scripts.modelbuild.build_person_head --view-set steady --out-dir models/person_steady --if-stale
