"""Scripted action answers for ``voicebot test``: a case's ``actions:`` replace the real runners.

Each run of a declared action takes the next scripted answer for its name; ``latency_ms`` above the
action's ``filler_after_ms`` counts as slow (the filler is said), with no real wait. A run with no answer
left is an error result and a failure of the case (``unscripted``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from voicebot.dialogue import ActionDone, CallContext, RunAction
from voicebot.testkit.spec import ActionScript

__all__ = ["ScriptedActions"]


class ScriptedActions:
    """Implements the dialogue's ActionPort from a test case's scripts."""

    def __init__(self, scripts: Mapping[str, Sequence[ActionScript]] | None = None) -> None:
        self._scripts = {name: deque(items) for name, items in (scripts or {}).items()}
        self.unscripted: list[str] = []

    async def perform(self, action: RunAction, context: CallContext) -> ActionDone:
        queue = self._scripts.get(action.name)
        if not queue:
            self.unscripted.append(action.name)
            return ActionDone(action.name, "error", error="no scripted answer", error_kind="unavailable")
        script = queue.popleft()
        slow = action.filler is not None and script.latency_ms > action.filler_after_ms
        error_kind = None
        if script.status == "timeout":
            error_kind = "timeout"
        elif script.status == "error":
            error_kind = "http_5xx" if (script.http_status or 0) >= 500 else "http_4xx"
        return ActionDone(
            action.name,
            script.status,
            dict(script.data),
            http_status=script.http_status,
            error=script.error,
            latency_ms=script.latency_ms,
            error_kind=error_kind if script.http_status or script.status == "timeout" else None,
            filler=slow,
        )
