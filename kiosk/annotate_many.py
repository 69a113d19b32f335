"""`kiosk classify PATH... [-r] [-o DIR]`: label many images in one process, for curators.

The model and the face detector load once (loading is most of a single image's time), then
each image goes through the same stages as `kiosk classify IMAGE` (kiosk/annotate_image.py).
Every image gives one JSON object on its own line (JSON Lines), the object a single image's
`--json` prints; an image that cannot be read or labelled gives `{"image": PATH, "error":
MESSAGE}` and the run goes on. On a terminal a progress bar (tqdm: count, rate, time left)
goes to stderr; when stderr is not a terminal nothing but the JSON lines is written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kiosk.annotate_image import StillImage, classify_still, result_json, write_annotated
from kiosk.classify.labeller import Labeller
from kiosk.config import KioskConfig
from kiosk.detect import FaceDetector

# What a folder is searched for (case-insensitive); a file named on the command line is always
# tried, whatever its name.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".tif", ".tiff", ".webp"})


class InputError(Exception):
    """The command line names something that is not there, or no image at all."""


@dataclass(frozen=True)
class Item:
    """One image to label: its path, and where its annotated copy goes under `-o DIR`."""

    path: Path
    relative: Path  # the path below the folder it was found in, or the file's own name


def _folder_images(folder: Path, recursive: bool) -> list[Path]:
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    found = []
    for path in pattern:
        parts = path.relative_to(folder).parts
        if any(part.startswith(".") for part in parts):
            continue  # hidden files and folders (.thumbnails, .DS_Store)
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found)


def collect_images(paths: Sequence[Path], *, recursive: bool = False) -> list[Item]:
    """The images named or found in folders, in command-line order, each file once; folders
    sorted by name. InputError for a path that does not exist or when no image is left."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise InputError(f"not found: {', '.join(missing)}")
    items: list[Item] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found = [Item(p, p.relative_to(path)) for p in _folder_images(path, recursive)]
        else:
            found = [Item(path, Path(path.name))]
        for item in found:
            key = item.path.resolve()
            if key not in seen:
                seen.add(key)
                items.append(item)
    if not items:
        hint = "" if recursive else " (-r also searches their subfolders)"
        raise InputError(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in "
                         f"{', '.join(map(str, paths))}{hint}")
    return items


def plan_outputs(items: Sequence[Item], out_dir: Path) -> list[Path]:
    """Where each annotated PNG goes: `out_dir/<relative path>.png`, with the original suffix
    kept in the name where two inputs would share one (a.jpg and a.png: a-jpg.png, a-png.png)."""
    wanted = [out_dir / item.relative.with_suffix(".png") for item in items]
    outputs: list[Path] = []
    taken: set[Path] = set()
    for item, path in zip(items, wanted, strict=True):
        if wanted.count(path) > 1 or path in taken:
            suffix = item.relative.suffix.lstrip(".").lower() or "image"
            path = path.with_name(f"{path.stem}-{suffix}.png")
            n = 2
            base = path
            while path in taken:
                path, n = base.with_name(f"{base.stem}-{n}.png"), n + 1
        taken.add(path)
        outputs.append(path)
    return outputs


def check_output_dir(out_dir: Path) -> None:
    """`-o` with many images names a folder (made if missing), never a file."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"-o {out_dir}: exists and is not a folder (with several images, -o "
                         "names the folder for the annotated PNGs)")
    if not out_dir.exists() and out_dir.suffix.lower() == ".png":
        raise InputError(f"-o {out_dir}: with several images, -o names a folder, not a PNG")


def label_one(config: KioskConfig, labeller: Labeller, detector: FaceDetector, item: Item,
              output: Path | None) -> dict[str, Any]:
    """One image's JSON object, or `{"image", "error"}` if it could not be read or labelled."""
    try:
        still = StillImage.read(item.path)
        result = classify_still(config, labeller, still, detector=detector)
        doc = result_json(still, result)
        if output is not None:
            write_annotated(config, result.view, output)
            doc["annotated"] = str(output)
        return doc
    except Exception as exc:  # one bad file must not end a folder's run
        message = str(exc) or type(exc).__name__
        if str(item.path) not in message:
            message = f"{item.path}: {type(exc).__name__}: {message}"
        return {"image": str(item.path), "error": message}


@contextmanager
def progress_bar(total: int, stream: TextIO) -> Iterator[Callable[[str], None]]:
    """A function printing one line to stdout; with a terminal on `stream`, a tqdm bar there
    (images done, rate, time left) that the lines and log messages print above."""
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    if not stream.isatty():
        yield lambda line: print(line, flush=True)
        return
    tqdm.monitor_interval = 0  # no monitor thread: this bar is advanced by hand
    try:  # a terminal that reports no width (a bare pty, a serial console) still gets a bar
        sized = os.get_terminal_size(stream.fileno()).columns > 0
    except (OSError, ValueError):
        sized = False
    with tqdm(total=total, unit="image", file=stream, dynamic_ncols=sized,
              ncols=None if sized else 80) as bar, \
            logging_redirect_tqdm():
        def emit(line: str) -> None:
            bar.write(line, file=sys.stdout)
            sys.stdout.flush()
            bar.update(1)

        yield emit


def classify_many(config: KioskConfig, labeller: Labeller, items: Sequence[Item],
                  out_dir: Path | None = None, stream: TextIO | None = None) -> int:
    """Label every item with one detector and print a JSON line each; the number that failed."""
    outputs: Sequence[Path | None] = (plan_outputs(items, out_dir) if out_dir is not None
                                      else [None] * len(items))
    failures = 0
    with FaceDetector.from_config(config) as detector, \
            progress_bar(len(items), stream or sys.stderr) as emit:
        for item, output in zip(items, outputs, strict=True):
            doc = label_one(config, labeller, detector, item, output)
            failures += "error" in doc
            emit(json.dumps(doc, ensure_ascii=False))
    return failures
