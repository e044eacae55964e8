"""Text to 16-bit mono PCM: espeak-ng when installed, else a deterministic word-shaped tone.

espeak-ng output is real (if robotic) speech: Silero VAD hears it as speech, and the energy VAD of
the fake Deepgram sees its words. The tone fallback has the same word rhythm but is not speech;
tests that need speech should use ``require_espeak()`` (a clear skip) or the ``requires_espeak`` mark.
"""

from __future__ import annotations

import asyncio
import functools
import math
import shutil
import struct
import subprocess

import numpy as np
from livekit import rtc

ESPEAK = "espeak-ng"
DEFAULT_VOICE = "en-us"
DEFAULT_WPM = 175
SKIP_REASON = "espeak-ng is not installed: run scripts/install-test-deps.sh (apt-get install espeak-ng)"


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def require_espeak() -> None:
    """Skip the calling test (with the reason) when espeak-ng is missing."""
    if not espeak_available():
        import pytest

        pytest.skip(SKIP_REASON)


def _espeak_args(text: str, voice: str, wpm: int) -> list[str]:
    return [ESPEAK, "--stdout", "-v", voice, "-s", str(wpm), "--", text]


def _parse_wav(wav: bytes) -> tuple[int, bytes]:
    """(sample_rate, pcm) of espeak's streamed WAV, whose RIFF/data sizes are placeholders."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError(f"espeak-ng did not return a WAV file (starts with {wav[:12]!r})")
    pos, sample_rate = 12, 0
    while pos + 8 <= len(wav):
        chunk_id, size = wav[pos : pos + 4], struct.unpack("<I", wav[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            channels, sample_rate = struct.unpack("<HI", wav[body + 2 : body + 8])
            if channels != 1:
                raise ValueError(f"espeak-ng returned {channels} channels, expected 1")
        elif chunk_id == b"data":
            pcm = wav[body:]
            return sample_rate, pcm[: len(pcm) // 2 * 2]
        pos = body + size + (size & 1)
    raise ValueError("espeak-ng WAV has no data chunk")


def resample(pcm: bytes, input_rate: int, output_rate: int) -> bytes:
    """Resample mono int16 PCM with livekit's own resampler (the one the agent pipeline uses)."""
    if input_rate == output_rate or not pcm:
        return pcm
    resampler = rtc.AudioResampler(input_rate, output_rate, num_channels=1)
    frame = rtc.AudioFrame(pcm, input_rate, 1, len(pcm) // 2)
    out = [bytes(f.data) for f in resampler.push(frame)]
    out += [bytes(f.data) for f in resampler.flush()]
    return b"".join(out)


def tone_pcm(text: str, sample_rate: int) -> bytes:
    """A deterministic stand-in for speech: one 180 ms, 300 Hz burst per word, 60 ms gaps."""
    words = max(1, len(text.split()))
    burst, gap = int(0.18 * sample_rate), int(0.06 * sample_rate)
    t = np.arange(burst) / sample_rate
    envelope = np.sin(np.pi * np.arange(burst) / burst)
    word = (0.3 * 32767 * envelope * np.sin(2 * math.pi * 300 * t)).astype(np.int16)
    silence = np.zeros(gap, dtype=np.int16)
    return np.concatenate([np.concatenate([word, silence]) for _ in range(words)]).tobytes()


@functools.lru_cache(maxsize=256)
def synthesize(
    text: str, sample_rate: int = 16000, *, voice: str = DEFAULT_VOICE, wpm: int = DEFAULT_WPM
) -> bytes:
    """Mono int16 PCM of ``text`` at ``sample_rate`` (espeak-ng, else the tone fallback). Cached."""
    if not text.strip():
        return b""
    if not espeak_available():
        return tone_pcm(text, sample_rate)
    wav = subprocess.run(_espeak_args(text, voice, wpm), check=True, capture_output=True, timeout=30).stdout
    rate, pcm = _parse_wav(wav)
    return resample(pcm, rate, sample_rate)


async def synthesize_async(
    text: str, sample_rate: int = 16000, *, voice: str = DEFAULT_VOICE, wpm: int = DEFAULT_WPM
) -> bytes:
    """``synthesize`` off the event loop (espeak-ng takes ~10-50 ms a sentence)."""
    return await asyncio.to_thread(synthesize, text, sample_rate, voice=voice, wpm=wpm)


def trim_silence(pcm: bytes, sample_rate: int, *, threshold_dbfs: float = -50.0, pad: float = 0.02) -> bytes:
    """Cut leading and trailing near-silence (keeping ``pad`` seconds), so speech starts and ends on time."""
    window = max(1, sample_rate // 100)
    loud = loud_windows(pcm, sample_rate, threshold_dbfs)
    if not loud:
        return b""
    first, last = loud[0], loud[-1]
    padding = int(pad * sample_rate)
    start = max(0, first * window - padding)
    end = min(len(pcm) // 2, (last + 1) * window + padding)
    return pcm[start * 2 : end * 2]


def loud_windows(pcm: bytes, sample_rate: int, threshold_dbfs: float = -50.0) -> list[int]:
    """Indices of the 10 ms windows of ``pcm`` louder than ``threshold_dbfs``."""
    window = max(1, sample_rate // 100)
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float64)
    count = len(samples) // window
    if count == 0:
        return []
    rms = np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))
    limit = 32768 * 10 ** (threshold_dbfs / 20)
    return [int(i) for i in np.nonzero(rms > limit)[0]]


def pcm_duration(pcm: bytes, sample_rate: int) -> float:
    return len(pcm) / 2 / sample_rate


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of int16 PCM in dBFS (-inf for digital silence)."""
    if not pcm:
        return -math.inf
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20 * math.log10(rms / 32768) if rms > 0 else -math.inf
