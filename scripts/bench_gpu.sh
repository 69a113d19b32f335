#!/usr/bin/env bash
# The README's GPU figures: the three benchmarks on a machine with an NVIDIA GPU, CUDA provider.
#
#   scripts/bench_gpu.sh [OUT_DIR]        # PY=python3 to use another interpreter than .venv's
#
# Prints `kiosk doctor` (which provider and model the kiosk chose, and why), then
# bench_classifier (3 runs of the GPU's steady model on the best provider, 1 with
# --no-fixed-batch to show what one input shape saves, 1 of the CPU's model there, 1 on the CPU
# for comparison on the same machine), eval_labels for the steady model (on the CPU, as in the
# README), bench_kiosk (3 runs, 5 s of steady state per case instead of 15, to keep the GPU
# lease short), bench_detect (1 run: detection is
# MediaPipe on the CPU; its recall does not depend on the GPU). Each output is also saved
# under OUT_DIR. Stops nothing it did not start; starts nothing that outlives it.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT_DIR=${1:-/tmp/bench_gpu}
mkdir -p "$OUT_DIR"
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-dummy} SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

run() {  # run NAME CMD...: print and save one benchmark's output
    local name=$1; shift
    echo "### $name"
    "$@" 2>&1 | tee "$OUT_DIR/$name.txt"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
grep -m1 "model name" /proc/cpuinfo; nproc
run doctor "$PY" -m kiosk doctor
# the model a GPU kiosk runs (classifier.gpu_model_dir, built by scripts/setup.sh), then the CPU's
"$PY" scripts/build_person_head.py --view-set steady --out-dir models/person_steady --if-stale
for i in 1 2 3; do run "classifier_best_$i" "$PY" scripts/bench_classifier.py --model-dir models/person_steady; done
run classifier_no_fixed_batch "$PY" scripts/bench_classifier.py --model-dir models/person_steady --no-fixed-batch
run classifier_shipped "$PY" scripts/bench_classifier.py
run classifier_cpu "$PY" scripts/bench_classifier.py --providers cpu
run eval_labels_gpu_model "$PY" scripts/eval_labels.py --model-dir models/person_steady
for i in 1 2 3; do run "kiosk_$i" "$PY" scripts/bench_kiosk.py --seconds 5; done
run detect "$PY" scripts/bench_detect.py
