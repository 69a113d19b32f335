"""The demo's changes of scene, frame by frame, read back from the screen: no box without a face.

  Xvfb :7 -screen 0 1280x720x24 -fbdir /tmp/fb &
  DISPLAY=:7 SDL_VIDEODRIVER=x11 .venv/bin/python -m scripts.ops.screenshot_transitions \\
      --fb /tmp/fb/Xvfb_screen0 [--out docs/demo-transitions.png]

The real KioskApp, as `kiosk run` runs it on a machine with no camera (reader and detection
threads, the shipped model labelling), on the bundled demo in real time, through its three
changes of scene (8 s: the astronaut alone -> two visitors; 16 s: -> the empty room with the
coffee cup; 22 s: -> the astronaut again). Every frame drawn from 0.3 s before to 0.7 s after
each change is read back from the screen: from the X server's own framebuffer with `--fb` (Xvfb
writes it to a file with -fbdir), else from the pygame surface. Each box drawn is checked
against the faces the detector finds on the demo's frame at that moment, looked at as a still
(every square searched): a box that covers none of them is a box without a face. One
key=value line per change of scene, and a contact sheet (PNG) of the frames around each.
"""

from __future__ import annotations

import argparse
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CHANGES = ((8.0, "one visitor -> two"), (16.0, "two visitors -> empty room"),
           (22.0, "empty room -> one visitor"))
BEFORE_S, AFTER_S = 0.3, 0.7
THUMB = (320, 180)


def read_xwd(path: Path) -> np.ndarray:
    """The screen as RGB from an XWD file (Xvfb's -fbdir framebuffer, 24/32 bits a pixel)."""
    data = path.read_bytes()
    fields = struct.unpack(">25I", data[:100])
    header, width, height = fields[0], fields[4], fields[5]
    bits, per_line, ncolors = fields[11], fields[12], fields[19]
    if bits != 32:
        raise SystemExit(f"screenshot_transitions: {path} has {bits} bits a pixel, not 32")
    start = header + 12 * ncolors
    pixels = np.frombuffer(data, np.uint8, per_line * height, start).reshape(height, per_line)
    bgrx = pixels[:, : width * 4].reshape(height, width, 4)
    return np.ascontiguousarray(bgrx[:, :, 2::-1])


@dataclass
class Shot:
    t: float
    boxes: list  # the boxes drawn (kiosk Box, source pixels)
    thumb: np.ndarray  # the screen as read back, small
    without_face: int = 0  # boxes that cover no face the still detector finds


def timed_demo(width: int, height: int, fps: float):  # noqa: ANN201 - a DemoSource
    """The demo source in real time, remembering the moment of each frame it made: `moments`,
    by read count (the reader's frame index less one)."""
    from kiosk.sources.demo import DemoSource

    class TimedDemo(DemoSource):
        def __init__(self) -> None:
            super().__init__(width, height, fps)
            self.moments: list[float] = []
            self.started = time.monotonic()

        def read(self) -> np.ndarray:
            t = time.monotonic() - self.started
            self.moments.append(t)
            return self.compose(t)

    return TimedDemo()


def boxes_without_face(boxes: list, reference) -> int:  # noqa: ANN001 - Detections
    faces = reference.boxes()
    return sum(1 for box in boxes if not any(box.iou(r) >= 0.3 for r in faces))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "demo-transitions.png")
    ap.add_argument("--fb", type=Path, help="Xvfb's framebuffer file (-fbdir DIR/Xvfb_screen0)")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    args = ap.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    import cv2

    from kiosk.app import KioskApp
    from kiosk.classify.loading import load_model_parts
    from kiosk.config import load_config
    from kiosk.detect import FaceDetector
    from kiosk.hostinfo import host_info

    config = load_config(None, [f"display.width={args.width}", f"display.height={args.height}",
                                "display.fullscreen=false"])
    parts = load_model_parts(config)
    still = FaceDetector.from_config(config)
    source = timed_demo(args.width, args.height, config.camera.fps)
    app = KioskApp(config, parts.labeller, source, provider=parts.classifier.provider,
                   notice="no camera: the bundled demo")
    shots: dict[float, list[Shot]] = {at: [] for at, _ in CHANGES}
    try:
        while True:
            view = app.step()
            app.present()
            app.pacer.wait()
            index = app.pipeline.last_frame_index
            if index < 1 or index > len(source.moments):
                continue
            t = source.moments[index - 1]
            if t > CHANGES[-1][0] + AFTER_S + 0.2:
                break
            at = next((a for a, _ in CHANGES if a - BEFORE_S <= t <= a + AFTER_S), None)
            if at is None:
                continue
            screen = read_xwd(args.fb) if args.fb else app.screenshot()
            thumb = cv2.resize(screen, THUMB, interpolation=cv2.INTER_AREA)
            shots[at].append(Shot(t, [f.box for f in view.faces], thumb))
    finally:
        app.close()
        parts.close()
    try:  # afterwards: the reference faces of each frame shown (the demo is deterministic)
        for shot in (s for got in shots.values() for s in got):
            shot.without_face = boxes_without_face(shot.boxes, still.detect_still(
                source.compose(shot.t)))
    finally:
        still.close()
    host = host_info()
    print(f"# screenshot_transitions {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC "
          f"{host.describe()}; screen read back from "
          f"{'the X server (' + str(args.fb) + ')' if args.fb else 'the pygame surface'}")
    rows = []
    for at, name in CHANGES:
        got = shots[at]
        after = [s for s in got if s.t >= at]
        print(f"change_s={at:.0f} scene=\"{name}\" frames={len(got)} "
              f"boxes_without_face={sum(s.without_face for s in got)} "
              f"boxes_first_frame_after={len(after[0].boxes) if after else -1} {host.keys()}")
        rows.append(_row(got, at))
    sheet = np.vstack(rows)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")
    return 0


def _row(shots: list[Shot], at: float, per_row: int = 8) -> np.ndarray:
    """`per_row` frames evenly from the window around a change, each marked with its time
    from the change and its boxes (red when one is without a face)."""
    import cv2

    picked = [shots[round(i * (len(shots) - 1) / (per_row - 1))] for i in range(per_row)] \
        if len(shots) >= per_row else shots + [None] * (per_row - len(shots))
    tiles = []
    for shot in picked:
        tile = np.zeros((THUMB[1], THUMB[0], 3), np.uint8) if shot is None else shot.thumb.copy()
        if shot is not None:
            colour = (255, 60, 60) if shot.without_face else (255, 255, 255)
            text = f"{shot.t - at:+.2f}s boxes={len(shot.boxes)}"
            cv2.putText(tile, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3)
            cv2.putText(tile, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, colour, 1)
        tiles.append(tile)
    return np.hstack(tiles)


if __name__ == "__main__":
    raise SystemExit(main())
