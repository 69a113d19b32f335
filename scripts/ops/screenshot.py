"""The README's screenshot: the real kiosk on the bundled demo, read back from its screen.

  .venv/bin/python -m scripts.ops.screenshot [--out docs/screenshot.png] [--at 12] [--topk]
  .venv/bin/python -m scripts.ops.screenshot --spinning --out docs/spin.png   # the wheel, mid-spin

Builds the real KioskApp (MediaPipe detection, tracker, the shipped person model on
onnxruntime, labels and vocabulary, kiosk/render on a pygame surface) on the demo source, as
`kiosk run` shows it on a machine with no camera (with its "no camera" notice), holds the
demo's frame at `--at` seconds (the two-visitor scene by default), steps the display loop
until every face has its final label (or, with --spinning, until every face's wheel is turning
through its candidates, a third of its crops in), and writes the screen as a PNG. Headless
(SDL_VIDEODRIVER=dummy unless set, e.g. to x11 under Xvfb): the same pixels a screen shows.
Prints one line per face: its box and label. Nothing of a visitor is involved: the demo is
scikit-image's photographs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--at", type=float, default=12.0,
                    help="seconds into the demo's loop (8-16: two visitors; 0-8: one)")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--topk", action="store_true", help="show the 'why' panel (key T)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for labels")
    ap.add_argument("--spinning", action="store_true",
                    help="the moment the labels spin (classify/spin.py), not once they landed")
    args = ap.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    import cv2

    from kiosk.app import KioskApp
    from kiosk.classify.loading import load_model_parts
    from kiosk.config import load_config
    from kiosk.sources.demo import DemoSource

    class HeldDemo(DemoSource):
        """The demo's own frame at one moment, again and again (a still visit)."""

        def read(self):
            return self.compose(args.at)

    config = load_config(None, [f"display.width={args.width}", f"display.height={args.height}",
                                "display.fullscreen=false", f"display.show_topk={args.topk}"])
    parts = load_model_parts(config)
    source = HeldDemo(args.width, args.height, config.camera.fps)
    try:
        with KioskApp(config, parts.labeller, source, notice=config.texts.demo_notice,
                      provider=parts.classifier.provider) as app:
            deadline = time.monotonic() + args.timeout
            shown, steady_since = None, time.monotonic()
            while time.monotonic() < deadline:
                view = app.step()
                app.present()
                if args.spinning and len(view.faces) >= 2 and all(
                        f.spin is not None and f.spin.progress >= 0.3 for f in view.faces):
                    break
                labels = tuple(f.label.wnid if f.label else None for f in view.faces)
                if labels != shown:
                    shown, steady_since = labels, time.monotonic()
                # every face labelled, and no label changed for 2 s: the spins have landed
                if not args.spinning and labels and None not in labels \
                        and time.monotonic() - steady_since > 2.0:
                    break
                time.sleep(1 / 30)
            else:
                print("screenshot: no steady label for every face within the timeout",
                      file=sys.stderr)
                return 1
            screen = app.screenshot()
    finally:
        parts.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), cv2.cvtColor(screen, cv2.COLOR_RGB2BGR),
                       [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        print(f"screenshot: could not write {args.out}", file=sys.stderr)
        return 1
    for face in view.faces:
        b = face.box
        said = face.label.name if face.label else f"spinning through {face.spin.candidates}"
        print(f"face box=({b.x0:.0f},{b.y0:.0f},{b.x1:.0f},{b.y1:.0f}) label={said!r}")
    print(f"wrote {args.out} ({screen.shape[1]}x{screen.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
