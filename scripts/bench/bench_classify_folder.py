"""Images per second of `kiosk classify` over a folder: one process for all (the model and
detector loaded once) against one process per image (the only way before there was a folder
form). One `key=value` line per case, with the CPU model and whether it has AVX-512.

  .venv/bin/python -m scripts.bench.bench_classify_folder              # 20 photos (held-out sized)
  .venv/bin/python -m scripts.bench.bench_classify_folder --images 3   # a quick functional run

The photos are the real ones the label benchmark uses (scripts/bench/label_faces.py: skimage's
astronaut and camera man, matplotlib's Grace Hopper, opencv-doc's when installed), written as
JPEG files and taken in turn, every other round mirrored, until there are --images of them.
Both cases run the real command (`python -m kiosk classify ... --json`) as a curator would,
wall-clock time from start to exit, so start-up and model loading count as they do for them.
Run on an otherwise idle machine; the lead runs the figures that are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from scripts.bench.label_faces import photos

ROOT = Path(__file__).resolve().parents[2]

KIOSK = [sys.executable, "-m", "kiosk", "classify"]


def cpu_fields() -> str:
    """`cpu="..." avx512=yes|no`, from /proc/cpuinfo (the first processor's model name and
    whether any avx512* flag is present)."""
    model, avx512 = "unknown", False
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags":
                avx512 = avx512 or any(f.startswith("avx512") for f in value.split())
    except OSError:
        pass
    return f'cpu="{model}" cores={os.cpu_count()} avx512={"yes" if avx512 else "no"}'


def write_photos(folder: Path, count: int) -> list[Path]:
    """`count` JPEG files of real photos of people, in turn, every other round mirrored."""
    shots = list(photos().items())
    paths = []
    for i in range(count):
        name, rgb = shots[i % len(shots)]
        rounds = i // len(shots)
        if rounds % 2:
            rgb = rgb[:, ::-1]
        path = folder / f"{i:03d}-{name}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        paths.append(path)
    return paths


def _run(args: list[str]) -> tuple[float, list[dict]]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    started = time.perf_counter()
    proc = subprocess.run([*KIOSK, *args, "--json"], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=1800, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"kiosk classify {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return seconds, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def line(case: str, images: int, seconds: float, faces: int, cpu: str) -> str:
    return (f"case={case} images={images} seconds={seconds:.2f} "
            f"images_per_s={images / seconds:.3f} faces={faces} {cpu} "
            f"date={time.strftime('%Y-%m-%d')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=20, help="photos in the folder (default 20)")
    args = ap.parse_args(argv)
    if args.images < 1:
        ap.error("--images must be at least 1")
    cpu = cpu_fields()
    with tempfile.TemporaryDirectory(prefix="bench-classify-") as tmp:
        folder = Path(tmp)
        paths = write_photos(folder, args.images)
        seconds, docs = _run([str(folder)])
        assert len(docs) == len(paths) and not any("error" in d for d in docs), docs
        faces = sum(len(d["faces"]) for d in docs)
        print(line("one_process", len(paths), seconds, faces, cpu), flush=True)
        one = seconds
        seconds, faces = 0.0, 0
        for path in paths:
            took, (doc,) = _run([str(path)])
            seconds += took
            faces += len(doc["faces"])
        print(line("process_per_image", len(paths), seconds, faces, cpu), flush=True)
        print(f"case=speedup images={len(paths)} one_process_vs_per_image={seconds / one:.2f} "
              f"{cpu} date={time.strftime('%Y-%m-%d')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
