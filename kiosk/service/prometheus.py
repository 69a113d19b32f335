"""The health file's numbers as a Prometheus textfile, for node_exporter's textfile collector.

`service.prometheus_textfile: /var/lib/prometheus/node-exporter/roulette-kiosk.prom` makes the
kiosk rewrite that file at the health file's cadence, so a museum with several screens sees
them all in one Prometheus. Names follow Prometheus conventions: the `roulette_kiosk_` prefix,
`_total` counters, base units (`_seconds`, `_bytes`), latency quantiles as summaries over the
same recent window the health file uses (the last ~1,000 samples, not since start).

The `prometheus_client` library renders the text format (`generate_latest` over a collector
that reads one health document); it opens no socket and starts no thread for that. Its own
`write_to_textfile` is not used: it creates the file with the process umask, 0600 under the
unit's `UMask=0077`, which node_exporter (another user) could not read; `replace_file` writes
it atomically with mode 0644 instead. Only numbers and three kinds of label go out: the
execution provider's name, component names (source, detect, classify, render, calibration)
and quantiles.

On a clean stop the file is rewritten once with `roulette_kiosk_up 0`, so a kiosk closed for
the night reads as down rather than vanishing; a crashed or hung one leaves a file whose
`roulette_kiosk_last_update_timestamp_seconds` (and node_exporter's own
`node_textfile_mtime_seconds`) stops moving.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.service.atomic import replace_file

log = logging.getLogger(__name__)

PREFIX = "roulette_kiosk_"
_NAN = float("nan")


def _seconds(ms: Any) -> float:
    """A health file's milliseconds as seconds; NaN where there were no samples (as the
    official client reports an empty summary)."""
    return round(float(ms) / 1000.0, 6) if isinstance(ms, int | float) else _NAN


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


class _HealthCollector:
    """A prometheus_client collector over one health document (kiosk/service/health.py)."""

    def __init__(self, doc: dict[str, Any], *, up: bool) -> None:
        self.doc = doc
        self.up = up

    def collect(self) -> Iterator[Any]:
        yield from self._life()
        yield from self._timings()
        yield from self._equipment()
        yield from self._components()

    def _life(self) -> Iterator[Any]:
        doc = self.doc
        yield from _gauge("up", "1 while the kiosk runs; 0 once it stopped cleanly.",
                          1 if self.up else 0)
        yield from _gauge("healthy", "1 while no component is failing (the health file's "
                          "status ok); 0 while one is: see roulette_kiosk_failing.",
                          0 if doc.get("failing") else 1)
        yield from _gauge("last_update_timestamp_seconds",
                          "Unix time this file was written (a stale value: crashed or hung).",
                          doc.get("timestamp"))
        yield from _gauge("uptime_seconds", "Seconds since the kiosk started.",
                          doc.get("uptime_s"))
        yield from _counter("frames", "Frames drawn since start.", doc.get("frames"))
        yield from _gauge("frames_per_second", "Display rate over the recent frames.",
                          doc.get("fps"))
        yield from _gauge("detections_per_second", "How often face detection ran over the "
                          "last 10 s (beside the picture, at the rate the CPU allows).",
                          doc.get("detect_hz"))

    def _timings(self) -> Iterator[Any]:
        doc = self.doc
        totals = doc.get("totals") or {}
        yield from _summary(
            "frame_time_seconds", "Time between drawn frames (recent window).",
            {"0.5": doc.get("frame_p50_ms"), "0.95": doc.get("frame_p95_ms"),
             "0.99": doc.get("frame_p99_ms")},
            doc.get("frames"), totals.get("frame_seconds"))
        yield from _summary(
            "detection_seconds", "Face detection time per camera frame (recent window).",
            {"0.5": doc.get("detect_p50_ms"), "0.99": doc.get("detect_p99_ms")},
            totals.get("detections"), totals.get("detect_seconds"))
        yield from _summary(
            "classification_batch_seconds", "Model time per batch of crops (recent window).",
            {"0.5": doc.get("classify_p50_ms"), "0.99": doc.get("classify_p99_ms")},
            totals.get("batches"), totals.get("classify_seconds"))
        yield from _summary(
            "first_label_seconds",
            "From a visitor's first sighting to their first label (recent visitors).",
            {"0.5": doc.get("first_label_p50_ms"), "0.95": doc.get("first_label_p95_ms"),
             "0.99": doc.get("first_label_p99_ms")})
        yield from _counter("classified_crops", "Face or scene crops labelled since start.",
                            totals.get("crops"))
        yield from _gauge("crops_per_batch", "Mean crops per model batch (recent window).",
                          doc.get("crops_per_batch"))
        yield from _gauge("faces", "Faces on screen now.", doc.get("faces"))

    def _equipment(self) -> Iterator[Any]:
        """Memory, the camera's mode and the model's provider."""
        from prometheus_client.core import InfoMetricFamily

        doc = self.doc
        rss_mb = _number(doc.get("rss_mb"))
        if rss_mb is not None:
            yield from _gauge("resident_memory_bytes", "Resident memory of the kiosk process.",
                              round(rss_mb * 1024 * 1024))
        camera = doc.get("camera_mode")
        if isinstance(camera, dict):
            yield from _gauge("camera_frames_per_second", "The rate the camera really "
                              "delivered over its first seconds (measured, not the driver's "
                              "figure).", camera.get("measured_fps"))
            yield InfoMetricFamily(PREFIX + "camera", "The camera's pixel format and size.",
                                   value={"format": str(camera.get("format") or "?"),
                                          "size": f"{camera.get('width')}x{camera.get('height')}"})
        provider = doc.get("provider")
        if isinstance(provider, str) and provider not in ("", "-"):
            yield InfoMetricFamily(PREFIX + "provider", "The model's onnxruntime execution "
                                   "provider.", value={"provider": provider})

    def _components(self) -> Iterator[Any]:
        """Errors, streaks and failing, one sample per component that has any."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        doc = self.doc
        errors = {str(k): v for k, v in (doc.get("errors") or {}).items()}
        streaks = {str(k): v for k, v in (doc.get("consecutive_failures") or {}).items()}
        failing = {str(c) for c in doc.get("failing") or []}
        components = sorted(set(errors) | set(streaks) | failing)
        if not components:
            return
        total = CounterMetricFamily(PREFIX + "errors", "Failures since start, by component.",
                                    labels=["component"])
        streak = GaugeMetricFamily(PREFIX + "consecutive_failures",
                                   "The current failure streak, by component.",
                                   labels=["component"])
        alert = GaugeMetricFamily(PREFIX + "failing", "1 while a component's streak "
                                  "reached service.failure_alert_count, or it has kept "
                                  "failing for service.failing_after_s.",
                                  labels=["component"])
        for component in components:
            total.add_metric([component], float(errors.get(component, 0)))
            streak.add_metric([component], float(streaks.get(component, 0)))
            alert.add_metric([component], 1.0 if component in failing else 0.0)
        yield from (total, streak, alert)


def _gauge(name: str, doc_text: str, value: Any) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily

    number = _number(value)
    if number is not None:
        yield GaugeMetricFamily(PREFIX + name, doc_text, value=number)


def _counter(name: str, doc_text: str, value: Any) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    number = _number(value)
    if number is not None:
        yield CounterMetricFamily(PREFIX + name, doc_text, value=number)


def _summary(name: str, doc_text: str, quantiles: dict[str, Any],
             count: Any = None, total_s: Any = None) -> Iterator[Any]:
    from prometheus_client.core import Metric

    full = PREFIX + name
    metric = Metric(full, doc_text, "summary")
    for q, ms in quantiles.items():
        metric.add_sample(full, {"quantile": q}, _seconds(ms))
    if _number(count) is not None and _number(total_s) is not None:
        metric.add_sample(full + "_sum", {}, float(total_s))
        metric.add_sample(full + "_count", {}, float(count))
    yield metric


def render_textfile(doc: dict[str, Any], *, up: bool = True) -> bytes:
    """The Prometheus text exposition of one health document."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HealthCollector(doc, up=up))
    return generate_latest(registry)


class PrometheusTextfile:
    """Rewrites one `.prom` file from health documents; errors are logged once, never raised."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._warned = False
        self._last: dict[str, Any] | None = None

    def write(self, doc: dict[str, Any], *, up: bool = True) -> bool:
        self._last = doc
        try:
            replace_file(self.path, render_textfile(doc, up=up), 0o644)
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write Prometheus textfile %s: %s", self.path, exc)
                self._warned = True
            return False

    def write_stopped(self) -> bool:
        """The last numbers once more with `roulette_kiosk_up 0` (a clean stop)."""
        return self.write(dict(self._last or {}, timestamp=time.time()), up=False)
