#!/usr/bin/env bash
# The one command for a newcomer: set up (first time only) and run the kiosk.
# With no camera it shows the bundled demo; with no screen it runs headless.
# Extra arguments go to `kiosk run`, e.g. ./scripts/kiosk.sh --set display.fullscreen=false
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/kiosk run "$@"
