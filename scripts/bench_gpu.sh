#!/usr/bin/env bash
# The GPU figures of docs/speed.md: the three benchmarks on a machine with an NVIDIA GPU, CUDA provider.
#
#   scripts/bench_gpu.sh [OUT_DIR]        # PY=python3 to use another interpreter than .venv's
#
# Builds the GPU's steady model if it is not there, prints `kiosk doctor` (which provider and
# model the kiosk chose, and why), then, most telling first (a short GPU lease may cut the
# tail): bench_classifier (3 runs of the steady model on the best provider), bench_kiosk (3
# runs, 5 s of steady state per case instead of 15), eval_labels for the steady model on the
# GPU (its float arithmetic is not the CPU's, and labels can follow), then 1 run each of
# bench_classifier with --no-fixed-batch (what one input shape saves), of the four-view CPU
# model there and of the steady model on that machine's CPU, and bench_detect (MediaPipe runs
# on the CPU; its recall does not depend on the GPU). Each output is also saved under OUT_DIR.
# Stops nothing it did not start; starts nothing that outlives it.
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
# the model a GPU kiosk runs (classifier.gpu_model_dir, built by scripts/setup.sh), before the
# doctor looks for it
"$PY" -m scripts.modelbuild.build_person_head --view-set steady --out-dir models/person_steady --if-stale
run doctor "$PY" -m kiosk doctor
for i in 1 2 3; do run "classifier_best_$i" "$PY" -m scripts.bench.bench_classifier --model-dir models/person_steady; done
for i in 1 2 3; do run "kiosk_$i" "$PY" -m scripts.bench.bench_kiosk --seconds 5; done
run eval_labels_gpu "$PY" -m scripts.bench.eval_labels --model-dir models/person_steady --providers tensorrt,cuda,cpu
run classifier_no_fixed_batch "$PY" -m scripts.bench.bench_classifier --model-dir models/person_steady --no-fixed-batch
run classifier_shipped "$PY" -m scripts.bench.bench_classifier
run classifier_cpu "$PY" -m scripts.bench.bench_classifier --model-dir models/person_steady --providers cpu
run detect "$PY" -m scripts.bench.bench_detect
