"""The action port the book implements, until ``voicebot.actions.base`` (the scenario ``actions:``
language) is merged; the lead switches the import there. Same names, same fields."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = ["ActionCall", "ActionResult", "ActionRunner"]


@dataclass(frozen=True, slots=True)
class ActionCall:
    """One action invocation: its declared name, its kind (``book.reserve``...), its evaluated args."""

    name: str
    kind: str
    args: Mapping[str, Any]
    call_id: uuid.UUID | None
    company_id: uuid.UUID | None
    bot_id: uuid.UUID | None
    idempotency_key: str
    timeout_s: float


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action returned: ``data`` is what the scenario's response mapping reads."""

    status: Literal["ok", "error", "timeout"]
    data: Mapping[str, Any]
    latency_ms: float
    http_status: int | None = None
    error: str | None = None


class ActionRunner(Protocol):
    async def run(self, call: ActionCall) -> ActionResult: ...
