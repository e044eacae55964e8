"""Companies, bots and knowledge documents against a real database."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from tests.storage.helpers import DeployedBot, loaded
from voicebot.errors import ConfigError, ConflictError, NotFoundError
from voicebot.storage import Bots, Companies, KnowledgeDocs, normalize_phone


async def test_company_api_key_is_shown_once_and_only_its_hash_is_stored(db_pool: Any) -> None:
    companies = Companies(db_pool)
    new = await companies.create("Acme", webhook_url="https://hooks.example.com/x")
    row = await db_pool.fetchrow("SELECT * FROM companies WHERE id = $1", new.company.id)
    assert new.api_key not in [str(v) for v in row.values()]
    assert row["api_key_hash"] == hashlib.sha256(new.api_key.encode()).hexdigest()
    assert (await companies.authenticate(new.api_key)) == new.company
    assert await companies.authenticate(new.api_key + "x") is None


async def test_company_input_is_validated(db_pool: Any) -> None:
    with pytest.raises(ConfigError, match="http"):
        await Companies(db_pool).create("Acme", webhook_url="ftp://example.com")
    with pytest.raises(ConfigError, match="name"):
        await Companies(db_pool).create("   ")


async def test_webhook_secret_rotation_keeps_two_valid_during_the_grace_period(db_pool: Any) -> None:
    companies = Companies(db_pool)
    new = await companies.create("Acme")
    assert await companies.webhook_secrets(new.company.id) == [new.webhook_secret]
    rotated = await companies.rotate_webhook_secret(new.company.id, grace=dt.timedelta(hours=1))
    assert await companies.webhook_secrets(new.company.id) == [rotated, new.webhook_secret]
    again = await companies.rotate_webhook_secret(new.company.id, grace=dt.timedelta(0))
    assert await companies.webhook_secrets(new.company.id) == [again]


async def test_deploy_creates_then_versions_only_real_changes(db_pool: Any) -> None:
    company = (await Companies(db_pool).create("Acme")).company
    bots = Bots(db_pool)
    first = await bots.deploy(company.id, "+1 415 555 0100", loaded())
    assert (first.created, first.changed, first.version) == (True, True, 1)
    same = await bots.deploy(company.id, "+14155550100", loaded())
    assert (same.bot_id, same.created, same.changed, same.version) == (first.bot_id, False, False, 1)
    changed = await bots.deploy(company.id, "+14155550100", loaded("Bye now."))
    assert (changed.bot_id, changed.changed, changed.version) == (first.bot_id, True, 2)
    back = await bots.deploy(company.id, "+14155550100", loaded())
    assert back.version == 3  # going back to an earlier text is a change too
    versions = await db_pool.fetch("SELECT version, sha256 FROM scenario_versions ORDER BY version")
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["sha256"] == versions[2]["sha256"] == loaded().sha256
    [info] = await bots.list(company.id)
    assert (info.phone_number, info.version, info.slug) == ("+14155550100", 3, "mini")


async def test_deploy_refuses_a_taken_number_and_an_unknown_company(
    db_pool: Any, deployed_bot: DeployedBot
) -> None:
    other = (await Companies(db_pool).create("Other")).company
    with pytest.raises(ConflictError, match=r"\+14155550100 is already assigned"):
        await Bots(db_pool).deploy(other.id, deployed_bot.phone, loaded(bot_id="other"))
    import uuid

    with pytest.raises(NotFoundError, match="no company"):
        await Bots(db_pool).deploy(uuid.uuid4(), "+14155550199", loaded())
    assert await db_pool.fetchval("SELECT count(*) FROM bots") == 1


@pytest.mark.parametrize("raw", ["4155550100", "+1abc", "+12", "", "+999 1234567"])
def test_bad_phone_numbers_are_refused_with_the_rule(raw: str) -> None:
    with pytest.raises(ConfigError, match="phone number"):
        normalize_phone(raw)


def test_phone_numbers_are_normalized_to_e164() -> None:
    assert normalize_phone(" +7 (900) 123-45-67 ") == "+79001234567"


async def test_lookup_by_dialed_number_returns_the_current_version(
    db_pool: Any, deployed_bot: DeployedBot
) -> None:
    bot = await Bots(db_pool).by_phone(deployed_bot.phone)
    assert bot is not None
    assert (bot.id, bot.version_id, bot.company_id) == (
        deployed_bot.bot_id,
        deployed_bot.version_id,
        deployed_bot.company_id,
    )
    assert bot.source == loaded().source and bot.providers["stt"]["provider"] == "deepgram"
    assert await Bots(db_pool).by_phone("+14155550999") is None
    await db_pool.execute("UPDATE companies SET is_active = false")
    assert await Bots(db_pool).by_phone(deployed_bot.phone) is None  # inactive tenants answer no calls


async def test_lookup_is_one_index_scan(db_pool: Any, deployed_bot: DeployedBot) -> None:
    from voicebot.storage.repositories.bots import _LOOKUP

    async with db_pool.acquire() as conn:
        await conn.execute("SET enable_seqscan = off")  # a 1-row table would be scanned; ask what can be used
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + _LOOKUP, deployed_bot.phone))
    assert "bots_phone_number_key" in plan


async def test_lookup_cache_expires_after_ttl_and_is_invalidated_by_a_local_deploy(
    db_pool: Any, deployed_bot: DeployedBot
) -> None:
    now = [0.0]
    cached = Bots(db_pool, cache_ttl=30.0, clock=lambda: now[0])
    first = await cached.by_phone(deployed_bot.phone)
    assert first is not None
    update = await Bots(db_pool).deploy(deployed_bot.company_id, deployed_bot.phone, loaded("Later."))
    assert (await cached.by_phone(deployed_bot.phone)) == first  # another process's deploy: stale until TTL
    now[0] = 31.0
    refreshed = await cached.by_phone(deployed_bot.phone)
    assert refreshed is not None and refreshed.version_id == update.version_id
    mine = await cached.deploy(deployed_bot.company_id, deployed_bot.phone, loaded("Latest."))
    after = await cached.by_phone(deployed_bot.phone)
    assert after is not None and after.version_id == mine.version_id  # own deploy: at once


async def test_knowledge_docs_lifecycle(db_pool: Any, deployed_bot: DeployedBot) -> None:
    docs = KnowledgeDocs(db_pool)
    doc = await docs.create(
        deployed_bot.bot_id, "prices.pdf", file_type="pdf", file_size=1234, sha256="ab" * 32
    )
    assert (doc.status, doc.chunk_count) == ("processing", 0)
    with pytest.raises(ConflictError):
        await docs.create(deployed_bot.bot_id, "prices.pdf", file_type="pdf", file_size=1, sha256="cd" * 32)
    ready = await docs.mark_ready(doc.id, chunk_count=12, embedder="minilm-int8", embedding_dim=384)
    assert (ready.status, ready.chunk_count, ready.embedder, ready.embedding_dim) == (
        "ready",
        12,
        "minilm-int8",
        384,
    )
    again = await docs.create(
        deployed_bot.bot_id, "prices.pdf", file_type="pdf", file_size=99, sha256="cd" * 32, replace=True
    )
    assert (again.id, again.status, again.chunk_count, again.file_size) == (doc.id, "processing", 0, 99)
    failed = await docs.mark_error(doc.id, "no text in PDF")
    assert (failed.status, failed.error_message) == ("error", "no text in PDF")
    assert [d.id for d in await docs.list(deployed_bot.bot_id)] == [doc.id]
    assert (await docs.get(doc.id)).status == "error"
    await docs.delete(doc.id)
    with pytest.raises(NotFoundError):
        await docs.get(doc.id)
    with pytest.raises(NotFoundError):
        await docs.delete(doc.id)
