"""The composition root of mid-call actions: the registry with the HTTP runner on the database.

The HTTP runner gets the company's secrets (``company_secrets``) and webhook signing secrets
(``companies``) from storage and the URL guard of webhooks (``VOICEBOT_WEBHOOK_ALLOW_HOSTS``); the
built-in appointment book registers its ``book.*`` runner here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from voicebot.actions import ActionRegistry
from voicebot.actions.book.ports import Hours, hours_of
from voicebot.actions.book.runner import BookRunner
from voicebot.actions.book.service import AppointmentBook
from voicebot.actions.http import HttpActionRunner
from voicebot.errors import NotFoundError
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.scenario import load_text
from voicebot.storage.repositories.book import Book
from voicebot.storage.repositories.bots import Bots
from voicebot.storage.repositories.companies import Companies
from voicebot.storage.repositories.company_secrets import CompanySecrets

__all__ = ["build_action_registry", "offline_action_registry"]


def build_action_registry(
    pool: Any, *, policy: HostPolicy | None = None
) -> tuple[ActionRegistry, Callable[[], Awaitable[None]]]:
    """The registry for a call's process on ``pool``; returns it and its closer."""
    secrets = CompanySecrets(pool)
    companies = Companies(pool)

    async def values(company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
        return await secrets.values(company_id, names)

    async def signing(company_id: uuid.UUID | None) -> Sequence[str]:
        if company_id is None:
            return ()
        try:
            return await companies.webhook_secrets(company_id)
        except NotFoundError:
            return ()

    http = HttpActionRunner(
        policy=HostPolicy.from_env() if policy is None else policy, secrets=values, signing=signing
    )
    registry = ActionRegistry({"http": http})
    registry.register("book.*", _book_runner(pool))
    return registry, http.aclose


def _book_runner(pool: Any) -> BookRunner:
    """The built-in book for every bot of the process: a bot's hours are its current scenario's
    calendar and time zone (read once per bot; a call process serves one call)."""
    bots = Bots(pool)
    known: dict[uuid.UUID, Hours] = {}

    async def hours_for(bot_id: uuid.UUID) -> Hours:
        if bot_id not in known:
            source = await bots.scenario_source(bot_id)
            if source is None:
                raise NotFoundError(f"bot {bot_id} has no deployed scenario")
            known[bot_id] = hours_of(load_text(source, "scenario.yaml").scenario)
        return known[bot_id]

    return BookRunner(book=AppointmentBook(store=Book(pool), hours=hours_for))


def offline_action_registry(
    secrets: Mapping[str, str], *, policy: HostPolicy | None = None
) -> tuple[ActionRegistry, Callable[[], Awaitable[None]]]:
    """For ``voicebot chat``: the real HTTP runner, secrets given on the command line, unsigned
    (no company), the webhook URL guard (``VOICEBOT_WEBHOOK_ALLOW_HOSTS`` for a local server)."""

    async def values(company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
        return {name: secrets[name] for name in names if name in secrets}

    http = HttpActionRunner(policy=HostPolicy.from_env() if policy is None else policy, secrets=values)
    return ActionRegistry({"http": http}), http.aclose
