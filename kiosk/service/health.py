"""A small JSON health file for `kiosk doctor` and monitoring: numbers and names, no image data.

The same document also feeds the optional Prometheus textfile (kiosk/service/prometheus.py),
written at the same cadence.

Written atomically (temporary file in the same folder, then rename) so a reader never sees
half a file. Under the systemd unit it lives in /run/roulette-kiosk/ (RuntimeDirectory=),
which disappears when the service stops. The file is world-readable on purpose (0644): a
technician may run doctor as another user, and it holds only the metrics snapshot.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.service.atomic import replace_file
from kiosk.service.prometheus import PrometheusTextfile

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Keys of Metrics.snapshot() copied into the file; anything else is dropped on purpose.
_ALLOWED = {
    "fps", "frame_p50_ms", "frame_p95_ms", "frame_p99_ms", "detect_p50_ms", "detect_p99_ms",
    "classify_p50_ms", "classify_p99_ms", "crops_per_batch", "faces", "provider", "rss_mb",
    "frames", "uptime_s", "errors", "consecutive_failures", "last_error", "failing",
    "first_label_p50_ms", "first_label_p95_ms", "first_label_p99_ms", "totals",
    "camera", "camera_mode",
}  # fmt: skip


def build_health(snapshot: dict[str, Any], *, wall_time: float | None = None) -> dict[str, Any]:
    """The document written: the snapshot's known keys, failing components, time and pid."""
    doc = {key: value for key, value in snapshot.items() if key in _ALLOWED}
    doc["failing"] = list(snapshot.get("failing", []))
    doc["status"] = "failing" if doc["failing"] else "ok"
    doc["timestamp"] = wall_time if wall_time is not None else time.time()
    doc["pid"] = os.getpid()
    doc["version"] = SCHEMA_VERSION
    return doc


def write_health(path: Path, doc: dict[str, Any]) -> None:
    """Replace `path` atomically with `doc` as JSON (mode 0644)."""
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    replace_file(path, text.encode("utf-8"), 0o644)


def read_health(path: Path) -> dict[str, Any] | None:
    """The health document, or None if the file is missing; ValueError if it is unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a JSON object")
    return doc


class Health:
    """Rewrites the health file every `interval_s` from `Metrics.snapshot()`, and the
    Prometheus textfile (`textfile`) from the same document; no-op without either.

    Errors writing them are logged once and never raised: the display must go on.
    """

    def __init__(
        self,
        path: Path | None,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        textfile: PrometheusTextfile | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.interval_s = interval_s
        self.textfile = textfile
        self._clock = clock
        self._next: float | None = None
        self._warned = False

    @classmethod
    def from_config(cls, service_cfg: Any, **kwargs: Any) -> Health:
        """From `KioskConfig.service` (health_file, health_interval_s, prometheus_textfile)."""
        prom = getattr(service_cfg, "prometheus_textfile", None)
        kwargs.setdefault("textfile", PrometheusTextfile(prom) if prom is not None else None)
        return cls(service_cfg.health_file, service_cfg.health_interval_s, **kwargs)

    @property
    def enabled(self) -> bool:
        return self.path is not None or self.textfile is not None

    def write(self, snapshot: dict[str, Any]) -> bool:
        """Write both files from one snapshot; True if the health file (or, without one, the
        textfile) was written."""
        if not self.enabled:
            return False
        doc = build_health(snapshot)
        prom_ok = self.textfile.write(doc) if self.textfile is not None else False
        if self.path is None:
            return prom_ok
        try:
            write_health(self.path, doc)
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write health file %s: %s", self.path, exc)
                self._warned = True
            return False

    def maybe_write(self, metrics: Any, now: float | None = None) -> bool:
        """Write `metrics.snapshot()` if `interval_s` has passed (the first call writes)."""
        if not self.enabled:
            return False
        now = self._clock() if now is None else now
        if self._next is not None and now < self._next:
            return False
        self._next = now + self.interval_s
        return self.write(metrics.snapshot())

    def remove(self) -> None:
        """On a clean stop: delete the health file, so a stale file never looks like a live
        service, and mark the textfile down (`roulette_kiosk_up 0`)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
        if self.textfile is not None:
            self.textfile.write_stopped()


HealthWriter = Health  # older name
