"""scripts/eval_labels.py runs on a small subset and computes its figures (not their targets)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "eval_labels.py"


def _eval_labels():  # noqa: ANN202 - the script, loaded as a module
    spec = importlib.util.spec_from_file_location("eval_labels", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_eval_labels_on_a_few_faces(capsys) -> None:
    module = _eval_labels()
    assert module.main(["--limit", "3", "--table"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("set=")]
    assert [ln.split()[0] for ln in lines] == ["set=all", "set=heldout"]
    values = dict(kv.split("=", 1) for kv in lines[0].split())
    assert int(values["faces"]) == 3
    assert 1 <= int(values["distinct"]) <= 3
    assert 0.333 <= float(values["most_common_share"]) <= 1.0
    assert 1.0 <= float(values["effective_labels"]) <= 3.01
    assert 0.0 < float(values["jitter_mode_share"]) <= 1.0
    assert float(values["crop_ms_p50"]) > 0.0
    # the table names the photo faces (the first faces are photo faces) with breadcrumbs
    assert re.search(r"^\| astronaut#1 \| .+ \| person, individual", out, re.M), out


def test_eval_labels_runs_the_named_model_on_the_named_providers(capsys) -> None:
    """--model-dir is that folder on whichever provider (no GPU swap to the steady head), and
    the line says which provider ran it: a GPU's labels are measured apart from the CPU's."""
    module = _eval_labels()
    shipped = SCRIPT.parent.parent / "models" / "person_effnet"
    assert module.main(["--limit", "1", "--model-dir", str(shipped), "--providers", "cpu"]) == 0
    values = dict(kv.split("=", 1) for kv in capsys.readouterr().out.splitlines()[-1].split())
    assert values["model"] == "person-effnet-lite2-prior"
    assert values["provider"] == "CPUExecutionProvider"


def test_explore_person_views_computes_the_head_in_numpy_on_a_few_faces(capsys) -> None:
    """The view explorer runs the real backbone on the first faces (two of them reference
    faces, for the prior) and prints one line per case with figures in range."""
    path = SCRIPT.parent / "explore_person_views.py"
    spec = importlib.util.spec_from_file_location("explore_person_views", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.main(["--limit", "10", "--cases", "shipped", "logit_average"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("case=")]
    assert [ln.split()[0] for ln in lines] == ["case=shipped", "case=logit_average"]
    for line in lines:
        values = dict(kv.split("=", 1) for kv in line.split())
        assert int(values["faces"]) == 10
        assert 1 <= int(values["distinct"]) <= 10
        assert 0.1 <= float(values["most_common_share"]) <= 1.0
        assert 0.05 <= float(values["jitter_mode_share"]) <= 1.0
    assert "pixels_vs_shipped=1.0" in lines[0]
