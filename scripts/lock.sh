#!/usr/bin/env bash
# Refresh requirements/lock.txt, the exact versions and sha256 hashes that scripts/setup.sh
# installs (--require-hashes), from pyproject.toml's ranges (runtime + dev extras), pip and the
# build backend (requirements/installers.in), and the GPU runtime into requirements/gpu-lock.txt.
# Resolved on CPython 3.11 (the oldest supported); .ci/run installs the result on 3.12 and 3.13.
#
#   scripts/lock.sh             keep every pin that still fits; add what pyproject.toml gained
#   scripts/lock.sh --upgrade   move every package to the newest release its range allows
#   scripts/lock.sh --upgrade-package NAME   move one package (pip-compile options pass through)
#
# pip-compile (pip-tools) runs in its own throwaway venv, with this machine's pip settings
# (index, extra indexes, find-links), so the hashes cover every file pip may pick here. The next
# ./scripts/setup.sh sees the new lock and re-creates .venv from it.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_TOOLS="pip-tools==7.6.2"
PYTHON="${PYTHON:-python3.11}"
LOCK=requirements/lock.txt
GPU_LOCK=requirements/gpu-lock.txt

if [ "$(uname -sm)" != "Linux x86_64" ] \
   || [ "$("$PYTHON" -c 'import sys; print(sys.implementation.name, *sys.version_info[:2])')" != "cpython 3 11" ]; then
  echo "lock: the lock is resolved on Linux x86-64 and CPython 3.11; run this there (PYTHON=python3.11)" >&2
  exit 2
fi

tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/python" -m pip install -q "$PIP_TOOLS"

CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --extra dev \
  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
  --output-file "$LOCK" "$@" pyproject.toml requirements/installers.in

# Say which platform the hashes are for (pip-compile rewrites the file, so added each time).
header="# Lock for Linux x86-64, CPython 3.11, 3.12 and 3.13 (resolved on 3.11; every release pinned
# here has files for all three): every package the kiosk and its tests install, pinned with the
# sha256 of each file. scripts/setup.sh installs it with --require-hashes. Refresh it with
# scripts/lock.sh after changing pyproject.toml."
{ echo "$header"; cat "$LOCK"; } > "$LOCK.new" && mv "$LOCK.new" "$LOCK"
echo "lock: wrote $LOCK ($(grep -c '^[a-z0-9]' "$LOCK") packages)"

# The GPU runtime (requirements/gpu.in: onnxruntime-gpu's cuda and cudnn extras), held to the
# versions of the lock above; installed only where an NVIDIA driver is present.
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
  --output-file "$GPU_LOCK" requirements/gpu.in
gpu_header="# The CUDA 13 and cuDNN 9 runtime of onnxruntime-gpu's CUDA provider (its extras cuda and cudnn),
# for Linux x86-64, any CPython: installed by scripts/setup.sh and systemd/install.sh with
# --require-hashes only where an NVIDIA driver is present. Refreshed by scripts/lock.sh."
{ echo "$gpu_header"; cat "$GPU_LOCK"; } > "$GPU_LOCK.new" && mv "$GPU_LOCK.new" "$GPU_LOCK"
echo "lock: wrote $GPU_LOCK ($(grep -c '^[a-z0-9]' "$GPU_LOCK") packages)"
