"""The dialogue engine: one call's logic, events in, actions out.

Pure: no I/O, and no clock but the injected one.

How one caller turn is processed (documented for scenario writers in docs/scenarios.md):

1. Empty, garbage or absurdly long input is "not understood" (a reprompt, never an exception).
2. A repair or meta phrase alone ("what?", "say that again", "hang on", "повторите", "подождите") is
   served first: the bot repeats what it said (the scenario's ``repeat`` handler if it has one) or says
   it will wait; it fills no slot and is not a failed try.
   Then a spoken keypad-menu choice or spoken digits for a keypad slot (``dialogue/keypad.py``, also keys).
3. The utterance is classified against the intents relevant here: the state's intent transitions,
   the global handlers, and yes/no while a read-back waits for confirmation.
4. A pending read-back confirmation is answered first (yes keeps the value, no asks again,
   a new value is read back again).
5. A global handler's intent (one the state does not handle itself) is served right away, and the
   utterance fills no slots ("how much is a manicure?" does not choose the service).
6. Slot values are extracted for every open slot of the scenario (answers out of order are kept) and,
   with a correction cue ("no, I said Tuesday"), for filled ones too. A correction wins over the
   state's transitions: the bot acknowledges it and repeats the current state (from an ``edit`` state it
   returns to the state it came from).
7. The state's transitions are tried in the order written (intent, when, dtmf, event).
8. If slots were filled, the bot asks for the next missing one.
9. An LLM state replies through the LLM; an ``event: utterance`` transition takes anything else; with an LLM
   configured, the LLM is asked to understand.
10. Otherwise: a reprompt; after ``max_retries`` the ``retries_exhausted`` event, then the fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from voicebot.dialogue import action_step, filling, keypad, transfer
from voicebot.dialogue.actions import (
    Action,
    EndCall,
    GenerateReply,
    LookupKnowledge,
    RecordTransition,
    SetOutcome,
    Understand,
)
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.events import (
    Dtmf,
    DtmfTimeout,
    Event,
    Hangup,
    KnowledgeResult,
    LlmReplied,
    NoInput,
    TransferResult,
    Understood,
    Utterance,
)
from voicebot.dialogue.messages import builtin
from voicebot.dialogue.nlu import is_garbage
from voicebot.dialogue.nlu.repair import repair_kind
from voicebot.dialogue.outcome import condition_env, finish_call
from voicebot.dialogue.ports import LlmMessage
from voicebot.dialogue.slot_actions import has_slot_actions, run_slot_actions
from voicebot.dialogue.state import CallContext, CallState
from voicebot.dialogue.turn import Turn

__all__ = ["Engine"]

MAX_HOPS = 32
"""Automatic moves (next, conditions, returns) allowed in one turn before the engine stops and listens."""


class Engine:
    """Runs calls of one compiled scenario. Holds no per-call state; share it between calls."""

    def __init__(
        self,
        compiled: CompiledScenario,
        *,
        clock: Callable[[], datetime] | None = None,
        llm_enabled: bool = False,
    ) -> None:
        self.compiled = compiled
        self.llm_enabled = llm_enabled
        self._clock = clock or (lambda: datetime.now(compiled.tz))

    # ------------------------------------------------------------------ public surface

    def start(self, context: CallContext) -> tuple[CallState, list[Action]]:
        """Begin a call: the greeting, then the start state."""
        c = self.compiled
        call = CallState(context=context, state=c.scenario.start)
        t = Turn(call, c, self._clock())
        filling.prefill_from_call(t)
        t.say_text(c.greeting)
        t.out.append(RecordTransition(None, call.state, "start", {}, 0))
        self._enter(t)
        return call, t.finish()

    def handle(self, call: CallState, event: Event) -> list[Action]:
        """Process one event; returns what the runtime should do. Never raises on caller input."""
        if call.ended:
            return []
        t = Turn(call, self.compiled, self._clock())
        if isinstance(event, Utterance):
            self._on_utterance(t, event.text)
        elif isinstance(event, Dtmf):
            keypad.on_dtmf(self, t, event.digits)
        elif isinstance(event, DtmfTimeout):
            keypad.on_timeout(self, t)
        elif isinstance(event, NoInput):
            self._on_no_input(t)
        elif isinstance(event, Hangup):
            finish_call(t, event.reason)
        elif isinstance(event, KnowledgeResult):
            self._on_knowledge(t, event)
        elif isinstance(event, LlmReplied):
            self._on_llm_reply(t, event.text)
        elif isinstance(event, Understood):
            self._on_understood(t, event)
        elif isinstance(event, action_step.EVENTS):
            action_step.on_event(self, t, event)
        elif isinstance(event, TransferResult):
            transfer.on_transfer_result(t, event, self._go)
        return t.finish()

    # ------------------------------------------------------------------ caller input

    def _on_utterance(self, t: Turn, text: str) -> None:
        call = t.call
        text = " ".join(text.split())
        call.turn += 1
        call.no_input = 0
        if is_garbage(text):
            self._not_understood(t)
            return
        call.history.append(("caller", text))
        call.last_utterance = text
        if not t.state.waiting:
            return
        if self._repair(t, text):
            return
        if keypad.on_speech(self, t, text):  # a spoken menu choice, digits for a keypad slot
            return
        intent = self._intent(t, text)
        if call.pending_confirm is not None and filling.answer_confirmation(t, text, intent):
            self._progress(t)
            return
        if intent is not None and intent not in t.state.intents and self._global(t, intent):
            # "how much is a manicure?" asks a question; it does not choose the service.
            return
        change = filling.extract(t, text, intent, edit=t.state.spec.edit)
        if change.corrected:  # "no, the phone is 8 900 ...": the new value is the answer, not the "no"
            self._resume(t) if t.state.spec.edit else self._reenter(t)
            return
        if self._try_transitions(t, intent=intent):
            return
        if change.any:
            self._progress(t)
            return
        if t.state.spec.llm is not None:
            self._llm_turn(t)
            return
        if self._try_transitions(t, event="utterance"):
            return
        if self.llm_enabled and self._needs_understanding(t):
            call.pending_utterance = text
            t.out.append(Understand(text, tuple(sorted(t.state.relevant)), filling.describe_open(t)))
            return
        self._not_understood(t)

    def _repair(self, t: Turn, text: str) -> bool:
        """ "what?", "hang on", "повторите": repeat or wait; never a slot value, never a failed try."""
        kind = repair_kind(text, self.compiled.lang)
        if kind is None:
            return False
        if kind == "repeat":
            if "repeat" in t.state.intents and self._try_transitions(t, intent="repeat"):
                return True
            if self._global(t, "repeat"):
                return True
            t.repeat()
        else:
            t.say_text(None, key="hold")
        t.listen()
        return True

    def _on_understood(self, t: Turn, event: Understood) -> None:
        text, t.call.pending_utterance = t.call.pending_utterance, None
        if text is None:
            return
        intent = event.intent if event.intent in t.state.relevant else None
        change = filling.apply_proposed(t, event.slots)
        if self._try_transitions(t, intent=intent):
            return
        if intent is not None and self._global(t, intent):
            return
        if change.any:
            self._progress(t)
            return
        self._not_understood(t)

    def _on_no_input(self, t: Turn) -> None:
        call = t.call
        call.no_input += 1
        if self._try_transitions(t, event="no_input"):
            return
        if call.no_input > self.compiled.scenario.settings.max_no_input:
            t.say_text(self.compiled.messages["goodbye_no_input"], key="goodbye_no_input")
            t.out.append(EndCall("no_input"))
            finish_call(t, "no_input")
            return
        st = t.state
        t.say_text(st.no_input or self.compiled.messages["no_input"], key="no_input")
        self._ask(t, resume=True)

    def _not_understood(self, t: Turn) -> None:
        call, st = t.call, t.state
        call.retries += 1
        limit = (
            st.spec.max_retries
            if st.spec.max_retries is not None
            else self.compiled.scenario.settings.max_retries
        )
        if call.retries > limit:
            if self._try_transitions(t, event="retries_exhausted"):
                return
            for tr in st.transitions:
                if tr.spec.fallback:
                    t.say_text(tr.say)
                    self._go(t, tr.spec.to, tr.trigger, "fallback", {"retries": call.retries})
                    return
        slot = self.compiled.slots.get(call.asked) if call.asked else None
        if slot is not None and slot.reprompt is not None and call.pending_confirm is None:
            t.say_text(slot.reprompt)
            t.listen()
        elif st.reprompt is not None:
            t.say_text(st.reprompt)
            t.listen()
        else:
            t.say_text(self.compiled.messages["reprompt"], key="reprompt")
            self._ask(t, resume=True)

    # ------------------------------------------------------------------ routing

    def _intent(self, t: Turn, text: str) -> str | None:
        """The best intent relevant here (yes/no too while a read-back waits) above the threshold."""
        relevant = t.state.relevant
        if t.call.pending_confirm is not None:
            relevant = relevant | {"yes", "no"}
        threshold = self.compiled.scenario.settings.intent_threshold
        matches = self.compiled.intents.match(text, only=relevant)  # only what can be used here
        return matches[0].name if matches and matches[0].score >= threshold else None

    def _needs_understanding(self, t: Turn) -> bool:
        return bool(t.state.intents) or t.call.asked is not None

    def _try_transitions(
        self, t: Turn, *, intent: str | None = None, event: str | None = None, dtmf: str | None = None
    ) -> bool:
        """Fire the first transition of the current state that matches, in the order written (only the
        candidates for this trigger are looked at: ``edges.py``)."""
        call = t.call
        env: dict[str, object] | None = None
        for tr in self.compiled.edges[call.state].candidates(intent, event, dtmf):
            spec = tr.spec
            if tr.condition is not None and spec.intent is None:
                if call.pending_confirm is not None:
                    continue
                if env is None:
                    env = condition_env(call, self.compiled.lang)
                fired = tr.condition.evaluate(
                    env, filled=call.slots.__contains__, visited=call.visited.__contains__
                )
            else:
                fired = True  # the candidates of an intent, event or keys are those transitions
            if fired:
                t.say_text(tr.say)
                kind = spec.trigger_kind
                self._go(t, spec.to, tr.trigger, kind, {kind: getattr(spec, kind)})
                return True
        return False

    def _global(self, t: Turn, intent: str) -> bool:
        for handler in self.compiled.global_handlers:
            spec = handler.spec
            if spec.intent != intent:
                continue
            if spec.do == "repeat":
                t.repeat()
                t.listen()
            elif spec.do == "say":
                t.say_text(handler.say)
                self._ask(t, resume=True)
            elif handler.trigger is not None and spec.to is not None:
                self._go(t, spec.to, handler.trigger, "global", {"intent": intent})
            return True
        return False

    def _go(self, t: Turn, dest: str, trigger: str | None, kind: str, data: dict[str, object]) -> None:
        call = t.call
        source = call.state
        if t.state.waiting:
            call.resume_point = source
        if trigger is not None:
            self.compiled.fire(trigger, call)
        else:
            self.compiled.jump(dest, call)
        t.out.append(RecordTransition(source, dest, kind, data, call.turn, trigger))
        t.hops += 1
        if t.hops > MAX_HOPS:
            t.listen()
            return
        self._enter(t)

    # ------------------------------------------------------------------ states

    def _enter(self, t: Turn) -> None:
        call, st = t.call, t.state
        call.visited.add(st.name)
        call.retries = call.no_input = call.llm_turns = 0
        call.asked = None
        spec = st.spec
        if spec.outcome is not None:
            call.outcome = spec.outcome
            t.out.append(SetOutcome(spec.outcome))
        if has_slot_actions(spec):
            run_slot_actions(t)
        t.say_text(st.say)
        keypad.enter(t)
        if spec.action is not None:
            return action_step.start(t)
        if spec.knowledge is not None:
            k = spec.knowledge
            t.out.append(LookupKnowledge(call.last_utterance, k.top_k, k.min_score, k.max_sentences))
            return
        if spec.llm is not None and call.last_utterance:
            self._llm_turn(t)
            return
        self._after_speaking(t)

    def _after_speaking(self, t: Turn) -> None:
        st = t.state
        spec = st.spec
        if spec.transfer is not None:
            transfer.start_transfer(t, spec.transfer)
        elif spec.end:
            t.out.append(EndCall("completed"))
            finish_call(t, "completed")
        elif st.next_trigger is not None and spec.next is not None:
            self._go(t, spec.next, st.next_trigger, "next", {})
        elif spec.return_:
            self._resume(t)
        elif not self._try_transitions(t):
            self._ask(t)

    def _resume(self, t: Turn) -> None:
        call = t.call
        dest = call.resume_point or self.compiled.scenario.start
        source = call.state
        self.compiled.jump(dest, call)
        t.out.append(RecordTransition(source, dest, "return", {}, call.turn))
        call.visited.add(dest)
        call.retries = 0
        if not self._try_transitions(t):
            self._ask(t, resume=True)

    def _reenter(self, t: Turn) -> None:
        """After a correction: say the current state again with the new values."""
        if t.state.spec.collect:
            self._progress(t)
            return
        t.say_text(t.state.say)
        self._ask(t)

    def _progress(self, t: Turn) -> None:
        if not self._try_transitions(t):
            self._ask(t)

    def _ask(self, t: Turn, *, resume: bool = False) -> None:
        """Ask for what the state still needs (a read-back, then the first missing slot) and listen."""
        call, st = t.call, t.state
        if call.pending_confirm is not None:
            filling.ask_confirmation(t)
        else:
            missing = filling.first_missing(t)
            call.asked = missing
            if missing is not None:
                if not t.ended_with_question():  # "Sorry, that day is in the past. Which day?" asks once
                    t.say_text(self.compiled.slots[missing].prompt)
            elif resume or not t.said_this_turn():
                t.say_text(st.say)
                keypad.announce(t)
        t.listen()

    # ------------------------------------------------------------------ knowledge and LLM

    def _on_knowledge(self, t: Turn, result: KnowledgeResult) -> None:
        st = t.state
        spec = st.spec.knowledge
        if spec is None:
            return
        best = max((p.score for p in result.passages), default=0.0)
        if result.answer and best >= spec.min_score:
            t.say(result.answer, "knowledge", tuple(p.chunk_id for p in result.passages))
            self._after_speaking(t)
            return
        if self._try_transitions(t, event="no_answer"):
            return
        self._after_speaking(t)

    def _llm_turn(self, t: Turn) -> None:
        call, spec = t.call, t.state.spec.llm
        if spec is None:
            return
        if not self.llm_enabled:
            t.say_text(t.state.llm_offline, key="llm_unavailable")
            t.listen()
            return
        system = spec.instructions + filling.slot_context(t)
        messages = [LlmMessage("system", system)]
        messages += [
            LlmMessage("user" if role == "caller" else "assistant", text) for role, text in call.history[-12:]
        ]
        t.out.append(GenerateReply(tuple(messages)))

    def _on_llm_reply(self, t: Turn, text: str | None) -> None:
        call, spec = t.call, t.state.spec.llm
        if spec is None:
            return
        if not text:
            t.say(builtin("llm_unavailable", self.compiled.lang), "builtin")
        else:
            t.say(text, "llm")
        call.llm_turns += 1
        if call.llm_turns >= spec.max_turns and self._try_transitions(t, event="retries_exhausted"):
            return
        t.listen()
