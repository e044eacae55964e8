"""A text-mode call wired the way a worker job wires a phone call (for the turn benchmarks).

:func:`voicebot.telephony.answer.answer_call` builds, per call: an ``Engine`` over the process's cached
compiled scenario, a ``CallContext`` and ``CallInfo`` with the call's ids, a ``CallActions`` action port
over the process's ``ActionRegistry`` (so every caller turn goes through the filler stream), the record
function that hands records to the process's write-behind ``Recorder`` and keeps the call's transcript,
and the call's structlog context. :class:`ProductionCalls` does the same over ``TextCall`` (the same
``AgentSession`` and bridge), with a recorder whose sink accepts every batch (no database on the
benchmark's path: the caller's path only ever appends to the recorder's buffer) and with the Prometheus
client in multiprocess mode, as in a job process (``PROMETHEUS_MULTIPROC_DIR`` is set before
prometheus_client is first imported: import this module first).
"""

from __future__ import annotations

import os
import tempfile

if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:  # a job process writes its series to files
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="voicebot-bench-prom-")

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from voicebot.actions import ActionRegistry
from voicebot.dialogue import CallContext, Engine
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.observability import bind_call
from voicebot.observability.metrics import RecorderPrometheusMetrics
from voicebot.outcomes.finalize import outcome_names
from voicebot.storage import Journal, Recorder
from voicebot.storage.records import Record, Turn
from voicebot.telephony.actions import CallActions
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.textcall import TextCall

__all__ = ["AcceptingSink", "ProductionCalls"]


class AcceptingSink:
    """A RecordSink that accepts every batch (counts them): the database is not what is measured."""

    def __init__(self) -> None:
        self.written = 0

    async def write(self, batch: Sequence[Record]) -> Sequence[Record]:
        self.written += len(batch)
        return ()


class ProductionCalls:
    """``async with ProductionCalls(compiled) as calls``: ``calls.new()`` is a TextCall wired as
    ``answer_call`` wires a phone call (enter it with ``async with``)."""

    def __init__(self, compiled: CompiledScenario) -> None:
        self.compiled = compiled
        self.registry = ActionRegistry()
        self.sink = AcceptingSink()
        self._dir = tempfile.TemporaryDirectory(prefix="voicebot-bench-journal-")
        self.recorder = Recorder(
            sink=self.sink, journal=Journal(Path(self._dir.name)), metrics=RecorderPrometheusMetrics()
        )
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> ProductionCalls:
        await self.recorder.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.recorder.aclose(timeout=10.0)
        self._dir.cleanup()

    def new(self) -> TextCall:
        compiled = self.compiled
        call_id = uuid.uuid4()
        bot_id = uuid.uuid4()
        caller, dialed = "+15550100", "+15550199"
        info = CallInfo(
            call_id=call_id,
            bot_id=bot_id,
            bot_slug=compiled.scenario.bot.id,
            direction="inbound",
            caller_number=caller,
            dialed_number=dialed,
            scenario_version_id=uuid.uuid4(),
            slot_types={name: slot.type for name, slot in compiled.scenario.slots.items()},
            outcome_names=outcome_names(compiled.scenario),
        )
        transcript: list[tuple[str, str, dt.datetime]] = []
        recorder = self.recorder

        def record(item: Record) -> None:
            recorder.record(item)
            if isinstance(item, Turn):
                transcript.append((item.role, item.text, item.at))

        actions = CallActions(self.registry, call_id=call_id, company_id=uuid.uuid4(), bot_id=bot_id)
        context = CallContext(
            call_id=str(call_id), caller_number=caller, dialed_number=dialed, direction="inbound"
        )
        return TextCall(
            Engine(compiled),
            bot_id=str(bot_id),
            context=context,
            record=record,
            info=info,
            actions=actions,
        )


@contextlib.asynccontextmanager
async def call_context(call: TextCall) -> AsyncIterator[TextCall]:
    """The call entered inside its structlog context (``answer_call`` binds call_id and bot_id)."""
    with bind_call(call_id=call.context.call_id or "", bot_id=call.conversation.bot_id):
        async with call:
            yield call
