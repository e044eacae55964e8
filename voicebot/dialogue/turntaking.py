"""Which end-of-turn timing and barge-in apply while the call is in a state, asking for a slot. Pure.

The most specific setting wins:

1. the state's ``turn_taking``;
2. the asked slot's ``turn_taking``;
3. ``settings.turn_taking[<kind>]``, where the kind is ``digits`` for a slot with a ``digits`` count,
   else the slot's type; ``menu`` in a keypad menu state asking for no slot; ``default`` otherwise;
4. the built-in preset of that kind (:data:`voicebot.scenario.turntaking.SLOT_TYPE_PRESETS`);
5. ``settings.turn_taking.default``, else the ``normal`` preset (livekit's own defaults).

While a value is read back for confirmation, the kind is ``yes_no`` (the state's own setting still wins).

``barge_in`` is the state's (default true). The telephony layer applies the result to the live session
(``telephony.turns``); :func:`policy_table` lists it per state for docs and ``voicebot`` tooling.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.state import CallState
from voicebot.scenario.turntaking import PRESETS, SLOT_TYPE_PRESETS, TurnTaking, TurnTakingSpec

__all__ = ["TurnPolicy", "kind_of", "policy_for", "policy_of", "policy_table"]


@dataclass(frozen=True, slots=True)
class TurnPolicy:
    """End-of-turn timing (seconds) and whether the caller may interrupt the bot."""

    min_delay: float
    max_delay: float
    barge_in: bool
    preset: str | None
    """The preset's name, or None for explicit delays."""
    source: str
    """Where it came from: state, slot, settings or builtin (with the kind: ``builtin:phone``)."""


def _timing(spec: TurnTakingSpec) -> tuple[TurnTaking, str | None]:
    if isinstance(spec, str):
        return PRESETS[spec], spec
    return spec, None


def kind_of(compiled: CompiledScenario, state: str, asked: str | None) -> str:
    """The turn-taking kind of a state asking for ``asked``: a slot type, digits, menu or default."""
    if asked is not None and asked in compiled.slots:
        slot = compiled.slots[asked].spec
        return "digits" if slot.digits is not None else slot.type
    st = compiled.states.get(state)
    return "menu" if st is not None and st.menu is not None else "default"


def policy_for(
    compiled: CompiledScenario, state: str, asked: str | None, *, confirming: bool = False
) -> TurnPolicy:
    """The policy of ``state`` while it asks for slot ``asked`` (see the module docstring); while a
    value is read back (``confirming``) the caller answers yes or no: the ``yes_no`` kind."""
    st = compiled.states.get(state)
    spec = st.spec if st is not None else None
    barge_in = spec.barge_in if spec is not None else True
    settings = compiled.scenario.settings.turn_taking
    kind = "yes_no" if confirming else kind_of(compiled, state, asked)
    if confirming:
        asked = None  # the slot's own timing is for its value, not for "yes"
    chosen: tuple[TurnTakingSpec, str]
    if spec is not None and spec.turn_taking is not None:
        chosen = (spec.turn_taking, "state")
    elif asked is not None and asked in compiled.slots and compiled.slots[asked].spec.turn_taking is not None:
        slot_spec = compiled.slots[asked].spec.turn_taking
        assert slot_spec is not None
        chosen = (slot_spec, "slot")
    elif kind in settings:
        chosen = (settings[kind], f"settings:{kind}")
    elif kind in SLOT_TYPE_PRESETS and kind != "default":
        chosen = (SLOT_TYPE_PRESETS[kind], f"builtin:{kind}")
    elif "default" in settings:
        chosen = (settings["default"], "settings:default")
    else:
        chosen = ("normal", "builtin:default")
    timing, preset = _timing(chosen[0])
    return TurnPolicy(timing.min_endpointing_delay, timing.max_endpointing_delay, barge_in, preset, chosen[1])


def policy_of(compiled: CompiledScenario, call: CallState) -> TurnPolicy:
    """The policy in force for ``call`` now (its state and the slot it is being asked for)."""
    return policy_for(compiled, call.state, call.asked, confirming=call.pending_confirm is not None)


def policy_table(compiled: CompiledScenario) -> list[tuple[str, str | None, TurnPolicy]]:
    """(state, slot asked or None, policy) for every state and each slot it collects."""
    rows: list[tuple[str, str | None, TurnPolicy]] = []
    for name, state in compiled.states.items():
        rows.append((name, None, policy_for(compiled, name, None)))
        rows.extend((name, slot, policy_for(compiled, name, slot)) for slot in state.spec.collect)
    return rows
