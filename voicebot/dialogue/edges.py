"""A compiled scenario's edges as lookup tables, so a turn does not scan what it cannot take.

Two tables, built once per scenario by :func:`build_edges` (pure, no I/O):

* per state, the **candidates** for a trigger: the transitions worth checking when the engine tries the
  state's transitions with an intent, an event, keys or nothing (:meth:`StateEdges.candidates`). They are
  the transitions of that intent / event / keys and every ``when`` transition, in the order written
  (priority is the scenario's), exactly those the engine's scan would have matched; the others
  (other intents, other events, fallbacks) are left out.
* **where a trigger leads** from a state (:meth:`Edges.dest`), read from the pytransitions machine once
  it is complete (state transitions, ``next``, menu options, global handlers from every state). Firing
  a trigger is then a dictionary lookup and a state change: the machine has no callbacks or conditions
  (the engine evaluates conditions itself), so pytransitions' event processing had nothing else to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from transitions import Machine, MachineError

if TYPE_CHECKING:
    from voicebot.dialogue.compiled import CompiledTransition

__all__ = ["Edges", "StateEdges", "build_edges", "kind_of"]

Kind = Literal["intent", "condition", "event", "dtmf", "other"]


def kind_of(tr: CompiledTransition) -> Kind:
    """How the engine matches ``tr``: by intent first, then its condition, event, keys (as it scans)."""
    spec = tr.spec
    if getattr(spec, "intent", None) is not None:
        return "intent"
    if tr.condition is not None:
        return "condition"
    if getattr(spec, "event", None) is not None:
        return "event"
    if getattr(spec, "dtmf", None) is not None:
        return "dtmf"
    return "other"


@dataclass(frozen=True, slots=True)
class StateEdges:
    """One state's candidate transitions by trigger (see the module docstring)."""

    conditions: tuple[CompiledTransition, ...]
    """Only the ``when`` transitions: what is tried with no intent, event or keys."""
    by_intent: Mapping[str, tuple[CompiledTransition, ...]]
    by_event: Mapping[str, tuple[CompiledTransition, ...]]
    by_dtmf: Mapping[str, tuple[CompiledTransition, ...]]
    transitions: tuple[CompiledTransition, ...]

    def candidates(
        self, intent: str | None = None, event: str | None = None, dtmf: str | None = None
    ) -> tuple[CompiledTransition, ...]:
        """The transitions to check, in the order written, for this trigger."""
        given = (intent is not None) + (event is not None) + (dtmf is not None)
        if given == 0:
            return self.conditions
        if given == 1:
            if intent is not None:
                return self.by_intent.get(intent, self.conditions)
            if event is not None:
                return self.by_event.get(event, self.conditions)
            return self.by_dtmf.get(dtmf, self.conditions)  # type: ignore[arg-type]
        return tuple(tr for tr in self.transitions if _matches(tr, intent, event, dtmf))


def _matches(tr: CompiledTransition, intent: str | None, event: str | None, dtmf: str | None) -> bool:
    kind = kind_of(tr)
    spec = tr.spec
    if kind == "intent":
        return intent is not None and getattr(spec, "intent", None) == intent
    if kind == "condition":
        return True
    if kind == "event":
        return event is not None and getattr(spec, "event", None) == event
    if kind == "dtmf":
        return dtmf is not None and getattr(spec, "dtmf", None) == dtmf
    return False


def _state_edges(transitions: tuple[CompiledTransition, ...]) -> StateEdges:
    def table(kind: Kind, attr: str) -> dict[str, tuple[CompiledTransition, ...]]:
        values = {getattr(tr.spec, attr) for tr in transitions if kind_of(tr) == kind}
        return {
            value: tuple(
                tr
                for tr in transitions
                if _matches(tr, *(value if k == kind else None for k in ("intent", "event", "dtmf")))
            )
            for value in values
        }

    return StateEdges(
        conditions=tuple(tr for tr in transitions if kind_of(tr) == "condition"),
        by_intent=table("intent", "intent"),
        by_event=table("event", "event"),
        by_dtmf=table("dtmf", "dtmf"),
        transitions=transitions,
    )


class Edges:
    """The scenario's tables: ``edges[state]`` (candidates) and :meth:`dest` (a trigger's destination)."""

    __slots__ = ("_dest", "_states")

    def __init__(self, states: Mapping[str, StateEdges], dest: Mapping[tuple[str, str], str]) -> None:
        self._states = dict(states)
        self._dest = dict(dest)

    def __getitem__(self, state: str) -> StateEdges:
        return self._states[state]

    def dest(self, trigger: str, source: str) -> str:
        """Where ``trigger`` leads from ``source``; MachineError (as pytransitions raises) if it has no
        edge there."""
        try:
            return self._dest[(trigger, source)]
        except KeyError:
            raise MachineError(f"Can't trigger event {trigger} from state {source}!") from None

    def triggers(self) -> Iterable[tuple[str, str]]:
        """Every (trigger, source) with an edge."""
        return self._dest.keys()


def build_edges(states: Mapping[str, tuple[CompiledTransition, ...]], machine: Machine) -> Edges:
    """The tables for ``states`` (name -> its compiled transitions) over the complete ``machine``."""
    dest: dict[tuple[str, str], str] = {}
    for trigger, event in machine.events.items():
        for source, edges in event.transitions.items():
            if edges and edges[0].dest is not None:  # None: an internal transition (none here)
                dest[(trigger, source)] = edges[0].dest
    return Edges({name: _state_edges(transitions) for name, transitions in states.items()}, dest)
