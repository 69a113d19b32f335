"""The full-screen loop: source -> detect -> track -> classify -> render, at camera rate.

This module owns pygame's window, keys, frame pacing and the service hooks (systemd
watchdog, metrics, health file, optional capture). It never waits on the model, and it
survives any worker failure: the worst a fault can do is leave a face "spinning".
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kiosk.collaborators import (
    Calibration,
    FaceFinder,
    HealthFile,
    KioskMetrics,
    ScreenCapture,
    ServiceNotifier,
)
from kiosk.config import KioskConfig
from kiosk.detect import FaceDetector
from kiosk.frame_path import PathHooks, build_frame_path
from kiosk.pacing import DrawPacer
from kiosk.service.display_lost import watch_display
from kiosk.service.hooks import ServiceHooks
from kiosk.service.outage import Outage
from kiosk.sources.base import FrameSource, mirror_for
from kiosk.speech import apply_audio_env, speech_for
from kiosk.views import FrameView

if TYPE_CHECKING:
    import pygame

    from kiosk.classify.labeller import Labeller
    from kiosk.classify.worker import ClassificationWorker
    from kiosk.detect.loop import DetectionLoop
    from kiosk.pipeline import Pipeline
    from kiosk.service.faults import Faults
    from kiosk.sources.reader import FrameReader

log = logging.getLogger(__name__)


class DisplayError(RuntimeError):
    """No screen could be opened where one is required (display.require_screen)."""


def screen_required(config: KioskConfig, environ: Mapping[str, str] | None = None) -> bool:
    """display.require_screen, with auto resolved: required under systemd (NOTIFY_SOCKET), where
    a headless kiosk would report itself ready while the museum's screen stays black."""
    setting = config.display.require_screen
    if setting != "auto":
        return bool(setting)
    env = os.environ if environ is None else environ
    return bool(env.get("NOTIFY_SOCKET"))


def init_display(config: KioskConfig, *, headless: bool = False,
                 required: bool = False) -> tuple[pygame.Surface, bool]:
    """Open the screen; with no usable display fall back to SDL's dummy driver, unless a screen
    is `required`: then raise DisplayError naming the driver that failed.

    Returns the surface and whether the run is headless. Headless runs draw the same pixels
    into an off-screen surface (tests, benchmarks, and a developer's machine without a screen).
    """
    apply_audio_env(config)  # SDL_AUDIODRIVER from audio.driver/the environment (speech)
    import pygame

    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    wanted = os.environ.get("SDL_VIDEODRIVER") or "SDL's default"
    try:
        pygame.display.init()
    except pygame.error as exc:
        if required:
            raise DisplayError(f"no screen: the SDL video driver {wanted} failed ({exc}); "
                               f"{_display_hints()}") from exc
        log.warning("no display available (%s); running headless", exc)
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        pygame.display.quit()
        pygame.display.init()
    headless = pygame.display.get_driver() in ("dummy", "offscreen")
    if headless and required:
        driver = pygame.display.get_driver()
        pygame.display.quit()
        raise DisplayError(f"no screen: the SDL video driver is {driver}, which shows nothing "
                           f"(SDL_VIDEODRIVER={wanted}); {_display_hints()}")
    disp = config.display
    size = (disp.width, disp.height)
    flags = 0
    if disp.fullscreen and not headless:
        flags = pygame.FULLSCREEN
        info = pygame.display.Info()
        if info.current_w > 0 and info.current_h > 0:
            size = (info.current_w, info.current_h)
    surface = pygame.display.set_mode(size, flags)
    pygame.display.set_caption(config.texts.title)
    if not headless:
        pygame.mouse.set_visible(False)
    return surface, headless


def _display_hints() -> str:
    """What the environment says about where a screen would be, for the one error line."""
    found = [f"{k}={os.environ[k]}" for k in ("DISPLAY", "WAYLAND_DISPLAY") if os.environ.get(k)]
    return ("as a service the kiosk never runs headless "
            f"({', '.join(found) if found else 'no DISPLAY or WAYLAND_DISPLAY set'})")


def _faults_from_environ() -> Faults | None:
    """Fault injection (kiosk/service/faults.py) only when $KIOSK_FAULTS asks (a test, the
    soak); otherwise nothing is wrapped."""
    if not os.environ.get("KIOSK_FAULTS"):
        return None
    from kiosk.service.faults import Faults

    return Faults.from_environ()


@dataclass
class RunStats:
    """What a run did, for tests, benchmarks and the exit log line."""

    frames: int = 0
    seconds: float = 0.0
    frame_times: list[float] = field(default_factory=list)  # flip to flip, pacing included
    work_times: list[float] = field(default_factory=list)  # events+pipeline+draw+flip only
    quit_by_key: bool = False

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class KioskApp:
    """Builds the parts from a config and runs the display loop."""

    def __init__(self, config: KioskConfig, labeller: Labeller, source: FrameSource, *,
                 notice: str | None = None, headless: bool = False,
                 threaded_source: bool = True, detector: FaceFinder | None = None,
                 notifier: ServiceNotifier | None = None, metrics: KioskMetrics | None = None,
                 health: HealthFile | None = None, capture: ScreenCapture | None = None,
                 provider: str = "", vocabulary: str = "",
                 calibration: Calibration | None = None, faults: Faults | None = None,
                 require_screen: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        import pygame

        from kiosk.render.renderer import Renderer

        # the screen first: without one (where one is required) nothing else is started
        self.surface, self.headless = init_display(config, headless=headless,
                                                   required=require_screen)
        self.config = config
        self.clock = clock  # the frame logic's and the wheel's time (a test may move it itself)
        self.notice = notice
        self.capture = capture
        self.provider = provider
        self.vocabulary = vocabulary
        self.detector: FaceFinder = detector or FaceDetector.from_config(config)
        self.faults = faults = faults if faults is not None else _faults_from_environ()
        inject = faults.wrap if faults is not None else lambda _component, fn: fn
        source = faults.source(source) if faults is not None else source
        self.service = ServiceHooks(config, notifier=notifier, metrics=metrics, health=health,
                                    calibration=calibration, inject=inject)
        self.pacer = DrawPacer(config.display.target_fps)
        self.speech = speech_for(config, self.service)  # audio.speak: the landed label aloud
        self.path = build_frame_path(
            config, source, inject("detect", self.detector.detect),
            inject("classify", labeller.look), labeller, threaded=threaded_source,
            on_cpu=provider in ("", "CPUExecutionProvider"), clock=clock,
            search_paused=self.detector.search_paused, hooks=self._path_hooks())
        if self.service.metrics is not None:
            self.service.metrics.watch_first_labels(lambda: self.pipeline.first_label_latencies)
            self.service.metrics.watch_camera(source.camera_mode)  # None but for cameras
        self._source_outage = Outage("source", self.service.on_error, self.service.on_success,
                                     grace_s=config.camera.read_timeout_s)
        self.renderer_mirror = mirror_for(config.display.mirror, source)
        self.renderer = Renderer(self.surface.get_size(), config.display, config.texts,
                                 mirror=self.renderer_mirror, clock=clock,
                                 on_fault=lambda exc: self.service.on_error("render", exc),
                                 wrap_paint=lambda paint: inject("render", paint))  # the seam
        self._render_failures_in_row = 0
        watch_display(pygame.display.get_driver())  # an X server lost later: one line, exit 1
        if faults is not None:
            faults.start()
        self._pygame = pygame
        self._last_view: FrameView | None = None
        self._frame_times: list[float] = []
        self._running = True

    # the frame path's parts, by the names tests, benchmarks and the soak use
    @property
    def pipeline(self) -> Pipeline:
        return self.path.pipeline

    @property
    def worker(self) -> ClassificationWorker:
        return self.path.worker

    @property
    def reader(self) -> FrameReader:
        return self.path.reader

    @property
    def detect_loop(self) -> DetectionLoop | None:
        return self.path.detect_loop

    def _path_hooks(self) -> PathHooks:
        """What the frame path tells the service (faults, batches, visitors) and the pacer."""
        hooks = self.service
        calibration = hooks.calibration
        return PathHooks(on_error=hooks.on_error, on_success=hooks.on_success,
                         on_batch=hooks.on_batch,
                         on_visitor=calibration.add_visitor if calibration else None,
                         on_first_label=self.speech.landed,
                         on_frame=self.pacer.news, on_results=self.pacer.label_news)

    # -- the loop ---------------------------------------------------------------------
    def _camera_available(self) -> bool:
        """False while the source is gone, or (a camera, or any source read on its own thread)
        has delivered nothing for camera.read_timeout_s: a driver hung in read() included."""
        if not self.reader.available:
            return False
        since = self.reader.seconds_since_frame()
        if self.reader.source.live:
            return since <= self.config.camera.read_timeout_s
        if self.detect_loop is not None:  # a file: once it has started
            return since == float("inf") or since <= self.config.camera.read_timeout_s
        return True

    def _debug_info(self) -> dict[str, str]:
        times = self._frame_times[-120:]
        fps = len(times) / sum(times) if times and sum(times) > 0 else 0.0
        detect = self.pipeline.timings.detect_s
        classify_ms = self.service.last_classify_ms
        return {
            "fps": f"{fps:.1f}",
            "frame p99": f"{np.percentile(times, 99) * 1000:.1f} ms" if times else "-",
            "detect": f"{detect * 1000:.1f} ms" if detect is not None else "-",
            "classify": f"{classify_ms:.1f} ms" if classify_ms else "-",
            "faces": str(self.pipeline.timings.faces),
            "provider": self.provider or "-",
            "source": self.reader.source.name,
        }

    def _handle_events(self) -> None:
        pg = self._pygame
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self._running = False
            elif event.type == pg.KEYDOWN:
                if event.key in (pg.K_q, pg.K_ESCAPE):
                    self._running = False
                elif event.key == pg.K_d:
                    self.renderer.toggle_debug()
                elif event.key == pg.K_t:
                    self.renderer.toggle_topk()
                elif event.key == pg.K_c and self.capture is not None:
                    self.capture.maybe_save(self.surface, self.clock(), force=True)

    def step(self) -> FrameView:
        """One display frame: newest camera frame through the pipeline onto the screen."""
        frame = self.reader.latest()
        detected = None
        if self.detect_loop is not None:
            self.detect_loop.ensure_running()
            detected = self.detect_loop.take()
        available = self._camera_available()
        self._source_outage.update(available, f"no frames from {self.reader.source.name}")
        view = self.pipeline.step(frame, camera_available=available, notice=self.notice,
                                  now=self.clock(), detected=detected)
        if view.mode == "live" and view.frame is None and self._last_view is not None:
            view = self._last_view  # nothing new from the camera yet: keep the last screen
        if self.renderer.debug_enabled:
            view = dataclasses.replace(view, debug=self._debug_info())
        # the renderer catches and counts its own faults (on_fault) and draws black
        drawn = self.renderer.draw(self.surface, view) is not None
        if drawn:
            if self._render_failures_in_row:
                self.service.on_success("render")
            self._render_failures_in_row = 0
        else:
            self._render_failures_in_row += 1
        self._last_view = view
        return view

    def present(self) -> None:
        """Show what step() drew: the screen's back buffer flipped to the front."""
        self._pygame.display.flip()

    def startup_line(self) -> str:
        """What a technician wants from the journal at start: how long the first frame took
        and what was chosen (source, screen, provider, vocabulary)."""
        import psutil

        since_start = time.time() - psutil.Process().create_time()
        w, h = self.surface.get_size()
        driver = self._pygame.display.get_driver()
        screen = ("headless" if self.headless
                  else "fullscreen" if self.config.display.fullscreen else "window")
        return (f"first frame drawn {since_start:.1f} s after start: "
                f"source={self.reader.source.name!r} screen={w}x{h} {screen} ({driver}) "
                f"mirror={self.renderer_mirror} provider={self.provider or '-'} "
                f"vocabulary={self.vocabulary or '-'}")

    def run(self, *, max_frames: int | None = None, max_seconds: float | None = None,
            paced: bool = True) -> RunStats:
        """Run until quit (key Q/Esc), `max_frames` or `max_seconds`; returns what it did."""
        stats = RunStats()
        started = last = time.monotonic()
        while self._running:
            work_started = time.monotonic()
            self._handle_events()
            view = self.step()
            self.present()
            if self.capture is not None and view.faces:
                self.capture.maybe_save(self.surface, self.clock())
            stats.work_times.append(time.monotonic() - work_started)
            if paced:  # until a new frame or label arrives, or the display rate says so
                self.pacer.wait()
            now = time.monotonic()
            frame_time = now - last
            last = now
            self._count(stats, frame_time)
            if stats.frames == 1:
                log.info("%s", self.startup_line())
            self.service.frame_shown(now, frame_time, first=stats.frames == 1,
                                     detect_s=self.pipeline.timings.detect_s,
                                     faces=self.pipeline.timings.faces,
                                     render_failures_in_row=self._render_failures_in_row,
                                     source_name=self.reader.source.name)
            if max_frames is not None and stats.frames >= max_frames:
                break
            if max_seconds is not None and now - started >= max_seconds:
                break
        stats.seconds = time.monotonic() - started
        stats.quit_by_key = not self._running
        return stats

    def _count(self, stats: RunStats, frame_time: float) -> None:
        stats.frames += 1
        stats.frame_times.append(frame_time)
        self._frame_times.append(frame_time)
        del self._frame_times[:-240]
        if len(stats.frame_times) > 200_000:  # bounded, for month-long runs
            del stats.frame_times[:100_000]
            del stats.work_times[:100_000]

    def screenshot(self) -> np.ndarray:
        """The screen as RGB (H, W, 3), read back from the real pygame surface."""
        return np.ascontiguousarray(self._pygame.surfarray.array3d(self.surface).swapaxes(0, 1))

    def close(self) -> None:
        if self.faults is not None:
            self.faults.close()
        self.service.stopping()
        self.speech.close()
        self.path.close()
        self.detector.close()
        self.service.close()
        self._pygame.display.quit()

    def __enter__(self) -> KioskApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
