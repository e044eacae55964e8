"""A call's records as the call page's timeline: one entry per turn with what happened in it.

Transitions and slots carry the ``turn_seq`` of the turn that caused them; those without one (the
greeting's entry into the first state, a hang-up) are shown before the first turn or after the last.
A slot filled a second time is marked ``corrected`` and shows its previous value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicebot.storage.records import SlotFilled, Transition, Turn
from voicebot.storage.repositories.call_history import CallDetail

__all__ = ["LATENCY_STAGES", "SlotView", "Timeline", "TurnView", "timeline"]

LATENCY_STAGES = ("stt", "engine", "llm", "tts")


@dataclass(frozen=True, slots=True)
class SlotView:
    slot: SlotFilled
    corrected: bool
    previous: Any


@dataclass(slots=True)
class TurnView:
    turn: Turn
    transitions: list[Transition] = field(default_factory=list)
    slots: list[SlotView] = field(default_factory=list)
    latencies: list[tuple[str, float]] = field(default_factory=list)
    latency_total: float = 0.0
    citations: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    planned: str | None = None
    """What the bot meant to say when the caller barged in."""
    actions: list[Any] = field(default_factory=list)
    """Declared actions run in this turn (``call_actions`` rows: request summary, status, latency)."""


@dataclass(slots=True)
class Timeline:
    turns: list[TurnView]
    before: list[Transition]
    unattached_slots: list[SlotView]
    unattached_actions: list[Any]
    max_latency: float
    final_slots: dict[str, Any]


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def timeline(detail: CallDetail) -> Timeline:
    views = [TurnView(t) for t in detail.turns]
    by_seq = {v.turn.seq: v for v in views}
    before: list[Transition] = []
    for tr in detail.transitions:
        target = by_seq.get(tr.turn_seq) if tr.turn_seq is not None else None
        (target.transitions if target else before).append(tr)
    seen: dict[str, Any] = {}
    loose: list[SlotView] = []
    for s in detail.slots:
        view = SlotView(s, s.name in seen, seen.get(s.name))
        seen[s.name] = s.value
        target = by_seq.get(s.turn_seq) if s.turn_seq is not None else None
        (target.slots if target else loose).append(view)
    loose_actions: list[Any] = []
    for a in getattr(detail, "actions", ()):
        target = by_seq.get(a.turn_seq) if a.turn_seq is not None else None
        (target.actions if target else loose_actions).append(a)
    most = 0.0
    for v in views:
        t = v.turn
        values = {"stt": t.stt_ms, "engine": t.engine_ms, "llm": t.llm_ms, "tts": t.tts_ms}
        v.latencies = [(k, float(ms)) for k in LATENCY_STAGES if (ms := values[k]) is not None]
        v.latency_total = float(t.e2e_ms) if t.e2e_ms is not None else sum(x for _, x in v.latencies)
        most = max(most, v.latency_total)
        meta = t.metadata or {}
        v.citations = _strings(meta.get("chunks"))
        v.sources = _strings(meta.get("source"))
        planned = meta.get("planned")
        v.planned = str(planned) if planned is not None else None
    return Timeline(views, before, loose, loose_actions, most, seen)
