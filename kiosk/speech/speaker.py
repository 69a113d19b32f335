"""The speech thread: a landed label said aloud, never in the display's way.

The display thread only offers a label (`Speaker.landed`: a lock held for a few list
operations). A thread of its own takes the newest fresh label (kiosk/speech/policy.py), has
espeak-ng synthesise it in memory (kiosk/speech/synth.py), and plays it through pygame's
mixer (SDL audio, a Sound made from the buffer), one utterance at a time.

What can go wrong leaves a silent kiosk, never a stalled one: espeak-ng missing, a voice that
fails, no sound device. Each is one log line and a counted fault of the component "speech"
(health file, Prometheus, `kiosk doctor`), retried at most every RETRY_S while labels keep
landing. Outside opening hours (`hours`, when set) nothing is said.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.config import AudioConfig, HoursConfig, KioskConfig
from kiosk.speech.policy import Offer, SpeechQueue, utterance
from kiosk.speech.synth import Espeak, Pcm, SpeechError, for_mixer, join
from kiosk.views import Label

log = logging.getLogger(__name__)

RETRY_S = 30.0  # a missing espeak-ng or sound device is tried again at most this often
POLL_S = 0.02  # how often a playing utterance is looked at (its end, or the kiosk stopping)
HOURS_RECHECK_S = 600.0  # hours that could not be read are tried again after this long
MIXER = (44100, -16, 2)  # the mixer's format (SDL converts for the device)
VOICES = {"en": "en", "es": "es", "fr": "fr", "it": "it", "ro": "ro"}
ENV_DRIVER = "SDL_AUDIODRIVER"


def audio_driver(audio: AudioConfig, environ: dict[str, str] | os._Environ[str] | None = None
                 ) -> str:
    """The SDL audio driver the kiosk uses: audio.driver; auto: $SDL_AUDIODRIVER when set,
    else alsa with speech on and dummy with it off (no sound device is then opened)."""
    env = os.environ if environ is None else environ
    if audio.driver != "auto":
        return audio.driver
    return env.get(ENV_DRIVER) or ("alsa" if audio.speak else "dummy")


def apply_audio_env(config: KioskConfig) -> str:
    """Set SDL_AUDIODRIVER (and, for ALSA, AUDIODEV from audio.device) before SDL starts, on
    the main thread; returns the driver. init_display calls it."""
    driver = audio_driver(config.audio)
    os.environ[ENV_DRIVER] = driver
    if config.audio.speak and config.audio.device and driver == "alsa":
        os.environ["AUDIODEV"] = config.audio.device  # SDL's ALSA driver opens this device
    return driver


def voice_for(language: str, audio: AudioConfig, kiosk_language: str) -> str:
    if audio.voice and language == kiosk_language:
        return audio.voice
    return VOICES.get(language, language)


class OpeningHours:
    """Whether the kiosk is open now, asked of systemd-analyze only when the answer may have
    changed (at the next opening or closing)."""

    def __init__(self, hours: HoursConfig, wall: Callable[[], float] = time.time) -> None:
        self._hours = hours
        self._wall = wall
        self._open = True
        self._until = float("-inf")

    def open_now(self) -> bool:
        if not self._hours.enabled:
            return True
        now = self._wall()
        if now < self._until:
            return self._open
        from kiosk.service.hours import CalendarError, next_elapse

        try:
            opens, closes = next_elapse(self._hours.open, now), next_elapse(self._hours.close, now)
        except (CalendarError, OSError) as exc:
            log.warning("speech: opening hours unreadable (%s): speaking as if open", exc)
            self._open, self._until = True, now + HOURS_RECHECK_S
            return True
        self._open = closes is not None and (opens is None or closes < opens)
        changes = [t for t in (opens, closes) if t is not None]
        self._until = min(changes) if changes else float("inf")
        return self._open


@dataclass
class Said:
    """One utterance as played (for tests and the first log line): when its label landed, when
    its sound began and ended (the speech clock), and how long the audio is."""

    track_id: int
    landed_at: float
    started_at: float
    ended_at: float | None
    audio_s: float


class Speaker:
    """Says each newcomer's label once, on a thread of its own; `close()` stops it."""

    def __init__(self, config: KioskConfig, *,
                 on_error: Callable[[str, BaseException], None] | None = None,
                 on_success: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 synth: Espeak | None = None, hours: OpeningHours | None = None) -> None:
        self.audio = config.audio
        self.language = config.vocabulary.language
        self._on_error = on_error
        self._on_success = on_success
        self._clock = clock
        self.synth = synth or Espeak(config.audio.words_per_minute)
        self.hours = hours or OpeningHours(config.hours)
        self.queue = SpeechQueue(config.audio.max_wait_s)
        # the driver SDL will open: the kiosk set it from audio.driver (apply_audio_env, in
        # init_display, before any thread); nothing here changes the environment
        self.driver = os.environ.get(ENV_DRIVER) or "SDL's default"
        self.said: deque[Said] = deque(maxlen=64)
        self.closed_skips = 0  # labels not said: outside opening hours
        self.failed = 0  # labels not said: a fault
        self.problem: str | None = None  # why the kiosk is silent, while it is
        self.ready = threading.Event()  # set once the first start-up attempt is over
        self._mixer: object | None = None
        self._channel: object | None = None
        self._format = MIXER
        self._tried_at = float("-inf")
        self.opened_at: float | None = None  # when the mixer opened (the speech clock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    # -- the display thread ---------------------------------------------------------------
    def landed(self, track_id: int, label: Label) -> None:
        """A newcomer's label has landed: offer it (said once while the visitor stays)."""
        parts = utterance(label, self.language, gloss=self.audio.speak_gloss)
        if parts and self.queue.offer(Offer(track_id, parts, self._clock())):
            self._wake.set()

    # -- the speech thread ----------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._start()
        finally:
            self.ready.set()
        while not self._stop.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            while not self._stop.is_set():
                offer = self.queue.take(self._clock())
                if offer is None:
                    break
                self._say(offer)

    def _start(self) -> bool:
        """espeak-ng, the voice and the sound device, tried now; False (and one fault) if
        any is missing."""
        self._tried_at = self._clock()
        try:
            self.synth.synthesize("ok", voice_for(self.language, self.audio, self.language))
            self._open_mixer()
        except SpeechError as exc:
            self.problem = str(exc)
            self._fault(exc)
            return False
        if self.problem is not None:
            log.info("speech: working again")
        self.problem = None
        log.info("speech on: espeak-ng %s, voice %s, SDL audio driver %s, device %s, "
                 "volume %.2f", self.synth.version() or "?",
                 voice_for(self.language, self.audio, self.language), self.driver,
                 self.audio.device or "default", self.audio.volume)
        return True

    def _open_mixer(self) -> None:
        if self._mixer is not None:
            return
        if self.driver == "disk" and not os.environ.get("SDL_DISKAUDIOFILE"):
            raise SpeechError("SDL_AUDIODRIVER=disk would write the audio to a file "
                              "(sdlaudio.raw): a test's driver only, with SDL_DISKAUDIOFILE set")
        import pygame

        device = self.audio.device if self.driver != "alsa" else None  # alsa: AUDIODEV
        try:
            pygame.mixer.init(*MIXER, buffer=1024, devicename=device, allowedchanges=0)
            pygame.mixer.set_num_channels(1)
        except pygame.error as exc:
            where = f" device {self.audio.device}," if self.audio.device else ""
            snd = (" (no /dev/snd: no sound card, or the unit does not grant it)"
                   if self.driver == "alsa" and not os.path.isdir("/dev/snd") else "")
            raise SpeechError(
                f"no sound device: SDL audio driver {self.driver},{where} failed ({exc}){snd}; "
                "plug in a speaker or USB sound card, check `aplay -l` / `aplay -L` and "
                "audio.device, and that the user is in group audio") from exc
        self._mixer = pygame.mixer
        self._channel = pygame.mixer.Channel(0)
        self._format = pygame.mixer.get_init() or MIXER
        self.opened_at = self._clock()

    def _available(self) -> bool:
        if self.problem is None:
            return True
        if self._clock() - self._tried_at < RETRY_S:
            return False
        return self._start()

    def _say(self, offer: Offer) -> None:
        if not self._available():
            self.failed += 1
            return
        if not self.hours.open_now():
            self.closed_skips += 1
            return
        try:
            pcm = self._synthesize(offer)
        except SpeechError as exc:
            self.failed += 1
            self._fault(exc)
            return
        if self.queue.stale(offer, self._clock()):
            return
        try:
            self._play(offer, pcm)
        except Exception as exc:  # a mixer fault: counted, and the device opened again later
            self.failed += 1
            self._close_mixer()
            self.problem, self._tried_at = f"playing failed: {exc}", self._clock()
            self._fault(exc)
            return
        if self._on_success is not None:
            self._on_success("speech")

    def _synthesize(self, offer: Offer) -> Pcm:
        parts = [self.synth.synthesize(text, voice_for(lang, self.audio, self.language))
                 for text, lang in offer.parts]
        return join(parts)

    def _play(self, offer: Offer, pcm: Pcm) -> None:
        import pygame

        rate, _size, channels = self._format
        sound = pygame.mixer.Sound(buffer=for_mixer(pcm, rate, channels))
        sound.set_volume(self.audio.volume)
        channel = self._channel
        record = Said(offer.track_id, offer.at, self._clock(), None, pcm.seconds)
        channel.play(sound)  # type: ignore[attr-defined]
        first = not self.said
        self.said.append(record)
        if first:
            log.info("speech: first label said (%.1f s of audio, begun %.2f s after it landed)",
                     pcm.seconds, record.started_at - offer.at)
        deadline = self._clock() + pcm.seconds + 2.0
        while channel.get_busy() and not self._stop.is_set():  # type: ignore[attr-defined]
            if self._clock() > deadline:
                channel.stop()  # type: ignore[attr-defined]
                break
            self._stop.wait(POLL_S)
        record.ended_at = self._clock()

    def _fault(self, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error("speech", exc)
        else:
            log.warning("speech failed: %s (the kiosk stays silent)", exc)

    def _close_mixer(self) -> None:
        if self._mixer is not None:
            import pygame

            with contextlib.suppress(Exception):  # stopping: nothing more to do
                pygame.mixer.quit()
        self._mixer = self._channel = None

    @property
    def busy(self) -> bool:
        """An utterance is playing, or a label waits to be said."""
        channel = self._channel
        return bool(len(self.queue) or (channel is not None and channel.get_busy()))

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self.synth.close()
        self._thread.join(timeout=5.0)
        self._close_mixer()


class NoSpeech:
    """audio.speak off: nothing is started, nothing is said."""

    said: tuple[Said, ...] = ()

    def landed(self, track_id: int, label: Label) -> None:
        pass

    def close(self) -> None:
        pass


def speech_for(config: KioskConfig, service: object) -> Speaker | NoSpeech:
    """The kiosk's speech, counting its faults with the service (ServiceHooks.on_error and
    on_success); NoSpeech with audio.speak off. Its `landed` is handed to where labels land
    (SpinScheduler's on_first_label, through kiosk/frame_path.py)."""
    if not config.audio.speak:
        return NoSpeech()
    return Speaker(config, on_error=getattr(service, "on_error", None),
                   on_success=getattr(service, "on_success", None))
