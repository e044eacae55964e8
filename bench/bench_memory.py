"""Memory of each process role, for the container resource requests (infra/kubernetes, docs/performance.md).

Run: ``python bench/bench_memory.py``. Each role starts in a fresh interpreter, imports and loads what that
process really holds, and prints its resident set (VmRSS; VmHWM is the peak). Baseline: a bare
``python -c pass`` in the same run.

- worker: the main ``voicebot worker start`` process (CLI, livekit-agents, plugins, runtime imported);
- call: one LiveKit job process, i.e. one phone call: the worker's imports + Silero VAD loaded (prewarm)
  + the offline MiniLM embedder loaded and used once (a bot with documents) + 5 s of audio through
  the VAD, whose CPU time per audio second is printed too;
- api: ``voicebot api`` with the FastAPI app built;
- dispatcher: ``voicebot webhooks run`` with the outcome services imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_READ = """
import json, resource
def rss():
    f = dict(l.split(':', 1) for l in open('/proc/self/status') if l.startswith(('VmRSS', 'VmHWM')))
    return {k: int(v.split()[0]) // 1024 for k, v in f.items()}
"""

ROLES = {
    "baseline (python -c pass)": "pass",
    "worker (main process, idle)": """
import voicebot.cli.main, voicebot.cli.worker, voicebot.runtime, voicebot.telephony.worker
import voicebot.telephony.session, voicebot.telephony.answer
from livekit.plugins import silero, deepgram, cartesia, openai
""",
    "call (one job process: VAD + MiniLM loaded, 5 s of audio)": """
import asyncio, time
import voicebot.cli.main, voicebot.cli.worker, voicebot.runtime, voicebot.telephony.worker
from livekit.plugins import silero, deepgram, cartesia, openai
from voicebot.telephony.session import load_vad
from voicebot.knowledge.embedders import MiniLMEmbedder
vad = load_vad()
MiniLMEmbedder().embed(["what are your opening hours on saturday?"])
import numpy as np
from livekit import rtc
async def feed():
    stream = vad.stream()
    t0 = time.process_time()
    for _ in range(500):  # 5 s of 10 ms frames at 16 kHz
        stream.push_frame(rtc.AudioFrame(np.zeros(160, dtype=np.int16).tobytes(), 16000, 1, 160))
    stream.end_input()
    async for _ in stream:
        pass
    return time.process_time() - t0
cpu = asyncio.run(feed())
print('VAD_CPU_PER_AUDIO_SECOND', cpu / 5)
""",
    "api (voicebot api, app built)": """
import voicebot.cli.main, voicebot.cli.api
from voicebot.api.app import create_app
""",
    "dispatcher (voicebot webhooks run)": """
import voicebot.cli.main, voicebot.cli.webhooks, voicebot.runtime_outcomes
from voicebot.outcomes.delivery import HttpDeliverer
""",
}


def main() -> None:
    results: dict[str, object] = {}
    for role, code in ROLES.items():
        out = subprocess.run(
            [sys.executable, "-c", _READ + code + "\nprint('RSS', json.dumps(rss()))"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
            check=False,
        )
        lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
        if "RSS" not in lines:
            print(role, "FAILED", out.stderr[-2000:])
            continue
        mem = json.loads(lines["RSS"])
        extra = (
            f"  VAD CPU per audio second: {float(lines['VAD_CPU_PER_AUDIO_SECOND']):.4f} s"
            if "VAD_CPU_PER_AUDIO_SECOND" in lines
            else ""
        )
        print(f"{role:55s} RSS {mem['VmRSS']:5d} MiB  peak {mem['VmHWM']:5d} MiB{extra}")
        results[role] = mem
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "memory.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
