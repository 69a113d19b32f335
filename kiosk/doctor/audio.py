"""Speech (audio.speak): espeak-ng, its voice for the kiosk's language, and the sound device.

Each problem is a WARN that names the fix: the kiosk still runs, silent, with a counted fault
(kiosk/speech/speaker.py). The sound device is opened in a child process, as the kiosk would
open it (SDL_AUDIODRIVER from audio.driver, AUDIODEV from audio.device), and closed again:
nothing is played.
"""

from __future__ import annotations

import os
import subprocess
import sys

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check

_DEVICE_PROBE = (
    "import sys\n"
    "import pygame\n"
    "try:\n"
    "    pygame.mixer.init(44100, -16, 2, 1024, devicename=sys.argv[1] or None,\n"
    "                      allowedchanges=0)\n"
    "except pygame.error as exc:\n"
    "    print('FAIL', exc)\n"
    "    raise SystemExit(0)\n"
    "from pygame._sdl2 import audio\n"
    "print('OK', '; '.join(n.splitlines()[0] for n in audio.get_audio_device_names(False)))\n"
    "pygame.mixer.quit()\n"
)
FIX_DEVICE = ("plug in a speaker or a USB sound card, check `aplay -l` and `aplay -L` (and "
              "audio.device); the service's user must be in group audio (systemd/install.sh)")


def check_audio(cfg: KioskConfig) -> list[Check]:
    from kiosk.speech.speaker import audio_driver, voice_for
    from kiosk.speech.synth import INSTALL_HINT, Espeak, SpeechError, espeak_path

    audio, language = cfg.audio, cfg.vocabulary.language
    if not audio.speak:
        return []  # speech off: nothing to check, and the doctor's screen stays one screen
    if espeak_path() is None:
        return [Check("WARN", "audio", "audio.speak is on but espeak-ng is not installed: the "
                      f"kiosk stays silent; fix: {INSTALL_HINT}")]  # fmt: skip
    espeak = Espeak(audio.words_per_minute)
    voices = [voice_for(language, audio, language)]
    if audio.speak_gloss and language != "en":
        voices.append(voice_for("en", audio, language))  # a gloss with no translation
    checks: list[Check] = []
    made = []
    for voice in voices:
        try:
            pcm = espeak.synthesize(cfg.texts.title, voice)
        except SpeechError as exc:
            checks.append(Check("WARN", "audio", f"the kiosk stays silent: {exc}"))
            continue
        made.append(f"voice {voice} ({pcm.seconds:.1f} s for {cfg.texts.title!r})")
    if made:
        checks.append(Check("OK", "audio", f"espeak-ng {espeak.version() or '?'}: "
                            + ", ".join(made)))
    checks += _check_device(audio_driver(audio), audio.device)
    if cfg.hours.enabled:
        checks.append(Check("INFO", "audio", "silent outside the opening hours (hours.open, "
                            "hours.close)"))
    return checks


def _check_device(driver: str, device: str | None) -> list[Check]:
    if driver == "dummy":
        return [Check("WARN", "audio", "SDL audio driver dummy: speech is made but nothing is "
                      "heard; fix: audio.driver alsa (or unset SDL_AUDIODRIVER)")]
    if driver == "disk":
        return [Check("WARN", "audio", "SDL_AUDIODRIVER=disk writes audio to a file (a test's "
                      "driver): unset it")]
    env = dict(os.environ, SDL_AUDIODRIVER=driver, PYGAME_HIDE_SUPPORT_PROMPT="1")
    if driver == "alsa" and device:
        env["AUDIODEV"] = device
    name = device if device and driver != "alsa" else ""
    try:
        probe = subprocess.run([sys.executable, "-c", _DEVICE_PROBE, name], env=env,
                               capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return [Check("WARN", "audio", f"the sound device did not open within 30 s (SDL audio "
                      f"driver {driver}); {FIX_DEVICE}")]
    answer = (probe.stdout.strip() or probe.stderr.strip() or "no answer").splitlines()[-1]
    where = f"{driver}, device {device or 'default'}"
    if answer.startswith("OK"):
        listed = answer[2:].strip()
        return [Check("OK", "audio", f"sound device opens ({where})"
                      + (f"; outputs: {listed}" if listed else ""))]
    snd = "" if os.path.isdir("/dev/snd") else " (no /dev/snd: no sound card seen)"
    return [Check("WARN", "audio", f"no sound device ({where}): {answer.removeprefix('FAIL ')}"
                  f"{snd}; the kiosk stays silent; fix: {FIX_DEVICE}")]
