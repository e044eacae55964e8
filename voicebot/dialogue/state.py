"""CallState: everything one call remembers. One per call; the compiled scenario is shared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["CallContext", "CallState", "PendingConfirm"]


@dataclass(frozen=True, slots=True)
class CallContext:
    """Facts about the call known when it starts."""

    call_id: str = ""
    caller_number: str | None = None
    dialed_number: str | None = None
    direction: str = "inbound"
    variables: Mapping[str, str] = field(default_factory=dict)
    """Outbound: the campaign's per-number variables (a variable named like a slot fills it)."""


@dataclass(slots=True)
class PendingConfirm:
    """A slot value read back to the caller, waiting for yes or no."""

    slot: str
    value: Any
    confidence: float
    method: str


@dataclass(slots=True)
class CallState:
    """The mutable state of one call. ``state`` is the pytransitions model attribute."""

    context: CallContext
    state: str
    slots: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    no_input: int = 0
    llm_turns: int = 0
    turn: int = 0
    visited: set[str] = field(default_factory=set)
    resume_point: str | None = None
    asked: str | None = None
    keys: str = ""
    """Keys typed so far for the slot asked or the state's dtmf transitions (dialogue.keypad)."""
    keys_at: datetime | None = None
    pending_confirm: PendingConfirm | None = None
    pending_utterance: str | None = None
    held_days: dict[str, Any] = field(default_factory=dict)  # datetime slot -> a day heard alone
    last_utterance: str = ""
    last_said: list[str] = field(default_factory=list)
    history: list[tuple[str, str]] = field(default_factory=list)
    outcome: str | None = None
    transferred_to: str | None = None
    transfer: dict[str, Any] | None = None
    """The last transfer attempt (mode, to, result, agent): reported with the call's end."""
    ended: bool = False
    end_reason: str | None = None
    pending_action: str | None = None
    """The declared action whose result the call waits for (see dialogue.action_step)."""
    action_runs: int = 0

    def checkpoint(self) -> dict[str, Any]:
        """The part of the state worth persisting after each turn (JSON-compatible but for slot values)."""
        return {
            "state": self.state,
            "slots": dict(self.slots),
            "retries": {"not_understood": self.retries, "no_input": self.no_input},
            "turn": self.turn,
        }
