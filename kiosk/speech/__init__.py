"""Speech: the landed label said aloud (issue 37), off unless `audio.speak` is on.

`policy.py` decides what is said and when (newest first, one at a time, nothing late, each
visitor once), `synth.py` makes the sound with espeak-ng in memory, `speaker.py` plays it
through pygame's mixer on a thread of its own, and `speech_for` makes it for the kiosk.
"""

from kiosk.speech.speaker import (
    NoSpeech,
    Speaker,
    apply_audio_env,
    audio_driver,
    speech_for,
)
from kiosk.speech.synth import Espeak, Pcm, SpeechError

__all__ = ["Espeak", "NoSpeech", "Pcm", "Speaker", "SpeechError", "apply_audio_env",
           "speech_for", "audio_driver"]
