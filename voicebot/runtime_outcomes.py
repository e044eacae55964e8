"""Composition of the outcome and webhook services (a companion of :mod:`voicebot.runtime`).

``outcomes/`` never imports ``storage/``: the storage repositories are handed to it here, where they
meet the Protocols they satisfy.

    services = build_outcome_services(db.pool, WebhookSettings.from_env(), llm=None)
    await services.finalizer.finalize(call_finished, facts, transcript)   # the telephony bridge
    await services.dispatcher().run(stop)                                  # `voicebot webhooks run`
    await services.reaper().run(stop)
    await services.aclose()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicebot.dialogue.ports import LLM
from voicebot.outcomes.config import WebhookSettings
from voicebot.outcomes.delivery import HttpDeliverer
from voicebot.outcomes.dispatcher import Dispatcher
from voicebot.outcomes.finalize import Finalizer
from voicebot.outcomes.reaper import Reaper
from voicebot.outcomes.summary import OutcomeAdvisor
from voicebot.storage.repositories.outbox import Outbox
from voicebot.storage.repositories.outcomes import NewEvent, Outcomes

__all__ = ["OutcomeServices", "build_outcome_services"]


@dataclass
class OutcomeServices:
    settings: WebhookSettings
    outbox: Outbox
    outcomes: Outcomes
    finalizer: Finalizer
    deliverer: HttpDeliverer

    def dispatcher(self, **overrides: Any) -> Dispatcher:
        """A dispatcher on these services; keyword ``overrides`` replace settings-derived arguments."""
        s = self.settings
        args: dict[str, Any] = {
            "outbox": self.outbox,
            "deliverer": self.deliverer,
            "schedule": s.schedule,
            "lease": s.lease,
            "batch_size": s.batch_size,
            "concurrency": s.concurrency,
            "poll_interval": s.poll_interval,
        }
        args.update(overrides)
        return Dispatcher(**args)

    def reaper(self) -> Reaper:
        s = self.settings
        return Reaper(
            store=self.outcomes,
            finalizer=self.finalizer,
            timeout=s.heartbeat_timeout,
            interval=s.reaper_interval,
        )

    async def aclose(self) -> None:
        await self.deliverer.aclose()


def build_outcome_services(
    pool: Any, settings: WebhookSettings, *, llm: LLM | None = None, post_call_queue: str | None = "post_call"
) -> OutcomeServices:
    """Wire storage's repositories on ``pool`` (an open asyncpg pool) into the outcome services.

    Each finalized call gets a job in ``post_call_queue`` (the post-call pipeline, ``voicebot pipeline
    run``), in the outcome's transaction; None enqueues nothing."""
    outcomes = Outcomes(pool, post_call_queue=post_call_queue)
    return OutcomeServices(
        settings=settings,
        outbox=Outbox(pool),
        outcomes=outcomes,
        finalizer=Finalizer(
            store=outcomes,
            new_event=NewEvent,
            advisor=OutcomeAdvisor(llm=llm),
            booking_outcomes=settings.booking_outcomes,
        ),
        deliverer=HttpDeliverer(timeout=settings.timeout, policy=settings.allow),
    )
