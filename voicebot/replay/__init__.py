"""Replay recorded calls against a new scenario version, export a call as a test, simulate callers.

* :func:`recorded_call` reshapes what the recorder wrote into caller inputs (pure);
* :class:`Replayer` re-runs them on a compiled scenario at their original times (pure, offline);
* :func:`compare` / :func:`replay_calls` judge each call and build a :class:`ReplayReport`.
"""

from voicebot.replay.recorded import CallerInput, RecordedCall, RecordedStep, recorded_call
from voicebot.replay.report import ReplayReport, replay_calls
from voicebot.replay.runner import ReplayedCall, Replayer
from voicebot.replay.verdict import CallVerdict, Expectations, compare, outcome_ranks

__all__ = [
    "CallVerdict",
    "CallerInput",
    "Expectations",
    "RecordedCall",
    "RecordedStep",
    "ReplayReport",
    "ReplayedCall",
    "Replayer",
    "compare",
    "outcome_ranks",
    "recorded_call",
    "replay_calls",
]
