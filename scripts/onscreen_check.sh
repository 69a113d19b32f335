#!/usr/bin/env bash
# The kiosk on a real X screen (Xvfb) while four newcomers wait for their labels: the real
# window, renderer, detector and model on a 4-face video (scripts/bench/bench_kiosk.py's), the
# metrics line every 2 s, and screenshots read back from the X server (xwd) at 0.4 s steps
# from the start, into OUT (default: a new temporary folder). Needs xvfb, x11-apps, netpbm.
#   ./scripts/onscreen_check.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
.venv/bin/python -c "
from pathlib import Path
from scripts.bench.bench_kiosk import make_video; make_video(Path('$out/four.avi'), 4, frames=300)"
Xvfb :99 -screen 0 1280x720x24 >"$out/xvfb.log" 2>&1 & xpid=$!
trap 'kill $xpid 2>/dev/null || true' EXIT
sleep 2
DISPLAY=:99 SDL_VIDEODRIVER=x11 .venv/bin/kiosk run --set camera.source=video \
  --set camera.path="$out/four.avi" --set display.width=1280 --set display.height=720 \
  --set display.fullscreen=false --set display.debug_overlay=true \
  --set service.metrics_interval_s=2 --set calibration.enabled=false >"$out/kiosk.log" 2>&1 &
kpid=$!
for step in 1 2 3 4 5 6 8 10; do
  sleep 0.4
  DISPLAY=:99 xwd -root -silent -out "$out/screen_$step.xwd"
done
sleep 8
kill -TERM $kpid; wait $kpid && echo "kiosk stopped cleanly"
for f in "$out"/screen_*.xwd; do xwdtopnm "$f" 2>/dev/null | pnmtopng >"${f%.xwd}.png"; rm "$f"; done
grep -E "metrics|first frame" "$out/kiosk.log" | sed 's/^INFO //'
echo "screenshots: $out/screen_*.png"
