"""Speech (issue 37): a landed label said aloud, with the real parts.

espeak-ng (apt, scripts/setup.sh) really synthesises each offered language's label; SDL's
`disk` audio driver (SDL_AUDIODRIVER=disk, SDL_DISKAUDIOFILE=FILE) writes what the real
pygame mixer would play to a file the test reads back: 44.1 kHz, 16-bit stereo, written at
the pace it would be played, silence while nothing plays. The real KioskApp runs on the
bundled demo with speech on. Each test that opens the disk driver restores the environment
(monkeypatch), so no later test writes audio anywhere.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.speech import Espeak, Pcm, Speaker, SpeechError, audio_driver
from kiosk.speech.policy import Offer, SpeechQueue, first_words, utterance
from kiosk.speech.speaker import OpeningHours
from kiosk.views import Label

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (scripts/setup.sh installs it)")
RATE, CHANNELS = 44100, 2
LOUD = 300  # a sample this loud is sound, not silence (16-bit full scale: 32767)


def _label(name: str, gloss: str = "", wnid: str = "n10093167", language: str = "en") -> Label:
    return Label(wnid, name, 0.4, ("person",), gloss=gloss, gloss_language=language)


def _disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    raw = tmp_path / "played.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(raw))
    return raw


def _played(raw: Path) -> np.ndarray:
    """The disk driver's file as (frames, 2) int16."""
    data = np.frombuffer(raw.read_bytes(), dtype="<i2")
    return data[:len(data) - len(data) % CHANNELS].reshape(-1, CHANNELS)


def _segments(frames: np.ndarray, gap_s: float = 0.25) -> list[tuple[int, int]]:
    """(first, last) frame of each stretch of sound, pauses shorter than gap_s inside one."""
    loud = np.nonzero(np.abs(frames[:, 0].astype(np.int32)) >= LOUD)[0]
    if len(loud) == 0:
        return []
    breaks = np.nonzero(np.diff(loud) > gap_s * RATE)[0]
    starts = np.concatenate(([loud[0]], loud[breaks + 1]))
    ends = np.concatenate((loud[breaks], [loud[-1]]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _speech_config(**audio: object) -> KioskConfig:
    return KioskConfig.model_validate({"audio": {"speak": True, **audio}})


# -- the configuration ---------------------------------------------------------------------

def test_speech_is_off_by_default_and_its_settings_are_checked() -> None:
    audio = KioskConfig().audio
    assert audio.speak is False and audio.speak_gloss is False and audio.driver == "auto"
    assert 0 < audio.max_wait_s <= 5
    for override, key in (("audio.volume=1.5", "audio.volume"), ("audio.max_wait_s=0",
                          "audio.max_wait_s"), ("audio.voice=en us", "audio.voice"),
                          ("audio.driver=disk", "audio.driver"), ("audio.loud=1", "audio.loud")):
        with pytest.raises(ConfigError) as caught:
            load_config(None, [override])
        assert f"{key}:" in str(caught.value), str(caught.value)


def test_the_driver_follows_the_config_then_the_environment() -> None:
    off, on = KioskConfig().audio, _speech_config().audio
    assert audio_driver(off, {}) == "dummy"  # speech off: no sound device is ever opened
    assert audio_driver(on, {}) == "alsa"  # the service: no SDL_AUDIODRIVER in its unit
    assert audio_driver(on, {"SDL_AUDIODRIVER": "pulseaudio"}) == "pulseaudio"
    forced = _speech_config(driver="dummy").audio
    assert audio_driver(forced, {"SDL_AUDIODRIVER": "disk"}) == "dummy"


# -- espeak-ng, for real --------------------------------------------------------------------

def _offered_labels() -> dict[str, str]:
    """A real label of the shipped registries in each offered language (English: WordNet's)."""
    from kiosk.labels.translation import OFFERED, Translations

    labels = {"en": "first offender"}
    for language in OFFERED:
        translations = Translations.load(language)
        for wnid in ("n10093167", "n09716047", "n10129825", "n09623038"):
            found = translations.get(wnid)
            if found is not None:
                labels[language] = first_words(found.display_name)
                break
    return labels


@needs_espeak
def test_espeak_ng_says_each_offered_languages_label_and_longer_text_takes_longer() -> None:
    espeak = Espeak()
    assert espeak.version().startswith("1.")
    labels = _offered_labels()
    assert set(labels) == {"en", "es", "fr", "it", "ro"}
    for language, text in labels.items():
        short = espeak.synthesize(text, language)
        longer = espeak.synthesize(f"{text}. {text}, {text}", language)
        assert short.rate == 22050 and short.seconds > 0.3, (language, text, short.seconds)
        rms = float(np.sqrt(np.mean(short.samples.astype(np.float64) ** 2)))
        assert short.peak > 3000 and rms > 300, (language, text, short.peak, rms)
        assert longer.seconds > 2 * short.seconds, (language, short.seconds, longer.seconds)


@needs_espeak
def test_a_voice_that_fails_and_a_missing_espeak_ng_name_the_fix(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="audio.voice"):
        Espeak().synthesize("ok", "zz-nowhere")
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on it
    with pytest.raises(SpeechError, match="not found.*apt-get install espeak-ng"):
        Espeak().synthesize("ok", "en")


def test_what_is_said_is_the_labels_first_words_then_the_bands_gloss() -> None:
    label = _label("first offender, offender", "someone convicted for the first time; more")
    assert utterance(label, "en", gloss=False) == (("first offender", "en"),)
    # the gloss as the band shows it: never ending on a small word ("more")
    assert utterance(label, "en", gloss=True) == (
        ("first offender", "en"), ("someone convicted for the first time", "en"))
    built = Label("n1", "first offender", 0.4, (), gloss="a long gloss; more",
                  gloss_band="as built")
    assert utterance(built, "en", gloss=True) == (("first offender", "en"), ("as built", "en"))
    italian = Label("n1", "primo\ntrasgressore", 0.4, (), gloss="a gloss", gloss_language="en")
    assert utterance(italian, "it", gloss=True) == (("primo trasgressore", "it"),
                                                    ("a gloss", "en"))


# -- the queue policy -------------------------------------------------------------------------

def test_a_crowd_is_said_newest_first_one_at_a_time_and_never_late() -> None:
    queue = SpeechQueue(max_wait_s=3.0)
    for track_id in range(1, 7):  # six newcomers' labels land in one frame
        assert queue.offer(Offer(track_id, (("label", "en"),), 100.0 + track_id * 1e-4))
    assert not queue.offer(Offer(3, (("label", "en"),), 100.5))  # said once per visitor
    said, now = [], 100.0
    while (offer := queue.take(now)) is not None:
        assert now - offer.at <= 3.0
        said.append(offer.track_id)
        now += 1.2  # each utterance takes 1.2 s
    assert said == [6, 5, 4]  # newest first; the rest would have waited over 3 s
    assert queue.dropped_stale == 3 and len(queue) == 0


@needs_espeak
def test_six_newcomers_with_the_real_speaker(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """The real thread, espeak-ng and mixer: never two at once, newest first, none begun
    later than audio.max_wait_s after its label landed; what was played is in the file."""
    raw = _disk(monkeypatch, tmp_path)
    speaker = Speaker(_speech_config(max_wait_s=2.5))
    try:
        assert speaker.ready.wait(20) and speaker.problem is None, speaker.problem
        for track_id in range(1, 7):
            speaker.landed(track_id, _label(f"visitor number {track_id}"))
        deadline = time.monotonic() + 20
        while (speaker.busy or not speaker.said) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        speaker.close()
    said = list(speaker.said)
    ids = [s.track_id for s in said]
    assert 1 <= len(said) < 6 and ids == sorted(ids, reverse=True) and ids[0] == 6, ids
    for before, after in zip(said, said[1:], strict=False):
        assert before.ended_at is not None and after.started_at >= before.ended_at
    assert all(s.started_at - s.landed_at <= 2.5 for s in said)
    assert speaker.queue.dropped_stale == 6 - len(said)
    segments = _segments(_played(raw))  # utterances follow closely: one stretch of sound
    heard_s = (segments[-1][1] - segments[0][0]) / RATE
    # as long as the utterances one after another: none overlapped another in the mixer
    expected_s = said[-1].started_at + said[-1].audio_s - said[0].started_at
    assert heard_s == pytest.approx(expected_s, abs=0.25), (segments, said)
    assert heard_s >= sum(s.audio_s for s in said) - 0.2


# -- faults ----------------------------------------------------------------------------------

def _hooks():  # noqa: ANN202 - the service's hooks with real Metrics
    from kiosk.service.hooks import ServiceHooks
    from kiosk.service.metrics import Metrics

    return ServiceHooks(KioskConfig(), notifier=None, metrics=Metrics(60.0), health=None,
                        calibration=None, inject=lambda _c, fn: fn)


@needs_espeak
@pytest.mark.parametrize("fault", ["espeak", "voice", "device"])
def test_a_fault_leaves_a_silent_kiosk_one_log_line_and_a_counted_fault(
        fault: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        tmp_path: Path) -> None:
    if fault == "device":
        if Path("/dev/snd").is_dir():
            pytest.skip("this machine has a sound card: no missing device to show")
        monkeypatch.setenv("SDL_AUDIODRIVER", "alsa")
        config = _speech_config()
    else:
        monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
        config = _speech_config(voice="zz-nowhere") if fault == "voice" else _speech_config()
        if fault == "espeak":
            monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on it
    hooks = _hooks()
    caplog.set_level(logging.INFO)
    speaker = Speaker(config, on_error=hooks.on_error, on_success=hooks.on_success)
    try:
        assert speaker.ready.wait(20)
        started = time.monotonic()
        speaker.landed(1, _label("first offender"))  # offered at once, never waited on
        assert time.monotonic() - started < 0.05
        time.sleep(0.3)
    finally:
        speaker.close()
    fix = {"espeak": "apt-get install espeak-ng", "voice": "audio.voice",
           "device": "no sound device"}[fault]
    assert speaker.problem is not None and fix in speaker.problem, speaker.problem
    assert not speaker.said and speaker.failed == 1
    snapshot = hooks.metrics.snapshot()
    assert snapshot["errors"] == {"speech": 1}
    assert fix in snapshot["last_error"]["speech"]
    lines = [r for r in caplog.records if r.name.startswith("kiosk") and r.levelno >= 30]
    assert len(lines) == 1 and "speech failed" in lines[0].getMessage(), lines


def test_silent_outside_opening_hours() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (scripts/setup.sh installs systemd)")
    from kiosk.config import HoursConfig

    closed = OpeningHours(HoursConfig(open=["2099-01-01 10:00"], close=["2099-01-01 18:00"]))
    assert closed.open_now() is False
    opened = OpeningHours(HoursConfig(open=["2001-01-01 10:00"], close=["2099-01-01 18:00"]))
    assert opened.open_now() is True
    assert OpeningHours(HoursConfig()).open_now() is True

    class Closed:
        def open_now(self) -> bool:
            return False

    class Silent(Espeak):
        def synthesize(self, text: str, voice: str) -> Pcm:
            if text != "ok":  # the start-up probe passes; nothing else may be made
                raise AssertionError("synthesised outside opening hours")
            return Pcm(np.full(2205, 4000, np.int16), 22050)

    speaker = Speaker(_speech_config(driver="dummy"), synth=Silent(), hours=Closed())
    try:
        assert speaker.ready.wait(20)
        speaker.landed(1, _label("first offender"))
        time.sleep(0.3)
    finally:
        speaker.close()
    assert not speaker.said and speaker.closed_skips == 1


# -- kiosk doctor ------------------------------------------------------------------------------

@needs_espeak
def test_doctor_warns_and_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kiosk.doctor import check_audio

    assert check_audio(KioskConfig()) == []  # speech off: nothing to say
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    found = check_audio(_speech_config(voice="zz-nowhere"))
    assert [c.status for c in found] == ["WARN", "WARN"], found
    assert "audio.voice" in found[0].detail and "nothing is heard" in found[1].detail
    if not Path("/dev/snd").is_dir():
        monkeypatch.setenv("SDL_AUDIODRIVER", "alsa")
        (device,) = [c for c in check_audio(_speech_config()) if "sound device" in c.detail]
        assert device.status == "WARN" and "aplay -l" in device.detail, device
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on it
    (missing,) = check_audio(_speech_config())
    assert missing.status == "WARN" and "apt-get install espeak-ng" in missing.detail
