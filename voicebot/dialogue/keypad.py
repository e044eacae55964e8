"""Keypad input in the engine: keys buffered per slot, keypad menus, spoken digits and menu choices.

Pure, like the engine: the clock is the turn's (``t.now``, the engine's injected clock).

* A key for a slot that accepts ``dtmf`` is buffered in ``CallState.keys``. The slot's ``terminator``
  (``#``) ends it, so does reaching ``digits`` (its max), so does ``dtmf_timeout`` seconds without a key
  (the runtime sends :class:`~voicebot.dialogue.events.DtmfTimeout` after an ``AwaitKeys``; a timer that
  fires although a newer key came is recognised by the clock and ignored). ``*`` clears what was typed.
  The typed value then goes through the same validation as a spoken one (method ``dtmf``).
* In a keypad menu state a key chooses its option at once; so does its spoken equivalent
  (:func:`voicebot.dialogue.menu.choose`).
* A state's ``dtmf:`` transitions see the keys typed so far: an exact match fires unless a longer
  sequence still could, which then waits for more keys (or the timeout).
* While a value is read back, 1 means yes and 2 means no.
* A keypad slot with ``digits`` also takes them spoken ("four one five ..."); a slot with
  ``input: [dtmf]`` only asks the caller to use the keypad when they speak.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Any, Final

from voicebot.dialogue import filling
from voicebot.dialogue.actions import AwaitKeys, SendDtmf
from voicebot.dialogue.compiled import CompiledSlot
from voicebot.dialogue.menu import CompiledOption, announcement, choose
from voicebot.dialogue.messages import builtin
from voicebot.dialogue.nlu._numbers import replace_number_words
from voicebot.dialogue.turn import Turn
from voicebot.scenario.keypad import digit_bounds
from voicebot.scenario.model import EnumSlot

if TYPE_CHECKING:
    from voicebot.dialogue.engine import Engine

__all__ = ["KEY_GAP_SECONDS", "announce", "enter", "keypad_value", "on_dtmf", "on_speech", "on_timeout"]

KEY_GAP_SECONDS: Final = 3.0
"""How long a state's ``dtmf:`` transitions wait for the next key of a longer sequence."""

_CONFIRM_KEYS: Final = {"1": "yes", "2": "no"}
_YES_NO: Final = {"en": {"yes": "yes", "no": "no"}, "ru": {"yes": "да", "no": "нет"}}
_MESSAGES: Final = {
    "en": {"keypad_only": "Please use your phone's keypad.", "digits": "Sorry, that should be {n} digits."},
    "ru": {
        "keypad_only": "Пожалуйста, наберите это на клавиатуре телефона.",
        "digits": "Извините, нужно ввести цифр: {n}.",
    },
}


def _message(t: Turn, key: str, **values: object) -> None:
    table = _MESSAGES.get(t.lang, _MESSAGES["en"])
    t.say(table[key].format(**values), "builtin")


def enter(t: Turn) -> None:
    """Entering a state: forget typed keys, send the state's ``send_dtmf``, announce its menu."""
    call, st = t.call, t.state
    call.keys, call.keys_at = "", None
    if st.spec.send_dtmf is not None:
        t.out.append(SendDtmf(st.spec.send_dtmf))
    announce(t)


def announce(t: Turn) -> None:
    """'For bookings, press 1. ...' when the state is a menu that announces its options."""
    menu = t.state.menu
    if menu is not None and menu.announce:
        t.say(announcement(menu, t.lang))


def _typed_slot(t: Turn) -> CompiledSlot | None:
    asked = t.call.asked
    if asked is None or t.call.pending_confirm is not None:
        return None
    slot = t.compiled.slots[asked]
    return slot if "dtmf" in slot.spec.input else None


def _keypad_state(t: Turn) -> bool:
    st = t.state
    return (
        st.menu is not None
        or t.call.pending_confirm is not None
        or _typed_slot(t) is not None
        or any(tr.spec.dtmf is not None for tr in st.transitions)
    )


def on_dtmf(engine: Engine, t: Turn, digits: str) -> None:
    """Keys pressed (one key per event from a phone line; a test may send several at once)."""
    if not _keypad_state(t):
        # Nothing here listens to keys: typed digits stand for an answer, as they always did.
        if t.call.asked is not None:
            engine._on_utterance(t, digits)
        else:
            engine._not_understood(t)
        return
    for key in digits:
        if t.call.ended:
            return
        _key(engine, t, key)


def _key(engine: Engine, t: Turn, key: str) -> None:
    call, st = t.call, t.state
    if call.pending_confirm is not None:
        answer = _CONFIRM_KEYS.get(key)
        if answer is None:
            engine._not_understood(t)
        else:
            engine._on_utterance(t, _YES_NO.get(t.lang, _YES_NO["en"])[answer])
        return
    slot = _typed_slot(t)
    if slot is not None:
        _slot_key(engine, t, slot, key)
        return
    if st.menu is not None and not call.keys:
        option = st.menu.by_key(key)
        if option is not None:
            _take(engine, t, option, "dtmf")
            return
    _transition_key(engine, t, key)


def _slot_key(engine: Engine, t: Turn, slot: CompiledSlot, key: str) -> None:
    call, spec = t.call, slot.spec
    if spec.terminator and key == spec.terminator:
        _submit(engine, t, slot)
        return
    if key == "*":
        call.keys, call.keys_at = "", None
        t.listen()
        return
    if not key.isdigit():
        return
    call.keys += key
    call.keys_at = t.now
    if len(call.keys) >= digit_bounds(spec.digits)[1]:
        _submit(engine, t, slot)
        return
    t.out.append(AwaitKeys(spec.dtmf_timeout))


def _transition_key(engine: Engine, t: Turn, key: str) -> None:
    call = t.call
    call.keys += key
    call.keys_at = t.now
    sequences = [tr.spec.dtmf for tr in t.state.transitions if tr.spec.dtmf is not None]
    longer = any(s != call.keys and s.startswith(call.keys) for s in sequences)
    if call.keys in sequences and not longer:
        keys, call.keys, call.keys_at = call.keys, "", None
        engine._try_transitions(t, dtmf=keys)
    elif longer:
        t.out.append(AwaitKeys(KEY_GAP_SECONDS))
    else:
        call.keys, call.keys_at = "", None
        engine._not_understood(t)


def on_timeout(engine: Engine, t: Turn) -> None:
    """No key for a while: what was typed is complete (or, when a newer key came, nothing happens)."""
    call = t.call
    if not call.keys or call.keys_at is None:
        return
    slot = _typed_slot(t)
    wait = slot.spec.dtmf_timeout if slot is not None else KEY_GAP_SECONDS
    if (t.now - call.keys_at).total_seconds() < wait * 0.95:
        return  # a key came after the timer was armed; its own timer decides
    if slot is not None:
        _submit(engine, t, slot)
        return
    keys, call.keys, call.keys_at = call.keys, "", None
    if not engine._try_transitions(t, dtmf=keys):
        engine._not_understood(t)


def _submit(engine: Engine, t: Turn, slot: CompiledSlot) -> None:
    call, spec = t.call, slot.spec
    keys, call.keys, call.keys_at = call.keys, "", None
    if not keys:
        engine._not_understood(t)
        return
    low, high = digit_bounds(spec.digits)
    value = keypad_value(t, slot, keys) if low <= len(keys) <= high else None
    if value is None:
        if spec.digits is not None and not low <= len(keys) <= high:
            n = str(low) if low == high else f"{low}-{high}"
            _message(t, "digits", n=n)
        else:
            t.say(builtin("invalid", t.lang, value=" ".join(keys)), "builtin")
        engine._progress(t)
        return
    change = filling.accept(t, slot.name, value, 1.0, "dtmf")
    if change.any:
        engine._progress(t)
    else:
        engine._not_understood(t)


def keypad_value(t: Turn, slot: CompiledSlot, keys: str) -> Any:
    """The slot value ``keys`` stand for, or None. Dates are DDMMYYYY (MMDDYYYY for US bots), times
    HHMM, yes/no 1/2, an enum the value's position (1 = the first listed)."""
    spec = slot.spec
    try:
        if spec.type == "text":
            return keys
        if spec.type == "number":
            return int(keys)
        if spec.type == "yes_no":
            return {"1": True, "2": False}.get(keys)
        if spec.type == "enum":
            assert isinstance(spec, EnumSlot)
            values = list(spec.synonyms())
            index = int(keys) - 1
            return values[index] if 0 <= index < len(values) else None
        if spec.type == "date" and len(keys) == 8:
            a, b, year = int(keys[:2]), int(keys[2:4]), int(keys[4:])
            day, month = (b, a) if t.compiled.scenario.bot.region == "US" else (a, b)
            return date(year, month, day)
        if spec.type == "time" and len(keys) == 4:
            return time(int(keys[:2]), int(keys[2:]))
        if spec.type == "phone":
            found = t.compiled.extractor.extract(keys, candidates=(slot.name,), asked=slot.name, now=t.now)
            hit = found.get(slot.name)
            return hit.value if hit is not None else None
    except ValueError:
        return None
    return None


def spoken_digits(text: str, lang: str) -> str:
    """The digits a caller spoke ("four one five, five five five" -> "415555"); "" if none."""
    lowered = text.lower()
    out, last = [], 0
    for start, end, value in replace_number_words(lowered, lang):  # type: ignore[arg-type]
        out.append(lowered[last:start])
        out.append(value if value.isdigit() else "")
        last = end
    out.append(lowered[last:])
    return "".join(re.findall(r"\d", "".join(out)))


def on_speech(engine: Engine, t: Turn, text: str) -> bool:
    """A spoken menu choice or spoken digits for a keypad slot; True when handled here."""
    call, st = t.call, t.state
    if call.pending_confirm is not None:
        return False
    if st.menu is not None and call.asked is None:
        option = choose(st.menu, text)
        if option is not None:
            _take(engine, t, option, "speech")
            return True
        return False
    slot = _typed_slot(t)
    if slot is None:
        return False
    if "speech" not in slot.spec.input:
        _message(t, "keypad_only")
        t.listen()
        return True
    if slot.spec.digits is None:
        return False
    digits = spoken_digits(text, t.lang)
    if not digits:
        return False
    call.keys = digits
    _submit(engine, t, slot)
    return True


def _take(engine: Engine, t: Turn, option: CompiledOption, by: str) -> None:
    t.call.keys, t.call.keys_at = "", None
    t.say_text(option.say)  # type: ignore[arg-type]
    engine._go(t, option.to, option.trigger, "menu", {"key": option.key, "by": by})
