"""`kiosk doctor`: one screen of OK / WARN / FAIL lines for a technician; exit 1 on any FAIL.

Checks the configuration, the files it names, cameras and their modes, the display, the face
detector model, the classifier (manifest, sha256, the execution provider actually used and
why CUDA is not), the labels and vocabulary, the running service's health file (repeated
failures of a component) and systemd's view of the unit. Each check is independent: one
that crashes is reported as FAIL and the others still run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from kiosk.config import (
    ConfigError,
    KioskConfig,
    check_paths,
    config_path_from_env,
    load_config_from_env,
)

Status = Literal["OK", "WARN", "FAIL", "INFO"]
UNIT = "roulette-kiosk.service"
SERVICE_HEALTH_FILE = Path("/run/roulette-kiosk/health.json")  # set by the systemd unit
MAX_CAMERAS = 8
# check_paths() keys that a later check reports in more detail (no duplicate FAIL lines)
_PATHS_CHECKED_LATER = (
    "detector.",
    "classifier.model_dir",
    "vocabulary.labels_dir",
    "camera.device",
)


@dataclass(frozen=True)
class Check:
    status: Status
    name: str
    detail: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[list[str]]:
    """Keep native libraries' start-up chatter (MediaPipe, onnxruntime) off the screen.

    File descriptor 2 goes to a temporary file; its text is yielded (filled in on exit) so a
    failing check can still show it.
    """
    captured: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode(errors="replace"))


def _size(path: Path) -> str:
    n = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


# -- config ------------------------------------------------------------------------------


def check_config(
    config_path: Path | None, overrides: list[str] | None
) -> tuple[KioskConfig | None, list[Check]]:
    path = config_path_from_env(config_path)
    shown = str(path) if path.exists() else f"{path} (not found: built-in defaults)"
    try:
        cfg = load_config_from_env(config_path, overrides)
    except ConfigError as exc:
        return None, [Check("FAIL", "config", str(exc))]
    checks = [Check("OK", "config", f"{shown} valid")]
    for problem in check_paths(cfg):
        if not problem.startswith(_PATHS_CHECKED_LATER):
            checks.append(Check("FAIL", "paths", problem))
    return cfg, checks


# -- cameras -----------------------------------------------------------------------------


def list_video_devices(dev: Path = Path("/dev")) -> list[Path]:
    found = [p for p in dev.glob("video*") if re.fullmatch(r"video\d+", p.name)]
    return sorted(found, key=lambda p: int(p.name[5:]))


def v4l2_modes(device: Path) -> str | None:
    """The camera's modes from `v4l2-ctl --list-formats-ext` (v4l-utils), condensed."""
    tool = shutil.which("v4l2-ctl")
    if tool is None:
        return None
    try:
        out = subprocess.run(
            [tool, "-d", str(device), "--list-formats-ext"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    modes: dict[str, dict[str, float]] = {}
    fmt = size = None
    for line in out.splitlines():
        if "[" in line and (m := re.search(r"'(\w+)'", line)):
            fmt = m.group(1)
            modes.setdefault(fmt, {})
            continue
        if fmt and (m := re.search(r"Size: \w+ (\d+x\d+)", line)):
            size = m.group(1)
            modes[fmt].setdefault(size, 0.0)
        elif fmt and size and (m := re.search(r"\(([\d.]+) fps\)", line)):
            modes[fmt][size] = max(modes[fmt][size], float(m.group(1)))
    parts = []
    for fmt, sizes in modes.items():
        best = sorted(sizes.items(), key=lambda kv: -int(kv[0].split("x")[0]))[:4]
        more = f" +{len(sizes) - 4}" if len(sizes) > 4 else ""
        parts.append(fmt + " " + ",".join(f"{s}@{f:g}" for s, f in best) + more)
    return "; ".join(parts) or None


def probe_camera(device: Path | int, width: int, height: int, fps: float) -> dict[str, Any]:
    """Open a camera briefly with the configured request; what it reports and delivers."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    target = str(device) if isinstance(device, Path) else device
    cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
    try:
        if not cap.isOpened():
            return {"opened": False}
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        ok, frame = cap.read()
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        return {
            "opened": True,
            "frame": bool(ok and frame is not None),
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(float(cap.get(cv2.CAP_PROP_FPS)), 1),
            "fourcc": "".join(chr((fourcc >> 8 * i) & 0xFF) for i in range(4)).strip("\0 "),
        }
    finally:
        cap.release()


def check_cameras(
    cfg: KioskConfig,
    devices: list[Path] | None = None,
    probe: Callable[..., dict[str, Any]] = probe_camera,
) -> list[Check]:
    cam = cfg.camera
    devices = list_video_devices() if devices is None else devices
    wanted = Path(f"/dev/video{cam.device}") if isinstance(cam.device, int) else Path(cam.device)
    if cam.source in ("video", "image", "demo"):
        where = f": {cfg.resolve(cam.path)}" if cam.path else ""
        return [
            Check("OK", "camera", f"not used (camera.source {cam.source}{where}); "
                  f"{len(devices)} video device(s) present")
        ]  # fmt: skip
    if not devices:
        status: Status = "FAIL" if cam.source == "camera" else "WARN"
        tail = "" if cam.source == "camera" else "; the kiosk shows the demo source"
        return [Check(status, "camera", f"no /dev/video* device found{tail}")]
    checks: list[Check] = []
    configured_ok = False
    for dev in devices[:MAX_CAMERAS]:
        mark = " (configured)" if dev == wanted else ""
        try:
            info = probe(dev, cam.width, cam.height, cam.fps)
        except Exception as exc:  # a driver that crashes OpenCV's probe is itself a finding
            info = {"opened": False, "error": str(exc)}
        if not info.get("opened"):
            checks.append(Check("INFO", "camera", f"{dev}{mark}: not a capture device or busy"))
            continue
        if not info.get("frame"):
            checks.append(
                Check("WARN", "camera", f"{dev}{mark}: opens but gives no frame "
                      "(in use by the running kiosk?)")
            )  # fmt: skip
            if dev == wanted:
                configured_ok = True  # held by the service is fine
            continue
        got = f"{info['width']}x{info['height']}@{info['fps']:g} {info.get('fourcc', '')}"
        req = f"{cam.width}x{cam.height}@{cam.fps:g}"
        differs = (info["width"], info["height"]) != (cam.width, cam.height)
        note = f" (requested {req})" if differs else ""
        checks.append(Check("OK", "camera", f"{dev}{mark}: delivers {got.strip()}{note}"))
        if dev == wanted:
            configured_ok = True
        modes = v4l2_modes(dev)
        if modes:
            checks.append(Check("INFO", "modes", f"{dev}: {modes}"))
    if not configured_ok:
        status = "FAIL" if cam.source == "camera" else "WARN"
        tail = "" if cam.source == "camera" else "; the kiosk shows the demo source"
        checks.append(Check(status, "camera", f"configured camera.device {cam.device} "
                            f"({wanted}) does not deliver frames{tail}"))  # fmt: skip
    return checks


# -- display -----------------------------------------------------------------------------


def check_display() -> list[Check]:
    hints = ", ".join(
        f"{k}={os.environ[k]}" for k in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")
        if os.environ.get(k)
    )  # fmt: skip
    dri = (
        sorted(p.name for p in Path("/dev/dri").glob("card*")) if Path("/dev/dri").is_dir() else []
    )
    hints = "; ".join(x for x in (hints, f"/dev/dri: {', '.join(dri)}" if dri else "") if x)
    try:
        import pygame

        pygame.display.init()
        try:
            driver = pygame.display.get_driver()
            sizes = pygame.display.get_desktop_sizes()
        finally:
            pygame.display.quit()
    except Exception as exc:
        return [Check("FAIL", "display", f"no SDL video driver works ({exc}); "
                      f"{hints or 'no DISPLAY, WAYLAND_DISPLAY or /dev/dri card'}")]  # fmt: skip
    screens = ", ".join(f"{w}x{h}" for w, h in sizes) or "none"
    if driver in ("dummy", "offscreen"):
        detail = f" ({hints})" if hints else ""
        return [Check("WARN", "display", f"SDL driver {driver}: nothing is shown{detail}")]
    return [Check("OK", "display", f"SDL driver {driver}, screen(s) {screens}"
                  + (f" ({hints})" if hints else ""))]  # fmt: skip


# -- models ------------------------------------------------------------------------------


def check_detector(cfg: KioskConfig) -> list[Check]:
    det = cfg.detector
    key = "short_range_path" if det.model == "short_range" else "full_range_path"
    path = cfg.resolve(getattr(det, key))
    if not path.is_file():
        return [Check("FAIL", "detector", f"detector.{key}: {path} not found")]
    detail = f"{det.model} {path.name} {_size(path)} sha256 {_sha256(path)[:12]}"
    try:
        from kiosk.detect import FaceDetector

        with _quiet_stderr():
            detector = FaceDetector.from_config(cfg)
            with contextlib.suppress(Exception):
                detector.close()
    except ImportError as exc:
        return [Check("WARN", "detector", f"{detail}; cannot load the detector code: {exc}")]
    except Exception as exc:
        return [Check("FAIL", "detector", f"{detail}; MediaPipe cannot load it: {exc}")]
    return [Check("OK", "detector", f"{detail}, loads")]


def _cuda_reasons(cfg: KioskConfig, provider: str) -> str:
    """Why the model is not on the GPU, as far as the host can tell."""
    if "CUDA" in provider or "Tensorrt" in provider or "TensorRT" in provider:
        return ""
    reasons = []
    if "cuda" not in cfg.classifier.providers and "tensorrt" not in cfg.classifier.providers:
        reasons.append("classifier.providers does not list cuda")
    try:
        import onnxruntime

        available = onnxruntime.get_available_providers()
        if "CUDAExecutionProvider" not in available:
            reasons.append(f"this onnxruntime has no CUDA provider ({', '.join(available)})")
    except Exception as exc:
        reasons.append(f"onnxruntime does not import: {exc}")
    if not Path("/dev/nvidia0").exists() and not Path("/dev/nvidiactl").exists():
        reasons.append("no /dev/nvidia* device (no NVIDIA GPU or driver not loaded)")
    elif not Path("/dev/nvidia-uvm").exists():
        reasons.append("/dev/nvidia-uvm missing (load nvidia-uvm at boot)")
    return "; ".join(reasons)


def check_classifier(cfg: KioskConfig) -> tuple[list[Check], tuple[str, ...] | None]:
    """Load the model as the kiosk does (manifest, size, sha256, session, warm-up)."""
    from kiosk.classify.classifier import PersonClassifier
    from kiosk.classify.errors import ModelError
    from kiosk.classify.loading import model_dir_for

    ccfg = cfg.classifier
    model_dir = model_dir_for(cfg)
    if not model_dir.is_dir():
        return [Check("FAIL", "classifier", f"classifier.model_dir: {model_dir} not found")], None
    started = time.monotonic()
    try:
        with _quiet_stderr():
            classifier = PersonClassifier(
                model_dir, providers=ccfg.providers, threads=ccfg.threads, verify_checksum=True
            )
    except ModelError as exc:
        return [Check("FAIL", "classifier", str(exc))], None
    except Exception as exc:
        return [Check("FAIL", "classifier", f"{type(exc).__name__}: {exc}")], None
    try:
        provider, note, wnids = classifier.provider, classifier.provider_note, classifier.wnids
        name = classifier.manifest.name
    finally:
        classifier.close()
    took = time.monotonic() - started
    checks = [Check("OK", "classifier", f"{name} in {model_dir.name}/: sha256 verified, "
                    f"{len(wnids)} classes, loaded in {took:.1f} s")]  # fmt: skip
    why = _cuda_reasons(cfg, provider)
    if why or (note and "CPU" in provider):
        detail = f"{provider}: not on the GPU because " + "; ".join(x for x in (note, why) if x)
        checks.append(Check("WARN", "provider", detail))
    else:
        checks.append(Check("OK", "provider", provider + (f" ({note})" if note else "")))
    return checks, wnids


def check_labels(cfg: KioskConfig, model_wnids: Iterable[str] | None) -> list[Check]:
    labels_dir = cfg.resolve(cfg.vocabulary.labels_dir)
    try:
        from kiosk.labels.taxonomy import Taxonomy

        taxonomy = Taxonomy.load(labels_dir)
    except Exception as exc:
        return [Check("FAIL", "labels", str(exc))]
    imagenet = sum(1 for s in taxonomy if getattr(s, "in_imagenet", False))
    checks = [Check("OK", "labels", f"{labels_dir}: {len(taxonomy)} synsets, "
                    f"{imagenet} in ImageNet")]  # fmt: skip
    if model_wnids is None:
        checks.append(Check("WARN", "vocabulary", "not checked: the model did not load"))
        return checks
    try:
        from kiosk.labels.vocabulary import Vocabulary

        vocab = Vocabulary.from_config(cfg.vocabulary, taxonomy, list(model_wnids), cfg.resolve)
    except Exception as exc:
        return checks + [Check("FAIL", "vocabulary", str(exc))]
    checks.append(
        Check("OK", "vocabulary", f"policy {cfg.vocabulary.policy}: {vocab.allowed_count} of "
              f"{len(vocab.model_wnids)} model labels may be shown")
    )  # fmt: skip
    return checks


# -- the running service -----------------------------------------------------------------


def check_health(cfg: KioskConfig, now: float | None = None) -> list[Check]:
    from kiosk.service.health import read_health

    path = cfg.service.health_file or SERVICE_HEALTH_FILE
    try:
        doc = read_health(path)
    except (OSError, ValueError) as exc:
        return [Check("WARN", "health", f"{path}: unreadable: {exc}")]
    if doc is None:
        return [Check("INFO", "health", f"{path}: none (service not running, or health_file "
                      "unset)")]  # fmt: skip
    now = time.time() if now is None else now
    age = now - float(doc.get("timestamp", 0))
    fps = doc.get("fps")
    errors = doc.get("errors") or {}
    summary = (
        f"{path}: {age:.0f} s old, fps {fps if fps is not None else '-'}, "
        f"provider {doc.get('provider', '-')}, rss {doc.get('rss_mb', '-')} MB, "
        f"uptime {doc.get('uptime_s', '-')} s"
    )
    checks: list[Check] = []
    stale_after = max(3 * cfg.service.health_interval_s, 3 * cfg.service.metrics_interval_s)
    if age > stale_after:
        checks.append(Check("WARN", "health", f"{summary}: stale (service hung or stopped?)"))
    else:
        checks.append(Check("OK", "health", summary))
    failing = doc.get("failing") or []
    streaks = doc.get("consecutive_failures") or {}
    last = doc.get("last_error") or {}
    for component in failing:
        checks.append(
            Check("FAIL", "failures", f"{component}: {streaks.get(component, '?')} failures "
                  f"in a row, last: {last.get(component, '?')}")
        )  # fmt: skip
    others = {c: n for c, n in errors.items() if n and c not in failing}
    if others:
        text = ", ".join(f"{c} {n}" for c, n in sorted(others.items()))
        checks.append(Check("WARN", "failures", f"errors since start (recovered): {text}"))
    return checks


def check_systemd() -> list[Check]:
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return [Check("INFO", "systemd", "systemd is not running here; service not checked")]
    try:
        out = subprocess.run(
            ["systemctl", "show", UNIT, "-p", "LoadState,ActiveState,SubState,NRestarts,"
             "StatusText,UnitFileState"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check("INFO", "systemd", f"systemctl failed: {exc}")]
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if props.get("LoadState") != "loaded":
        return [Check("INFO", "systemd", f"{UNIT} not installed (systemd/install.sh)")]
    state = f"{props.get('ActiveState')}/{props.get('SubState')}"
    restarts = int(props.get("NRestarts", "0") or 0)
    detail = f"{UNIT} {state}, {props.get('UnitFileState', '?')}, restarts {restarts}" + (
        f", status: {props['StatusText']}" if props.get("StatusText") else ""
    )
    if restarts:
        return [Check("WARN", "systemd", f"{detail}; see journalctl -u {UNIT} -b")]
    status: Status = "OK" if props.get("ActiveState") == "active" else "INFO"
    return [Check(status, "systemd", detail)]


# -- the screen --------------------------------------------------------------------------


_NETWORK_PROBE = (
    "from kiosk.service.network_guard import deny_network_sockets, internet_socket_denied\n"
    "problem = deny_network_sockets()\n"
    "print(problem if problem else ('ok' if internet_socket_denied() else 'not denied'))\n"
)


def check_privacy(cfg: KioskConfig) -> list[Check]:
    """Capture off, and internet sockets denied as `kiosk run` denies them (tried in a child
    process: the filter cannot be taken back, and doctor's own process must stay as it was)."""
    if cfg.capture.enabled:
        checks = [Check("WARN", "privacy", f"capture is ON: annotated frames of visitors are "
                        f"written to {cfg.capture.folder}")]  # fmt: skip
    else:
        checks = [Check("OK", "privacy", "capture off: no image of a visitor is written")]
    if not cfg.service.deny_network:
        return checks + [Check("WARN", "network", "service.deny_network is off: MediaPipe may "
                               "reach Google for usage logging")]  # fmt: skip
    probe = subprocess.run([sys.executable, "-c", _NETWORK_PROBE], capture_output=True,
                           text=True, timeout=30)
    answer = (probe.stdout.strip() or probe.stderr.strip() or "no answer").splitlines()[-1]
    if answer == "ok":
        return checks + [Check("OK", "network", "internet sockets denied to the kiosk (seccomp)")]
    return checks + [Check("FAIL", "network", f"cannot deny internet sockets: {answer}; "
                           "install libseccomp2")]  # fmt: skip


def collect_checks(config_path: Path | None, overrides: list[str] | None = None) -> list[Check]:
    cfg, checks = check_config(config_path, overrides)
    if cfg is None:
        cfg = KioskConfig()
        checks.append(Check("INFO", "config", "the checks below use the built-in defaults"))

    def guarded(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
        try:
            return fn()
        except Exception as exc:  # a crashing check is a finding, not a crashing doctor
            return [Check("FAIL", name, f"check crashed: {type(exc).__name__}: {exc}")]

    checks += guarded("camera", lambda: check_cameras(cfg))
    checks += guarded("display", check_display)
    checks += guarded("detector", lambda: check_detector(cfg))
    wnids: list[tuple[str, ...] | None] = [None]

    def classifier() -> list[Check]:
        found, wnids[0] = check_classifier(cfg)
        return found

    checks += guarded("classifier", classifier)
    checks += guarded("labels", lambda: check_labels(cfg, wnids[0]))
    checks += guarded("health", lambda: check_health(cfg))
    checks += guarded("systemd", check_systemd)
    checks += guarded("privacy", lambda: check_privacy(cfg))
    return checks


def render(checks: list[Check], out: TextIO) -> None:
    from kiosk import __version__

    print(f"roulette kiosk {__version__} doctor", file=out)
    for check in checks:
        lines = check.detail.splitlines() or [""]
        print(f"{check.status:<4} {check.name:<10} {lines[0]}", file=out)
        for line in lines[1:]:
            print(f"{'':<15} {line.strip()}", file=out)
    fails = sum(c.status == "FAIL" for c in checks)
    warns = sum(c.status == "WARN" for c in checks)
    verdict = "problems found" if fails else "ready"
    print(f"{verdict}: {fails} FAIL, {warns} WARN", file=out)


def run_doctor(
    config_path: Path | None, overrides: list[str] | None = None, out: TextIO | None = None
) -> int:
    """Print the checks; 0 when none FAILs, 1 otherwise."""
    out = out or sys.stdout
    checks = collect_checks(Path(config_path) if config_path else None, overrides)
    render(checks, out)
    return 1 if any(c.status == "FAIL" for c in checks) else 0
