"""scripts/bench/eval_labels.py runs without the fetched sets (lfw only, the others say they are
skipped) and names the model and provider it measured; the fetched sets are exercised on a
fixture in test_face_sets.py."""

from __future__ import annotations

from pathlib import Path

from scripts.bench import eval_labels

ROOT = Path(__file__).resolve().parent.parent


def test_without_the_fetched_sets_it_says_so_and_scores_lfw(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache: nothing fetched
    shipped = ROOT / "models" / "person_effnet"
    assert eval_labels.main(["--limit", "2", "--model-dir", str(shipped), "--providers", "cpu",
                        "--set", "spin.crops=2"]) == 0
    out = capsys.readouterr().out
    assert "set=portraits skipped: not fetched (python -m scripts.bench.fetch_face_sets)" in out
    assert "set=wild skipped: not fetched" in out
    (lfw,) = [ln for ln in out.splitlines() if ln.startswith("set=lfw")]
    values = dict(kv.split("=", 1) for kv in lfw.split())
    assert values["model"] == "person-effnet-lite2-scores"
    assert values["provider"] == "CPUExecutionProvider"
    assert int(values["faces"]) == 2 and float(values["crop_ms_p50"]) > 0.0
