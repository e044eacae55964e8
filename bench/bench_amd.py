"""Answering-machine detection: the greeting heuristic on the labelled espeak-ng greetings.

Run: ``python bench/bench_amd.py`` (results: docs/performance.md, "Answering-machine detection").

Frames are fed straight to the detector (no real time), so this takes about a second. In the same run:

* baseline "no AMD" (what outbound calls did before: every answer is treated as a person, so a machine
  hears the bot's greeting and questions);
* "livekit timing": livekit-agents' own AMD thresholds (2.5 s of speech, 0.5 s of silence for a person)
  with no beep rule, i.e. the timing gate livekit's LLM classifier runs behind;
* "voicebot": the shipped settings (0.8 s of silence for a person, a beep means machine).

Reported per variant: correct verdicts, machines caught, people wrongly sent to voicemail, the median
time from the end of a person's "hello" to the verdict (the bot's greeting waits that long), and the median
time from the end of a machine's greeting to the start of the message.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.speech import espeak_available  # noqa: E402
from tests.telephony.greetings import GREETINGS, RATE, frames, greeting_audio  # noqa: E402
from voicebot.telephony.amd import AmdSettings, GreetingDetector  # noqa: E402

VARIANTS = {
    "no AMD (baseline)": None,
    "livekit timing": AmdSettings(human_silence=0.5, tone_ratio=2.0),  # ratio > 1: never a beep
    "voicebot": AmdSettings(),
}


def run(settings: AmdSettings | None) -> dict[str, object]:
    correct = caught = people_lost = 0
    human_wait: list[float] = []
    machine_wait: list[float] = []
    machines = sum(g.label == "machine" for g in GREETINGS)
    for g in GREETINGS:
        audio, speech_end = greeting_audio(g)
        if settings is None:
            verdict, decided, ready = "human", 0.0, None
        else:
            d, ready = GreetingDetector(settings), None
            for frame in frames(audio):
                d.push(frame, RATE)
                if ready is None and d.ready_for_message():
                    ready = d.t
            verdict, decided = d.verdict, d.decided_at or 0.0
        correct += verdict == g.label
        if g.label == "machine" and verdict == "machine":
            caught += 1
            if ready is not None:
                machine_wait.append(ready - speech_end)
        if g.label == "human" and verdict == "machine":
            people_lost += 1
        if g.label == "human" and verdict == "human" and settings is not None:
            human_wait.append(decided - speech_end)
    return {
        "correct": f"{correct}/{len(GREETINGS)}",
        "machines caught": f"{caught}/{machines}",
        "people sent to voicemail": people_lost,
        "person: hello -> verdict (median s)": round(statistics.median(human_wait), 2) if human_wait else "-",
        "machine: greeting end -> message (median s)": round(statistics.median(machine_wait), 2)
        if machine_wait
        else "-",
    }


def main() -> None:
    if not espeak_available():
        sys.exit("espeak-ng is needed: scripts/install-test-deps.sh")
    print(f"{len(GREETINGS)} greetings ({sum(g.label == 'human' for g in GREETINGS)} people)")
    for name, settings in VARIANTS.items():
        print(f"{name:20} {run(settings)}")


if __name__ == "__main__":
    main()
