"""Per-state turn-taking, applied live to the running ``AgentSession``.

After every engine result the bridge calls :meth:`LiveTurnTaking.apply`: the policy of the call's state
and asked slot (:mod:`voicebot.dialogue.turntaking`) becomes the session's endpointing through
``AgentSession.update_options(endpointing_opts={"min_delay", "max_delay"})``, which livekit-agents
1.8.9 passes on to the running activity's audio recognition (``AudioRecognition._update_options``): the
next end of turn already uses it. Only changes are sent.

Which turn detection that means (docs/telephony.md): phone calls run ``turn_detection="vad"``
(:func:`voicebot.telephony.session.audio_session`), so the caller's turn ends ``min_delay`` after
Silero VAD hears the end of speech; ``max_delay`` is used only when a turn-detector model is passed,
for turns the model judges unfinished. Text mode (manual turns) ignores both.

Silero VAD itself only reports the end of speech after its ``min_silence_duration`` (0.55 s as
loaded), so a ``min_delay`` below that would change nothing: for a policy with ``min_delay`` under
:data:`VAD_SILENCE_FLOOR` (the ``short`` preset of yes/no and menus) the session's VAD silence is set
to ``min_delay`` too, and put back to its loaded value for every other state. LiveKit runs one call per
process, so the VAD object (loaded once per process) is this call's alone.

Barge-in: in a state with ``barge_in: false`` the bot's speech is made uninterruptible
(``allow_interruptions=False`` on ``session.say`` and on the reply's ``SpeechHandle``).
"""

from __future__ import annotations

from typing import Any

import structlog
from livekit.agents import Agent, AgentSession
from livekit.agents.voice import SpeechHandle

from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.state import CallState
from voicebot.dialogue.turntaking import TurnPolicy, policy_for
from voicebot.observability import metrics

__all__ = ["VAD_SILENCE_FLOOR", "LiveTurnTaking"]

VAD_SILENCE_FLOOR = 0.5
"""A policy with a ``min_delay`` below this (livekit's default) also shortens the VAD silence."""

log = structlog.get_logger("voicebot.telephony")


class LiveTurnTaking:
    """Keeps one call's session endpointing and barge-in in step with the engine's state."""

    def __init__(self, compiled: CompiledScenario) -> None:
        self._compiled = compiled
        self._applied: tuple[float, float] | None = None
        self._vad_default: float | None = None
        self.policy: TurnPolicy | None = None
        self._policies: dict[tuple[str, str | None, bool], TurnPolicy] = {}
        """Policies by (state, slot asked, confirming): worked out once per call for each."""
        self.changes = 0
        """How many times the session's endpointing was changed (the first application included)."""

    @property
    def barge_in(self) -> bool:
        return self.policy is None or self.policy.barge_in

    def apply(self, agent: Agent, call: CallState) -> TurnPolicy | None:
        """Make the session's endpointing that of ``call``'s state; returns the policy in force
        (None once the call has ended, or when the timing must change and the agent has left its
        session). The session is only reached when the timing changes: most turns keep it."""
        if call.ended:
            return None
        key = (call.state, call.asked, call.pending_confirm is not None)
        policy = self._policies.get(key)
        if policy is None:  # the same as policy_of(compiled, call); the compiled scenario never changes
            policy = self._policies[key] = policy_for(self._compiled, key[0], key[1], confirming=key[2])
        self.policy = policy
        timing = (policy.min_delay, policy.max_delay)
        if timing != self._applied:
            try:
                session: AgentSession[Any] = agent.session
            except RuntimeError:
                return None
            session.update_options(endpointing_opts={"min_delay": timing[0], "max_delay": timing[1]})
            self._applied = timing
            self._vad_silence(session, timing[0])
            self.changes += 1
            metrics.turn_taking_applied(policy.preset or "custom")
            log.debug(
                "turn_taking_applied",
                state=call.state,
                slot=call.asked,
                min_delay=timing[0],
                max_delay=timing[1],
                source=policy.source,
            )
        return policy

    def _vad_silence(self, session: AgentSession[Any], min_delay: float) -> None:
        vad = session.vad
        update = getattr(vad, "update_options", None)
        current = getattr(vad, "min_silence_duration", None)
        if update is None or current is None:
            return  # text mode, or a VAD without the option
        if self._vad_default is None:
            self._vad_default = float(current)
        target = min_delay if min_delay < min(VAD_SILENCE_FLOOR, self._vad_default) else self._vad_default
        if target != current:
            update(min_silence_duration=target)

    def say_options(self) -> dict[str, Any]:
        """Keyword arguments for ``session.say`` in the current state."""
        return {} if self.barge_in else {"allow_interruptions": False}

    def guard(self, handle: SpeechHandle | None) -> None:
        """Make the reply ``handle`` uninterruptible when the state forbids barge-in."""
        if handle is not None and not self.barge_in and not handle.interrupted and not handle.done():
            handle.allow_interruptions = False
