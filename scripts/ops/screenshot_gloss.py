"""Screenshots of the label bands with their gloss (issue 30), 1, 2, 4 or 6 faces, read back
from a real X server.

  Xvfb :77 -screen 0 1920x1080x24 &
  DISPLAY=:77 .venv/bin/python -m scripts.ops.screenshot_gloss --faces 4 --out docs/gloss_4.png
  DISPLAY=:77 .venv/bin/python -m scripts.ops.screenshot_gloss --faces 4 --language it \
      --out docs/gloss_it_4.png
  DISPLAY=:77 .venv/bin/python -m scripts.ops.screenshot_gloss --faces 4 --language ro \
      --benchmark-words --out docs/gloss_ro_4.png   # the portraits' commonest labels (issue 36)

The kiosk's own Renderer draws a 1920x1080 window (SDL on X11) with real photographs
(scikit-image's astronaut and camera man, matplotlib's Grace Hopper, and the first two again
mirrored for 4 and 6 faces) and the labels the issue names as words visitors do not know
(gambist, lamplighter, Minuteman...), each the real WordNet synset with its breadcrumb and
gloss; the screen is then read back from the X server itself (XGetImage of the root window
through libX11, what `xwd -root` does) and written as PNG.
What is fixed here is the choice of label, so every screenshot shows the same hard words;
the detector and model are not run (scripts/ops/screenshot.py shows them on the demo). With no
DISPLAY it draws headless and saves the surface itself.

With --language the labels are built as the kiosk builds them with vocabulary.language
(kiosk/classify/labeller.py: the translation, the English beneath it, the breadcrumb step by
step, the source's gloss where it has one); the words with a translation come first, so one
face shows one, and the rest show the English fallback.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORDS = ("gambist", "lamplighter", "Minuteman", "carper", "theosophist", "process-server")
# (x, y, width) of each head on the 1920x1080 frame: one visitor near the middle, then pairs
# and rows as a gallery sees them, faces about 120-200 px high (visitors at ~1.5-3 m).
SPOTS = {
    1: [(800, 260, 300)],
    2: [(420, 260, 280), (1180, 300, 260)],
    4: [(250, 150, 230), (1350, 130, 230), (700, 520, 210), (1150, 560, 200)],
    6: [(150, 120, 200), (800, 100, 200), (1450, 140, 200),
        (380, 560, 190), (1020, 580, 190), (1600, 600, 180)],
}


def heads() -> list:
    import matplotlib.cbook
    import numpy as np
    import skimage.data
    import skimage.io

    hopper = skimage.io.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg",
                                                                asfileobj=False))
    three = [
        skimage.data.astronaut()[20:320, 100:350],
        np.dstack([skimage.data.camera()[10:280, 170:410]] * 3),
        np.ascontiguousarray(hopper[30:360, 150:430]),
    ]
    return three + [np.ascontiguousarray(h[:, ::-1]) for h in three]


def benchmark_words(language: str, n: int) -> list[str]:
    """The `n` labels the benchmark's portraits land on most often (issue 36: what visitors
    see) that have a translation in `language`, as wnids, commonest first."""
    import collections

    from kiosk.labels.coverage import PORTRAITS_FILE, portrait_wnids
    from kiosk.labels.taxonomy import DEFAULT_LABELS_DIR
    from kiosk.labels.translation import Translations

    tr = Translations.load(language) if language != "en" else None
    counts = collections.Counter(portrait_wnids(Path(DEFAULT_LABELS_DIR) / PORTRAITS_FILE))
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return [w for w in ranked if tr is None or w in tr][:n]


def scene(n: int, language: str = "en", words: tuple[str, ...] = WORDS):
    """The frame and the FaceViews of `n` visitors, each with one of `words` (lemmas or
    wnids) as its label."""
    from types import SimpleNamespace

    import cv2
    import numpy as np

    from kiosk.classify.labeller import Labeller
    from kiosk.labels.taxonomy import Taxonomy
    from kiosk.labels.translation import Translations
    from kiosk.views import Box, FaceView, FrameView

    tax = Taxonomy.load()
    tr = Translations.load(language) if language != "en" else None
    # the kiosk's own label_for(); it needs no model or vocabulary once the wnid is chosen
    labeller = Labeller(SimpleNamespace(imagenet_names=None), None, tax,  # type: ignore[arg-type]
                        translations=tr)
    synsets = [tax[word] if word in tax else next(s for s in tax.find(word) if s.in_imagenet)
               for word in words]
    if tr is not None:
        synsets.sort(key=lambda s: s.wnid not in tr)  # stable: translated ones first
    frame = np.full((1080, 1920, 3), 28, np.uint8)
    faces = []
    for i, ((x, y, w), head) in enumerate(zip(SPOTS[n], heads(), strict=False)):
        h = round(w * head.shape[0] / head.shape[1])
        frame[y:y + h, x:x + w] = cv2.resize(head, (w, h), interpolation=cv2.INTER_AREA)
        label = labeller.label_for([(synsets[i].wnid, 0.3)])
        box = Box(x + 0.16 * w, y + 0.12 * h, x + 0.84 * w, y + 0.78 * h)
        faces.append(FaceView(i + 1, box, label))
    return FrameView(frame, faces=tuple(faces))


class _XImage(ctypes.Structure):
    """The head of Xlib's XImage, up to the colour masks."""

    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int), ("red_mask", ctypes.c_ulong),
                ("green_mask", ctypes.c_ulong), ("blue_mask", ctypes.c_ulong)]


def x_root_rgb():
    """The X server's root window as (H, W, 3) RGB: what the screen shows, read from the
    server (XGetImage, ZPixmap), not from the program's own surface."""
    import numpy as np

    x = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11"))
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x.XGetImage.restype = ctypes.POINTER(_XImage)
    x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                            ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x.XOpenDisplay(None)
    if not display:
        raise RuntimeError(f"cannot open X display {os.environ.get('DISPLAY')}")
    try:
        w, h = x.XDisplayWidth(display, 0), x.XDisplayHeight(display, 0)
        image = x.XGetImage(display, x.XDefaultRootWindow(display), 0, 0, w, h,
                            0xFFFFFFFF, 2)  # AllPlanes, ZPixmap
        img = image.contents
        if img.bits_per_pixel != 32 or img.red_mask != 0xFF0000 or img.blue_mask != 0xFF:
            raise RuntimeError(f"unexpected X visual: {img.bits_per_pixel} bpp, "
                               f"masks {img.red_mask:x}/{img.green_mask:x}/{img.blue_mask:x}")
        raw = np.ctypeslib.as_array(img.data, shape=(img.height * img.bytes_per_line,))
        bgrx = raw.reshape(img.height, img.bytes_per_line // 4, 4)[:, :img.width]
        return np.ascontiguousarray(bgrx[:, :, 2::-1])  # little-endian BGRX -> RGB
    finally:
        x.XCloseDisplay(display)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faces", type=int, choices=sorted(SPOTS), default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--language", default="en", help="vocabulary.language, e.g. it")
    ap.add_argument("--benchmark-words", action="store_true",
                    help="label the faces with the benchmark portraits' commonest labels that "
                    "have a translation in --language (issue 36), not the hard words")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="config override, e.g. display.gloss=false")
    args = ap.parse_args(argv)
    x11 = bool(os.environ.get("DISPLAY")) and ctypes.util.find_library("X11") is not None
    os.environ.setdefault("SDL_VIDEODRIVER", "x11" if x11 else "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    import pygame

    from kiosk.config import load_config
    from kiosk.render import Renderer

    config = load_config(None, ["display.mirror=false", f"vocabulary.language={args.language}",
                                *args.set])
    language = config.vocabulary.language
    words = (tuple(benchmark_words(language, args.faces)) if args.benchmark_words else WORDS)
    view = scene(args.faces, language, words)
    pygame.display.init()
    screen = pygame.display.set_mode((1920, 1080), pygame.NOFRAME)
    renderer = Renderer((1920, 1080), config.display, config.texts, mirror=False)
    renderer.strict = True
    for _ in range(3):  # a few frames, as the kiosk would draw them
        layout = renderer.draw(screen, view)
        pygame.display.flip()
        pygame.event.pump()
        time.sleep(0.2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if x11:
        import cv2

        cv2.imwrite(str(args.out), cv2.cvtColor(x_root_rgb(), cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_PNG_COMPRESSION, 9])
    else:
        pygame.image.save(screen, str(args.out))
    pygame.display.quit()
    for tid, box, band in layout.bands:
        print(f"face {tid} box={tuple(box)} band={tuple(band)}")
    how = f"read back from X server {os.environ['DISPLAY']}" if x11 else "headless"
    print(f"wrote {args.out} ({how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
