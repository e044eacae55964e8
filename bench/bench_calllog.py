"""CallLog.turn on the caller's path: this branch (STT confidence and word timings kept in the caller
turn's metadata) against main's recording.py, in the same run.

    python bench/bench_calllog.py [--turns 20000] [--main-ref main]

Each caller turn: the bridge sets the confidence, the stt_node mixin appends 5 word timings, then
``CallLog.turn`` builds the Turn and hands it to a list's append (the recorder's ``record`` is O(1) and
measured by bench_recorder.py). Results: docs/performance.md ("Post-call pipeline").
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicebot.telephony.recording import CallInfo, CallLog  # noqa: E402

WORDS = [
    {"word": w, "start": i * 0.3, "end": i * 0.3 + 0.25, "confidence": 0.97}
    for i, w in enumerate(["i", "would", "like", "a", "table"])
]


def _main_calllog(ref: str) -> Any:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:voicebot/telephony/recording.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "recording_main.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("recording_main", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["recording_main"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.CallLog


def _run(cls: Any, turns: int, with_stt: bool) -> list[float]:
    sink: list[Any] = []
    log = cls(CallInfo(uuid.uuid4(), None, "bench"), sink.append)
    samples = []
    for _ in range(turns):
        start = time.perf_counter_ns()
        if with_stt:
            log.stt_confidence = 0.93
            log.stt_words.extend(WORDS)
        log.turn("caller", "I would like a table", state="ask", latencies={"stt": 210.0})
        samples.append((time.perf_counter_ns() - start) / 1000)
        if len(sink) > 1000:
            sink.clear()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--main-ref", default="main")
    args = parser.parse_args()
    main_cls = _main_calllog(args.main_ref)
    for name, cls, with_stt in (("main", main_cls, False), ("branch", CallLog, True)):
        _run(cls, 2000, with_stt)  # warm-up
        samples = _run(cls, args.turns, with_stt)
        q = statistics.quantiles(samples, n=100)
        print(
            f"{name:7} CallLog.turn (caller): median {statistics.median(samples):.2f} us, p99 {q[98]:.2f} us"
        )


if __name__ == "__main__":
    main()
