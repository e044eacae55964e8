"""The end of a call that failed: an unrecoverable provider error (or the session closing on one).

:func:`apologize_and_end` tells the engine (outcome by the scenario's rules, default ``error``), tries
the apology, hangs up and ends the call as failed. When TTS itself is what failed, livekit has closed
the session and the apology cannot be spoken: the call is still hung up (the caller hears the line drop)
and recorded as failed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from voicebot.dialogue import Hangup
from voicebot.observability import metrics

if TYPE_CHECKING:
    from voicebot.telephony.bridge import CallAgent

__all__ = ["APOLOGY", "apologize_and_end"]

log = structlog.get_logger("voicebot.telephony")

APOLOGY = {
    "en": "Sorry, I'm having technical trouble. Please call again later. Goodbye.",
    "ru": "Извините, у нас технические неполадки. Пожалуйста, перезвоните позже. До свидания.",
}


async def apologize_and_end(agent: CallAgent) -> None:
    """See the module docstring (the bridge calls it once, from its failure path)."""
    conversation = agent.conversation
    lang = conversation.engine.compiled.lang
    if not conversation.ended:
        async with agent._lock:
            result = await conversation.send(Hangup("error"))
            agent._book(result, turn_seq=None)
    text = APOLOGY.get(lang, APOLOGY["en"])
    try:
        handle = agent.session.say(text, allow_interruptions=False)
        await asyncio.wait_for(handle.wait_for_playout(), timeout=10)
        if not handle.interrupted:
            agent.calllog.turn("bot", text, state=conversation.call.state, metadata={"source": ["apology"]})
    except Exception as exc:  # the session is closed or TTS is down: nothing can be heard
        log.warning("apology_not_spoken", error_class=type(exc).__name__)
    try:
        await agent.control.hang_up()
    except Exception as exc:
        metrics.error("call_control")
        agent.calllog.error("call_control_error", str(exc), context={"action": "end_call"})
        log.error("call_control_failed", action="end_call", error=str(exc))
    agent._end("error")
