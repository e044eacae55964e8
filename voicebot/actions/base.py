"""The action port: one declared action call in, one result out.

The dialogue engine emits a pure ``RunAction`` engine action; the telephony edge (or the test kit)
renders it into an :class:`ActionCall` and asks an :class:`ActionRunner` for an :class:`ActionResult`,
which goes back into the engine as an event. :class:`ActionRegistry` dispatches by ``kind``: ``"http"``
to the HTTP runner (:mod:`voicebot.actions.http`), built-in kinds (``book.*``) to runners the
composition root registers. The kinds a scenario may name are listed in
:data:`voicebot.scenario.actions.ACTION_KINDS`, so an unknown kind is a ``voicebot check`` error, not
a surprise during a call.

A runner never raises for a failed remote call: failures are results (``status="error"`` or
``"timeout"``) with a short ``error`` reason that never contains a secret.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["ActionCall", "ActionRegistry", "ActionResult", "ActionRunner", "ActionStatus"]

ActionStatus = Literal["ok", "error", "timeout"]


@dataclass(frozen=True, slots=True)
class ActionCall:
    """One call of a declared action, with its arguments already rendered."""

    name: str  # the declared action's name in the scenario
    kind: str  # "http" or a built-in such as "book.availability", "book.reserve", "book.cancel", ...
    args: Mapping[str, Any]  # rendered arguments (from slots and call data)
    call_id: uuid.UUID | None
    company_id: uuid.UUID | None
    bot_id: uuid.UUID | None
    idempotency_key: str
    timeout_s: float
    # For kind "http": the rendered request. In url, headers and body, literal braces are doubled and
    # {secret.<name>} placeholders remain: the HTTP runner fills them from the company's secrets
    # (voicebot.dialogue.action_step.fill_secrets). Built-in kinds ignore these fields.
    method: str = "POST"
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # the JSON body (None: no body)
    retries: int = 0
    secrets: tuple[str, ...] = ()  # names of company secrets to substitute server-side


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What came back: ``data`` is the JSON result (the response body or a built-in's result)."""

    status: ActionStatus
    data: Mapping[str, Any]
    latency_ms: float
    http_status: int | None = None
    error: str | None = None  # a short reason, never a secret
    attempts: int = 1
    error_kind: str | None = None  # for metrics: timeout, refused, http_4xx, http_5xx, bad_json, ...


class ActionRunner(Protocol):
    """Runs one action call. Never raises for a remote failure: returns an error or timeout result."""

    async def run(self, call: ActionCall) -> ActionResult: ...


class ActionRegistry:
    """Dispatches an :class:`ActionCall` to the runner registered for its ``kind``.

    ``register("book.reserve", runner)`` registers one kind; ``register("book.*", runner)`` every kind
    under a prefix. An unregistered kind at run time is an error result (the checker should have
    refused the scenario before).
    """

    def __init__(self, runners: Mapping[str, ActionRunner] | None = None) -> None:
        self._runners: dict[str, ActionRunner] = dict(runners or {})

    def register(self, kind: str, runner: ActionRunner) -> None:
        self._runners[kind] = runner

    def runner_for(self, kind: str) -> ActionRunner | None:
        if kind in self._runners:
            return self._runners[kind]
        prefix = kind.split(".", 1)[0] + ".*"
        return self._runners.get(prefix)

    def kinds(self) -> frozenset[str]:
        return frozenset(self._runners)

    async def run(self, call: ActionCall) -> ActionResult:
        runner = self.runner_for(call.kind)
        if runner is None:
            reason = f"no runner for action kind {call.kind!r}"
            return ActionResult("error", {}, 0.0, error=reason, error_kind="unavailable")
        started = time.perf_counter()
        try:
            return await runner.run(call)
        except Exception as exc:  # a runner bug must not end the call: it is an error result
            return ActionResult(
                status="error",
                data={},
                latency_ms=(time.perf_counter() - started) * 1000.0,
                error=f"runner failed: {type(exc).__name__}",
                error_kind="runner",
            )
