"""Benchmark face detection reach: recall by face size, false positives, time per frame.

Real faces (skimage's astronaut and camera man, matplotlib's Grace Hopper, each also
mirrored) are pasted, with a soft-edged head-and-shoulders cut-out, at known face widths
(24 ... 120 px) and seeded positions into real backgrounds (skimage photos and textures)
at 1280x720 and 1920x1080; scenes with nobody in them are mixed in. The frames go, as
consecutive video frames 1/30 s apart (clips in which the visitors stay), through the
kiosk's own `FaceDetector` built from the kiosk config, as the display loop calls it.
Deterministic (fixed seed). 24 clips a size (480 face-frames counted per size and
resolution): with 8 (the old default), the detector of 2026-11-30 read recall_32px 0.69 /
0.71; over 24, 0.83 / 0.80.
Prints one key=value line per resolution, with the host's keys (`cpu_model`, `avx512`,
`cores`: kiosk/hostinfo.py); asserts nothing.

    .venv/bin/python -m scripts.bench.bench_detect [--set detector.model=full_range ...]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.config import DetectorConfig, KioskConfig, load_config
from kiosk.detect import FaceDetector
from kiosk.hostinfo import host_info
from kiosk.views import Box

FACE_SIZES = (24, 32, 40, 56, 80, 120)
RESOLUTIONS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
HEAD_SCALE = 2.4  # the cut-out around a face: hair, ears, neck and some shoulder
FPS = 30.0
CLIP_FRAMES = 20  # frames a placement lasts (2/3 s)


@dataclass(frozen=True)
class Head:
    """A cut-out of a real photo and where the face is in it."""

    image: np.ndarray  # RGB uint8
    face: Box  # in `image` pixels


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def _photos() -> list[np.ndarray]:
    from skimage import data

    camera = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2RGB)
    return [data.astronaut(), camera, _grace_hopper()]


def load_heads() -> list[Head]:
    """Each photo's face (found by the full-range model at full size) as a cut-out, and mirrored."""
    cfg = KioskConfig()
    heads: list[Head] = []
    with FaceDetector(cfg.resolve(cfg.detector.full_range_path),
                      DetectorConfig(max_width=4096, min_confidence=0.5,
                                     search_tile_px=0)) as finder:
        for i, photo in enumerate(_photos()):
            found = finder.detect(photo, float(i))
            if len(found) == 0:
                raise RuntimeError(f"photo {i}: no face found to cut out")
            face = found.boxes()[0]
            cx, cy = (face.x0 + face.x1) / 2, (face.y0 + face.y1) / 2
            half = HEAD_SCALE * max(face.x1 - face.x0, face.y1 - face.y0) / 2
            h, w = photo.shape[:2]
            x0, y0 = int(max(0, cx - half)), int(max(0, cy - half * 0.8))
            x1, y1 = int(min(w, cx + half)), int(min(h, cy + half * 1.2))
            cut = np.ascontiguousarray(photo[y0:y1, x0:x1])
            local = Box(face.x0 - x0, face.y0 - y0, face.x1 - x0, face.y1 - y0)
            heads.append(Head(cut, local))
            mirrored = np.ascontiguousarray(cut[:, ::-1])
            cw = cut.shape[1]
            heads.append(Head(mirrored, Box(cw - local.x1, local.y0, cw - local.x0, local.y1)))
    return heads


def load_backgrounds() -> list[np.ndarray]:
    """Real photos and textures with nobody in them (RGB)."""
    from skimage import data

    grey = [data.brick(), data.gravel(), data.coins(), data.page(), data.grass()]
    colour = [data.coffee(), data.rocket(), data.hubble_deep_field(), data.immunohistochemistry(),
              data.retina()]
    return colour + [cv2.cvtColor(g, cv2.COLOR_GRAY2RGB) for g in grey]


def _background(backgrounds: list[np.ndarray], index: int, size: tuple[int, int],
                rng: np.random.Generator) -> np.ndarray:
    """A resized, randomly cropped and dimmed/brightened background (a different room)."""
    src = backgrounds[index % len(backgrounds)]
    h, w = src.shape[:2]
    cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    frame = cv2.resize(src[y:y + ch, x:x + cw], size, interpolation=cv2.INTER_LINEAR)
    return cv2.convertScaleAbs(frame, alpha=float(rng.uniform(0.5, 1.1)))


def paste(frame: np.ndarray, head: Head, face_px: int, x: int, y: int) -> Box:
    """Blend `head` scaled to a face `face_px` wide with its face's top-left at (x, y)."""
    scale = face_px / (head.face.x1 - head.face.x0)
    hw = max(2, round(head.image.shape[1] * scale))
    hh = max(2, round(head.image.shape[0] * scale))
    small = cv2.resize(head.image, (hw, hh), interpolation=cv2.INTER_AREA)
    ox, oy = round(x - head.face.x0 * scale), round(y - head.face.y0 * scale)
    mask = np.zeros((hh, hw), np.float32)
    cv2.ellipse(mask, (hw // 2, hh // 2), (hw // 2 - 1, hh // 2 - 1), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, hw / 20))[..., None]
    fh, fw = frame.shape[:2]
    sx0, sy0 = max(0, -ox), max(0, -oy)
    dx0, dy0 = max(0, ox), max(0, oy)
    dx1, dy1 = min(fw, ox + hw), min(fh, oy + hh)
    if dx1 > dx0 and dy1 > dy0:
        region = frame[dy0:dy1, dx0:dx1].astype(np.float32)
        part = small[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0].astype(np.float32)
        alpha = mask[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
        frame[dy0:dy1, dx0:dx1] = (alpha * part + (1 - alpha) * region).astype(np.uint8)
    face_h = (head.face.y1 - head.face.y0) * scale
    return Box(x, y, x + face_px, y + face_h)


def _positions(rng: np.random.Generator, size: tuple[int, int], face_px: int,
               count: int) -> list[tuple[int, int]]:
    """Face top-left corners, anywhere with the whole face in frame, not overlapping."""
    w, h = size
    spots: list[tuple[int, int]] = []
    margin = 2 * face_px
    for _ in range(200):
        if len(spots) == count:
            break
        x = int(rng.integers(0, w - face_px))
        y = int(rng.integers(0, h - int(1.4 * face_px)))
        if all(abs(x - sx) > margin or abs(y - sy) > margin for sx, sy in spots):
            spots.append((x, y))
    return spots


def matches(truth: Box, found: Box) -> bool:
    """A detection counts when it overlaps the face or its centre lies on the face."""
    cx, cy = (found.x0 + found.x1) / 2, (found.y0 + found.y1) / 2
    return truth.iou(found) >= 0.3 or (truth.x0 <= cx <= truth.x1 and truth.y0 <= cy <= truth.y1)


def run_resolution(name: str, size: tuple[int, int], detector: FaceDetector, heads: list[Head],
                   backgrounds: list[np.ndarray], clips_per_size: int, faces_per_frame: int,
                   empty_clips: int, clip_frames: int = CLIP_FRAMES,
                   seed: int = 9, sizes: tuple[int, ...] = FACE_SIZES) -> dict[str, float | str]:
    """Clips of `clip_frames` consecutive frames: visitors stay put (drifting a little) for
    the clip, as they do in front of the kiosk; recall counts the clip's second half, once
    the detector has had half a clip to find them (a search sweeps tiles over frames)."""
    rng = np.random.default_rng(seed)
    plan: list[int | None] = [s for s in sizes for _ in range(clips_per_size)]
    plan += [None] * empty_clips
    order = rng.permutation(len(plan))
    hits = {s: 0 for s in sizes}
    total = {s: 0 for s in sizes}
    false_pos = 0
    times: list[float] = []
    frame_no = 0
    for n, i in enumerate(order):
        face_px = plan[i]
        backdrop = _background(backgrounds, n, size, rng)
        spots = [] if face_px is None else _positions(rng, size, face_px, faces_per_frame)
        for f in range(clip_frames):
            frame = backdrop.copy()
            truths: list[Box] = []
            for k, (x, y) in enumerate(spots):
                dx, dy = round(3 * np.sin(f / 5 + k)), round(2 * np.cos(f / 7 + k))
                x = int(np.clip(x + dx, 0, size[0] - face_px))
                y = int(np.clip(y + dy, 0, size[1] - int(1.4 * face_px)))
                truths.append(paste(frame, heads[(n + k) % len(heads)], face_px, x, y))
            started = time.perf_counter()
            found = detector.detect(frame, frame_no / FPS).boxes()
            times.append(time.perf_counter() - started)
            frame_no += 1
            matched = [False] * len(found)
            for truth in truths:
                hit = False
                for j, box in enumerate(found):
                    if not matched[j] and matches(truth, box):
                        matched[j] = hit = True
                        break
                if face_px is not None and f >= clip_frames // 2:
                    total[face_px] += 1
                    hits[face_px] += hit
            false_pos += matched.count(False)
    ms = np.asarray(times) * 1000.0
    out: dict[str, float | str] = {"case": name}
    for s in sizes:
        out[f"recall_{s}px"] = hits[s] / total[s] if total[s] else float("nan")
    out["false_pos_per_1000_frames"] = 1000.0 * false_pos / frame_no
    out["frames"] = frame_no
    out["detect_ms_p50"] = float(np.percentile(ms, 50))
    out["detect_ms_p99"] = float(np.percentile(ms, 99))
    return out


def format_line(result: dict[str, float | str]) -> str:
    parts = []
    for key, value in result.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.3f}" if key.startswith("recall") else f"{key}={value:.2f}")
        else:
            parts.append(f"{key}={value}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="kiosk YAML (default: shipped)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override, e.g. detector.model=full_range")
    parser.add_argument("--clips-per-size", type=int, default=24)
    parser.add_argument("--faces-per-frame", type=int, default=2)
    parser.add_argument("--empty-clips", type=int, default=36)
    parser.add_argument("--clip-frames", type=int, default=CLIP_FRAMES)
    parser.add_argument("--seed", type=int, default=9,
                        help="another draw of backgrounds, positions and sizes' order")
    parser.add_argument("--resolutions", nargs="+", default=list(RESOLUTIONS),
                        choices=list(RESOLUTIONS))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(FACE_SIZES),
                        help="face widths in px (near visitors: 160 240 320)")
    args = parser.parse_args(argv)

    config = load_config(args.config, args.overrides)
    heads = load_heads()
    backgrounds = load_backgrounds()
    for name in args.resolutions:
        with FaceDetector.from_config(config) as detector:
            # one untimed frame first: MediaPipe builds its graph on the first call
            detector.detect(np.zeros((*RESOLUTIONS[name][::-1], 3), np.uint8), 0.0)
            result = run_resolution(name, RESOLUTIONS[name], detector, heads, backgrounds,
                                    args.clips_per_size, args.faces_per_frame,
                                    args.empty_clips, args.clip_frames,
                                    seed=args.seed, sizes=tuple(args.sizes))
        host = host_info()
        result.update(cpu_model=host.cpu_model_key, avx512=int(host.avx512), cores=host.cores)
        print(format_line(result), flush=True)
    return 0


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()  # MediaPipe's routine chatter stays out of the figures
    raise SystemExit(main())
