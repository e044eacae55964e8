"""A multiprocessing forkserver set up the way LiveKit starts its job processes (shared by the benches).

``started_forkserver(preload)`` returns a context whose forkserver has already imported ``preload``
(LiveKit's own preload modules, and voicebot's where a bench names them), so no job is timed while the
forkserver starts; ``stop_forkserver()`` ends it, so the next configuration gets a fresh one.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

LIVEKIT_PRELOAD = ["livekit.agents.ipc._preload", "livekit.agents.ipc._preload_freeze"]
PLUGINS = ["livekit.plugins.silero", "livekit.plugins.deepgram", "livekit.plugins.cartesia"]


def noop() -> None:
    """Started first, so the forkserver (and its preload) is running before any job is timed."""


def started_forkserver(preload: list[str]) -> Any:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(preload)
    warm = ctx.Process(target=noop)
    warm.start()
    warm.join()
    return ctx


def stop_forkserver() -> None:
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # type: ignore[attr-defined]
