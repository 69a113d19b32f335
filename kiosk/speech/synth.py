"""Speech synthesis offline and in memory: espeak-ng writes a WAV to its standard output
(`espeak-ng --stdout`), read here into a numpy array; nothing touches the disk.

The text goes to espeak-ng on its standard input, not its command line (where `ps` would show
it). espeak-ng 1.51 (Debian 12) has voices for every language the kiosk offers: en, es, fr, it,
ro. Its WAV is 22,050 Hz mono 16-bit, with the RIFF and data sizes left at 0x7ffff000 (it
streams), so the header is read here rather than by a WAV library.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass

import numpy as np

ESPEAK = "espeak-ng"
TIMEOUT_S = 10.0
SILENT_PEAK = 64  # a 16-bit signal whose loudest sample is below this is silence
INSTALL_HINT = "sudo apt-get install espeak-ng"
# espeak-ng 1.51 opens an audio output at start even with --stdout (libpcaudio, PulseAudio
# first): libpulse would make ~/.config/pulse and /tmp/pulse-* and look for a sound server.
# Given a server that cannot exist, it does none of that; the WAV on stdout is the same.
NO_SOUND_SERVER = {"PULSE_SERVER": "unix:/dev/null/no-sound-server"}


class SpeechError(RuntimeError):
    """Speech cannot be made or played: the message names the fix for a technician."""


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit samples at `rate` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    @property
    def peak(self) -> int:
        return int(np.max(np.abs(self.samples.astype(np.int32)))) if len(self.samples) else 0


def espeak_path() -> str | None:
    return shutil.which(ESPEAK)


def parse_wav(data: bytes) -> Pcm:
    """A RIFF/WAVE PCM 16-bit buffer (any channel count: the first channel is kept)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("espeak-ng gave no WAV")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if chunk == b"fmt ":
            fmt, channels, rate = struct.unpack_from("<HHI", data, body)
            bits = struct.unpack_from("<H", data, body + 14)[0]
            if fmt != 1 or bits != 16 or channels < 1:
                raise SpeechError(f"espeak-ng gave a WAV of format {fmt}, {bits} bits")
        elif chunk == b"data":
            if not rate:
                raise SpeechError("espeak-ng's WAV has no format before its data")
            end = min(len(data), body + size)  # a streamed WAV's size is a placeholder
            end -= (end - body) % (2 * channels)
            samples = np.frombuffer(data[body:end], dtype="<i2").reshape(-1, channels)[:, 0]
            return Pcm(samples.astype(np.int16), rate)
        pos = body + size + (size & 1)
    raise SpeechError("espeak-ng's WAV has no data")


class Espeak:
    """espeak-ng run once an utterance; `close()` ends one under way (the kiosk stopping)."""

    def __init__(self, words_per_minute: int = 150, path: str | None = None,
                 timeout_s: float = TIMEOUT_S) -> None:
        self.words_per_minute = words_per_minute
        self.path = path
        self.timeout_s = timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def version(self) -> str:
        """"1.51", or "" if espeak-ng does not answer."""
        path = self.path or espeak_path()
        if path is None:
            return ""
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=self.timeout_s, check=False,
                                 env={**os.environ, **NO_SOUND_SERVER}).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""
        words = out.split()
        return words[words.index("text-to-speech:") + 1] if "text-to-speech:" in words else ""

    def synthesize(self, text: str, voice: str) -> Pcm:
        """The speech of `text` in `voice`; SpeechError when espeak-ng is missing, the voice
        fails or the result is silent."""
        path = self.path or espeak_path()
        if path is None:
            raise SpeechError(f"espeak-ng not found: install it ({INSTALL_HINT})")
        argv = [path, "--stdout", "-b", "1", "-v", voice, "-s", str(self.words_per_minute)]
        with self._lock:
            if self._closed:
                raise SpeechError("speech is stopping")
            try:
                self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              env={**os.environ, **NO_SOUND_SERVER})
            except OSError as exc:
                raise SpeechError(f"espeak-ng does not run ({exc}): reinstall it "
                                  f"({INSTALL_HINT})") from exc
            proc = self._proc
        try:
            out, err = proc.communicate(text.encode("utf-8") + b"\n", timeout=self.timeout_s)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.communicate()
            raise SpeechError(f"espeak-ng took over {self.timeout_s:.0f} s") from exc
        finally:
            with self._lock:
                self._proc = None
        why = err.decode("utf-8", "replace").strip().splitlines()
        if proc.returncode != 0 or not out:
            reason = why[-1] if why else f"no audio, status {proc.returncode}"
            raise SpeechError(f"espeak-ng voice {voice!r} failed ({reason}): `espeak-ng "
                              "--voices` lists the voices; set audio.voice, or reinstall "
                              "espeak-ng-data")
        pcm = parse_wav(out)
        if pcm.peak < SILENT_PEAK:
            raise SpeechError(f"espeak-ng voice {voice!r} gave silence for {len(text)} "
                              "characters")
        return trim(pcm)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()


def trim(pcm: Pcm, keep_s: float = 0.05) -> Pcm:
    """Without espeak-ng's silence before and after the words (about 0.4 s at the end), but
    `keep_s` of it."""
    loud = np.nonzero(np.abs(pcm.samples.astype(np.int32)) >= SILENT_PEAK)[0]
    if len(loud) == 0:
        return pcm
    keep = int(keep_s * pcm.rate)
    return Pcm(pcm.samples[max(0, loud[0] - keep):loud[-1] + 1 + keep], pcm.rate)


def silence(seconds: float, rate: int) -> Pcm:
    return Pcm(np.zeros(int(round(seconds * rate)), np.int16), rate)


def join(parts: list[Pcm], gap_s: float = 0.3) -> Pcm:
    """Utterances one after another, a short pause between them (all at the first's rate)."""
    if not parts:
        raise ValueError("nothing to join")
    rate = parts[0].rate
    pieces: list[np.ndarray] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(silence(gap_s, rate).samples)
        pieces.append(resample(part.samples, part.rate, rate))
    return Pcm(np.concatenate(pieces), rate)


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Linear interpolation: speech at 22,050 Hz to the mixer's rate (44,100 Hz, say)."""
    if rate == to_rate or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    n = int(round(len(samples) * to_rate / rate))
    at = np.arange(n, dtype=np.float64) * (rate / to_rate)
    out = np.interp(at, np.arange(len(samples), dtype=np.float64), samples.astype(np.float64))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def for_mixer(pcm: Pcm, rate: int, channels: int) -> bytes:
    """The mixer's own format (signed 16-bit, `channels` interleaved, `rate` Hz), as bytes for
    pygame.mixer.Sound(buffer=...)."""
    mono = resample(pcm.samples, pcm.rate, rate)
    frames = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
    return np.ascontiguousarray(frames, dtype="<i2").tobytes()
