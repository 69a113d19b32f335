"""The installer's YAML: defaults documented and in sync, bad input named clearly, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kiosk.config import (
    DEFAULT_CONFIG_PATH,
    PROJECT_ROOT,
    ConfigError,
    KioskConfig,
    check_paths,
    config_path_from_env,
    env_overrides,
    load_config,
    load_config_from_env,
)
from scripts.ops import export_config_schema


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path | None, overrides: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    return str(info.value)


# -- the documented default and the schema -------------------------------------------------


def test_committed_default_yaml_and_schema_match_the_models() -> None:
    script = export_config_schema
    assert DEFAULT_CONFIG_PATH.read_text(encoding="utf-8") == script.render_yaml(), (
        "config/kiosk.yaml is out of date: run python -m scripts.ops.export_config_schema"
    )
    schema_path = PROJECT_ROOT / "config" / "kiosk.schema.json"
    assert schema_path.read_text(encoding="utf-8") == script.render_schema(), (
        "config/kiosk.schema.json is out of date: run python -m scripts.ops.export_config_schema"
    )
    assert script.main(["--check"]) == 0


def test_default_yaml_is_the_defaults_and_documents_every_field() -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=kiosk.schema.json\n")
    assert load_config(DEFAULT_CONFIG_PATH) == KioskConfig()
    data = yaml.safe_load(text)
    lines = text.splitlines()
    for section, model in KioskConfig.model_fields.items():
        sub = model.annotation
        assert set(data[section]) == set(sub.model_fields), section
        for key in sub.model_fields:
            i = next(
                n
                for n, line in enumerate(lines)
                if line.startswith(f"  {key}:") and n > lines.index(f"{section}:")
            )
            comment = lines[i - 1]
            assert comment.strip().startswith("# Allowed:") and "Default:" in comment, key


def test_schema_rejects_unknown_keys_for_editors() -> None:
    schema = json.loads((PROJECT_ROOT / "config" / "kiosk.schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())
    assert schema["$defs"]["CameraConfig"]["properties"]["fps"]["exclusiveMinimum"] == 0


def test_default_yaml_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((PROJECT_ROOT / "config" / "kiosk.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(DEFAULT_CONFIG_PATH.read_text()), schema)


# -- bad input: one clear message each -------------------------------------------------------


def test_malformed_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "camera:\n  fps: 30\n   width: 12\n")
    message = _error(path)
    assert "malformed YAML" in message and str(path) in message and "line" in message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert "mapping" in _error(_write(tmp_path, "- camera\n"))


def test_unknown_top_level_key_is_rejected_and_named(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "camera:\n  fps: 30\ncamara:\n  fps: 30\n"))
    assert "camara: unknown key" in message
    assert "camera" in message.split("camara: unknown key", 1)[1]  # what is allowed


def test_unknown_nested_key_is_rejected_and_named(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "display:\n  fullscren: false\n"))
    assert "display.fullscren: unknown key" in message
    assert "fullscreen" in message


def test_negative_fps_names_key_value_and_limit(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "camera:\n  fps: -5\n"))
    assert "camera.fps" in message and "-5" in message and "greater than 0" in message


def test_wrong_type_and_choice(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "display:\n  rotation: 45\n  width: wide\n"))
    assert "display.rotation" in message and "90" in message and "45" in message
    assert "display.width" in message and "'wide'" in message


def test_capture_enabled_without_folder(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "capture:\n  enabled: true\n"))
    assert "capture.folder" in message


def test_capture_folder_must_be_absolute(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "capture:\n  enabled: true\n  folder: photos\n"))
    assert "absolute" in message


def test_video_source_needs_a_path(tmp_path: Path) -> None:
    assert "camera.path is required" in _error(_write(tmp_path, "camera:\n  source: video\n"))


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    assert "not found" in _error(tmp_path / "nope.yaml")


# -- overrides ---------------------------------------------------------------------------------


def test_cli_overrides(tmp_path: Path) -> None:
    path = _write(tmp_path, "camera:\n  fps: 30\n  width: 640\n")
    cfg = load_config(path, overrides=["camera.fps=15", "display.fullscreen=false"])
    assert cfg.camera.fps == 15 and cfg.camera.width == 640 and cfg.display.fullscreen is False


def test_bad_overrides_are_named() -> None:
    assert "expected key.sub=value" in _error(None, ["camera.fps"])
    assert "camera.fbs: unknown key" in _error(None, ["camera.fbs=3"])
    assert "camera.fps" in _error(None, ["camera.fps=-1"])


def test_env_config_path_and_overrides(tmp_path: Path) -> None:
    path = _write(tmp_path, "camera:\n  fps: 25\n")
    env = {"KIOSK_CONFIG": str(path), "KIOSK_SET": " camera.width=800 ; display.topk=3;"}
    assert env_overrides(env) == ["camera.width=800", "display.topk=3"]
    assert config_path_from_env(None, env) == path
    cfg = load_config_from_env(None, None, environ=env)
    assert (cfg.camera.fps, cfg.camera.width, cfg.display.topk) == (25, 800, 3)
    # the command line wins over the environment, both for the file and the overrides
    other = tmp_path / "other.yaml"
    other.write_text("camera:\n  fps: 12\n")
    cfg = load_config_from_env(other, ["camera.width=1024"], environ=env)
    assert (cfg.camera.fps, cfg.camera.width) == (12, 1024)


def test_env_defaults_to_the_documented_file() -> None:
    assert config_path_from_env(None, {}) == DEFAULT_CONFIG_PATH
    assert load_config_from_env(None, None, environ={}) == KioskConfig()


def test_env_override_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="camera.fps"):
        load_config_from_env(None, None, environ={"KIOSK_SET": "camera.fps=-2"})


# -- paths the config names ------------------------------------------------------------------


def test_check_paths_lists_missing_files(tmp_path: Path) -> None:
    cfg = load_config(
        None,
        [
            f"detector.short_range_path={tmp_path / 'missing.tflite'}",
            f"classifier.model_dir={tmp_path / 'no_model'}",
            f"vocabulary.labels_dir={tmp_path / 'no_labels'}",
            f"vocabulary.deny_file={tmp_path / 'deny.txt'}",
            "camera.source=video",
            f"camera.path={tmp_path / 'clip.mp4'}",
        ],
    )
    problems = check_paths(cfg)
    joined = "\n".join(problems)
    for key in (
        "detector.short_range_path",
        "classifier.model_dir",
        "vocabulary.labels_dir",
        "vocabulary.deny_file",
        "camera.path",
    ):
        assert key in joined, key
    assert len(problems) == 5
    assert all("not found" in p for p in problems)


def test_check_paths_passes_when_files_exist(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"x")
    cfg = load_config(
        None,
        [
            f"classifier.model_dir={tmp_path / 'model'}",
            "camera.source=video",
            f"camera.path={clip}",
        ],
    )
    assert check_paths(cfg) == []


def test_check_paths_only_checks_the_selected_detector(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    cfg = load_config(
        None,
        [
            f"classifier.model_dir={tmp_path / 'model'}",
            f"detector.full_range_path={tmp_path / 'gone.tflite'}",
        ],
    )
    assert check_paths(cfg) == []
    cfg = load_config(
        None,
        [
            f"classifier.model_dir={tmp_path / 'model'}",
            "detector.model=full_range",
            f"detector.full_range_path={tmp_path / 'gone.tflite'}",
        ],
    )
    assert [p.split(":")[0] for p in check_paths(cfg)] == ["detector.full_range_path"]


def test_check_paths_camera_index_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    base = [f"classifier.model_dir={tmp_path / 'model'}", "camera.device=87"]
    assert check_paths(load_config(None, base)) == []  # auto: falls back to the demo
    problems = check_paths(load_config(None, base + ["camera.source=camera"]))
    assert problems == ["camera.device: device /dev/video87 not found"]
