"""A small labelled set of answering greetings, synthesized with espeak-ng: people and machines.

People answer briefly and wait; machines read a greeting, then beep (a 1 kHz tone). The two ``hard``
cases are the known limits of a timing heuristic: a person answering with a long sentence, a machine
with a one-word greeting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.fakes.speech import synthesize, trim_silence

RATE = 16000


@dataclass(frozen=True)
class Greeting:
    label: str  # "human" | "machine"
    text: str
    voice: str = "en-us"
    wpm: int = 175
    beep: bool = False
    hard: bool = False


GREETINGS: tuple[Greeting, ...] = (
    Greeting("human", "Hello?"),
    Greeting("human", "Hello?", voice="en-gb", wpm=150),
    Greeting("human", "Yes?"),
    Greeting("human", "Hi, this is Anna."),
    Greeting("human", "Hello, Smith residence.", voice="en-gb"),
    Greeting("human", "Good morning, who is this?", wpm=190),
    Greeting("human", "Hello, Mark speaking.", voice="en-us+m3"),
    Greeting("human", "Yeah, hello?", wpm=200),
    Greeting("human", "Hello, this is Anna from accounts, how can I help you today?", hard=True),
    Greeting(
        "machine",
        "Hi, you have reached John Smith. "
        "I can't take your call right now. Please leave a message after the tone.",
        beep=True,
    ),
    Greeting(
        "machine",
        "The person you are calling is not available. Please leave your message after the beep.",
        voice="en-gb",
        beep=True,
    ),
    Greeting(
        "machine",
        "Hello, you've reached the Millers. "
        "We're not home right now, leave us a message and we'll call you back.",
        wpm=190,
        beep=True,
    ),
    Greeting(
        "machine",
        "Thank you for calling Acme dental. "
        "Our office is closed. Please leave your name and number after the tone.",
        voice="en-us+f2",
        beep=True,
    ),
    Greeting("machine", "Hi, it's Kate, leave a message.", wpm=200, beep=True),
    Greeting(
        "machine",
        "You have reached the voicemail box of extension two four one. Please record your message.",
        wpm=160,
    ),
    Greeting("machine", "Leave a message.", beep=True, hard=True),
)


def beep(seconds: float = 0.5, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.4 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def greeting_audio(g: Greeting, *, after: float = 3.0) -> tuple[np.ndarray, float]:
    """(samples at 16 kHz, where the greeting's speech ends in s): 0.3 s of line, the greeting, a beep
    0.4 s later if it has one, then ``after`` seconds of silence (a person waiting, a machine recording)."""
    speech = np.frombuffer(
        trim_silence(synthesize(g.text, RATE, voice=g.voice, wpm=g.wpm), RATE), dtype=np.int16
    )
    parts = [silence(0.3), speech]
    end = 0.3 + len(speech) / RATE
    if g.beep:
        parts += [silence(0.4), beep()]
    parts.append(silence(after))
    return np.concatenate(parts), end


def frames(samples: np.ndarray, frame_ms: int = 20) -> list[np.ndarray]:
    n = RATE * frame_ms // 1000
    return [samples[i : i + n] for i in range(0, len(samples) - n + 1, n)]
