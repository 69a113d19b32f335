#!/usr/bin/env bash
# A smoke test of an installed virtual environment (CI runs it on the Pythons the suite does
# not run on): the models are the README's bytes, a real photo is labelled, and 5 s of the real
# loop run headless on the bundled demo. One line per check; exit 1 on the first failure.
#
#   scripts/smoke.sh VENV
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:?usage: smoke.sh VENV}
PY=$VENV/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "smoke: $("$PY" -VV | head -1) in $VENV"

# 1. the models' sha256, as the README's table names them
for model in models/person_effnet/person_effnet_lite2_scores.onnx \
             models/person_steady/person_effnet_lite2_scores.onnx; do
  want=$(grep -F "\`$model\`" README.md | grep -oE '[0-9a-f]{64}')
  got=$(sha256sum "$model" | cut -d' ' -f1)
  [ -n "$want" ] && [ "$want" = "$got" ] || { echo "smoke: $model sha256 $got, README says ${want:-nothing}" >&2; exit 1; }
  echo "smoke: ok sha256 $model"
done

# 2. kiosk classify on a real photo (scikit-image's astronaut): one face, a label
"$PY" -c "import sys, cv2, skimage.data as d; cv2.imwrite(sys.argv[1], cv2.cvtColor(d.astronaut(), cv2.COLOR_RGB2BGR))" "$work/astronaut.png"
"$VENV/bin/kiosk" classify "$work/astronaut.png" --json > "$work/out.json" 2> "$work/classify.log" \
  || { cat "$work/classify.log" >&2; exit 1; }
"$PY" - "$work/out.json" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
faces = doc["faces"]
assert len(faces) == 1 and faces[0]["label"] and faces[0]["breadcrumb"], doc
print(f"smoke: ok classify: 1 face, {faces[0]['label']!r}")
PYEOF

# 3. 5 s of the real loop, headless, on the bundled demo
SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy "$VENV/bin/kiosk" run --headless --seconds 5 \
  > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
line=$(grep -E "stopped after [0-9]+ frames" "$work/run.log") || { cat "$work/run.log" >&2; exit 1; }
frames=$(echo "$line" | grep -oE "after [0-9]+" | grep -oE "[0-9]+")
[ "$frames" -gt 30 ] || { echo "smoke: only $frames frames in 5 s" >&2; exit 1; }
echo "smoke: ok run: ${line#*kiosk: }"
