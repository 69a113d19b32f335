"""The real KioskApp says a newcomer's label, once (issue 37).

The bundled demo (its first scene: one visitor, the astronaut), real MediaPipe, the shipped
model, a FakeClock for the frame logic; speech on, through SDL's `disk` audio driver
(SDL_AUDIODRIVER=disk, SDL_DISKAUDIOFILE=a file of the test's): the real espeak-ng and pygame
mixer write what a speaker would play into that file, at the pace it would be played, silence
while nothing plays. Where the file stood when the label landed marks the landing in it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeClock
from test_speech import RATE, _disk, _played, _segments, needs_espeak

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.sources.demo import DemoSource

BYTES_PER_FRAME = 4  # 16-bit stereo


@pytest.fixture(scope="module")
def parts():
    from kiosk.classify.loading import load_model_parts

    loaded = load_model_parts(KioskConfig())
    yield loaded
    loaded.close()


@needs_espeak
def test_the_kiosk_says_a_newcomers_label_once_after_it_lands(
        parts, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    raw = _disk(monkeypatch, tmp_path)
    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 640, "height": 360, "mirror": False},
        "spin": {"crops": 2, "min_s": 0.1, "crop_interval_s": 0.0},
        "audio": {"speak": True}})
    clock = FakeClock(1000.0)
    app = KioskApp(config, parts.labeller, DemoSource(640, 360, fps=10.0, realtime=False),
                   headless=True, threaded_source=False, provider=parts.classifier.provider,
                   clock=clock)
    landed: list[tuple[int, str, int]] = []  # the file's size on the frame the label lands
    try:
        assert app.speech.ready.wait(30) and app.speech.problem is None, app.speech.problem
        assert raw.is_file()  # the mixer is open and playing silence
        frames_after = 0
        for _ in range(75):  # the demo's first scene (8 s at 10 fps): one visitor
            view = app.step()
            clock.t += 0.1
            if not landed and view.faces and view.faces[0].label is not None:
                face = view.faces[0]
                landed.append((face.track_id, face.label.name, raw.stat().st_size))
            elif landed:
                frames_after += 1
                assert len(view.faces) == 1 and view.faces[0].label is not None
            if frames_after >= 30 and not app.speech.busy:
                break
            time.sleep(0.04)
        assert landed, "the visitor's label never landed: the test proves nothing"
        assert frames_after >= 20, "too few frames of the same visitor after the landing"
        time.sleep(0.5)  # the file runs on, silent
    finally:
        app.close()
    (track_id, name, size_at_landing), = landed
    said = list(app.speech.said)
    assert [s.track_id for s in said] == [track_id]  # once, though 20+ frames followed

    played = _played(raw)
    landing = size_at_landing // BYTES_PER_FRAME
    assert landing > 0
    before = np.abs(played[:landing].astype(np.int32))
    assert before.max(initial=0) < 50, "sound before the label landed"
    segments = _segments(played)
    assert len(segments) == 1, segments  # one utterance, then silence to the end
    start, end = segments[0]
    assert start >= landing  # its start follows the label's landing
    assert (start - landing) / RATE < 2.0, "said long after it landed"
    speech = played[start:end + 1, 0].astype(np.float64)
    rms = float(np.sqrt(np.mean(speech ** 2)))
    assert rms > 500, f"not speech: rms {rms:.0f}"  # speech, not silence or a click
    assert (end - start) / RATE == pytest.approx(said[0].audio_s, abs=0.15)
    assert len(played) - end > 0.4 * RATE  # the file went on after it, silent
    print(f"said {name!r}: {(start - landing) / RATE:.2f} s after it landed, "
          f"{(end - start) / RATE:.2f} s long, rms {rms:.0f}; {frames_after} frames after")
