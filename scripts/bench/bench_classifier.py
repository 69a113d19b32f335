"""Per-crop latency of the person classifier: p50/p99 at batch 1 and batch 8, and RSS.

Prints one key=value line per batch size (`case=batch_1 ...`), after `#` comment lines; each
line ends with the host's keys (`cpu_model=... avx512=0|1 cores=N`, kiosk/hostinfo.py).

  .venv/bin/python -m scripts.bench.bench_classifier                 # default model, best provider
  .venv/bin/python -m scripts.bench.bench_classifier --providers cpu --threads 2

Times include preprocessing (resize, normalise) of real face-sized crops, as the kiosk does;
per-crop time at batch 8 is the batch time / 8. `case=mixed_1to4` is the kiosk's pattern (batches
of 1, 3, 2, 4 crops in turn, as newcomers arrive): time per batch. On a GPU every batch runs
padded to the batch size (one input shape; see PersonClassifier.fixed_batch); `--no-fixed-batch`
turns that off, to see what it saves.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from kiosk.classify.classifier import PersonClassifier
from kiosk.doctor.selftest import per_crop_ms
from kiosk.hostinfo import host_info
from kiosk.views import Box

ROOT = Path(__file__).resolve().parents[2]


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except ImportError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def crops(n: int) -> list[np.ndarray]:
    from skimage import data

    astronaut = data.astronaut()
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        x, y = rng.integers(150, 200), rng.integers(60, 100)
        side = int(rng.integers(80, 110))
        out.append(Box(x, y, x + side, y + side).padded(0.6, 512, 512).crop(astronaut).copy())
    return out


def measure(clf: PersonClassifier, batch: list[np.ndarray], runs: int, warmup: int) -> np.ndarray:
    """Milliseconds per crop (batch time / batch size), `runs` times."""
    return per_crop_ms(clf.predict_proba, batch, runs, warmup)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "person_effnet")
    ap.add_argument("--providers", default="tensorrt,cuda,cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--no-fixed-batch", action="store_true",
                    help="give the GPU each batch at its own size (the old behaviour)")
    args = ap.parse_args(argv)

    rss0 = rss_mb()
    t0 = time.perf_counter()
    clf = PersonClassifier(args.model_dir, providers=args.providers.split(","),
                           threads=args.threads, batch_size=8)
    load_s = time.perf_counter() - t0
    if args.no_fixed_batch:
        clf.fixed_batch = False
    import onnxruntime as ort

    print(f"# model {clf.manifest.name} ({clf.manifest.model_file}, "
          f"{clf.model_path.stat().st_size / 1e6:.1f} MB, {len(clf.wnids)} classes, "
          f"input {clf.manifest.input_size[0]}x{clf.manifest.input_size[1]}); "
          f"provider {clf.provider}" + (f" ({clf.provider_note})" if clf.provider_note else ""))
    host = host_info()
    print(f"# host {host.describe()}, {__import__('os').cpu_count()} cpus, "
          f"onnxruntime {ort.__version__}, "
          f"threads {args.threads or 'default'}; load {load_s:.2f} s (checksum, session, "
          f"warm-up); rss before loading {rss0:.0f} MB")
    sample = crops(8)
    for size in (1, 8):
        ms = measure(clf, sample[:size], args.runs, args.warmup)
        print(f"case=batch_{size} provider={clf.provider} "
              f"per_crop_ms_p50={np.percentile(ms, 50):.2f} "
              f"per_crop_ms_p99={np.percentile(ms, 99):.2f} runs={args.runs} "
              f"rss_mb={rss_mb():.0f} {host.keys()}", flush=True)
    mixed = [sample[:n] for n in (1, 3, 2, 4)]
    for batch in mixed * max(1, args.warmup // 4):
        clf.predict_proba(batch)
    ms = []
    for i in range(args.runs):
        t0 = time.perf_counter()
        clf.predict_proba(mixed[i % len(mixed)])
        ms.append((time.perf_counter() - t0) * 1000.0)
    print(f"case=mixed_1to4 provider={clf.provider} fixed_batch={clf.fixed_batch} "
          f"per_batch_ms_p50={np.percentile(ms, 50):.2f} "
          f"per_batch_ms_p99={np.percentile(ms, 99):.2f} runs={args.runs} "
          f"rss_mb={rss_mb():.0f} {host.keys()}", flush=True)
    clf.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
