"""Row-level security (sql/0015): Postgres itself keeps each company to its own rows.

Deliberately *unfiltered* statements run as the role the API uses (``voicebot_tenant``) with company
A set: they see, change and delete only A's rows, inserting or moving a row into company B is refused,
and with no company set nothing is visible. The tables are enumerated from the catalog, so a table
added later without a policy (or missing from the seed below) fails here, not in production.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from voicebot.errors import StorageError
from voicebot.storage import (
    CallStarted,
    PostgresSink,
    Transition,
    Turn,
    create_pool,
    discover,
    migrate,
    migrate_url,
)
from voicebot.storage.repositories.console import ConsoleSessions
from voicebot.storage.tenancy import TenantPool, company_scope, set_company, system_scope

# Tables that are not a company's: the migration journal only.
NOT_COMPANY_SCOPED = {"schema_migrations"}


def _hex() -> str:
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


async def seed(conn: Any, n: int) -> uuid.UUID:
    """One row of company ``n`` (1 or 2) in every company-scoped table; returns the company id."""
    now = dt.datetime.now(dt.UTC)
    company = await conn.fetchval(
        """INSERT INTO companies (name, api_key_hash, api_key_prefix, webhook_secret)
           VALUES ($1, $2, 'vbk_x', 'whsec_x') RETURNING id""",
        f"Company {n}",
        _hex(),
    )
    phone = f"+1415555010{n}"
    bot = await conn.fetchval(
        """INSERT INTO bots (company_id, slug, name, phone_number, language)
           VALUES ($1, 'mini', 'Mini', $2, 'en') RETURNING id""",
        company,
        phone,
    )
    version = await conn.fetchval(
        """INSERT INTO scenario_versions (bot_id, version, sha256, source)
           VALUES ($1, 1, $2, 'x') RETURNING id""",
        bot,
        _hex(),
    )
    await conn.execute(
        """INSERT INTO knowledge_docs (bot_id, filename, file_type, file_size, sha256)
           VALUES ($1, 'faq.md', 'md', 1, $2)""",
        bot,
        _hex(),
    )
    call = uuid.uuid4()
    await conn.execute(
        "INSERT INTO calls (id, bot_id, direction, started_at) VALUES ($1, $2, 'inbound', $3)", call, bot, now
    )
    await conn.execute(
        "INSERT INTO turns (call_id, seq, role, text, at) VALUES ($1, 0, 'caller', 'hello', $2)", call, now
    )
    await conn.execute(
        """INSERT INTO state_transitions (call_id, seq, to_state, trigger_type, at)
           VALUES ($1, 0, 'ask', 'start', $2)""",
        call,
        now,
    )
    await conn.execute(
        "INSERT INTO extracted_slots (call_id, seq, name, method, at) VALUES ($1, 0, 'name', 'regex', $2)",
        call,
        now,
    )
    await conn.execute(
        "INSERT INTO call_checkpoints (call_id, turn_seq, state, at) VALUES ($1, 0, 'ask', $2)", call, now
    )
    await conn.execute(
        """INSERT INTO appointments (bot_id, call_id, appointment_date, appointment_time, confirmation_code)
           VALUES ($1, $2, current_date, '10:00', $3)""",
        bot,
        call,
        f"CODE{n}",
    )
    event = await conn.fetchval(
        """INSERT INTO webhook_outbox (company_id, call_id, event_type, payload)
           VALUES ($1, $2, 'call.completed', '{}') RETURNING event_id""",
        company,
        call,
    )
    await conn.execute(
        "INSERT INTO webhook_deliveries (event_id, attempt, url) VALUES ($1, 1, 'https://h.example/')", event
    )
    await conn.execute("INSERT INTO outcomes (call_id, outcome_type) VALUES ($1, 'finished')", call)
    await conn.execute(
        "INSERT INTO error_logs (bot_id, call_id, error_type, message) VALUES ($1, $2, 'stt', 'x')", bot, call
    )
    await conn.execute("INSERT INTO caller_feedback (call_id) VALUES ($1)", call)
    await conn.execute(
        "INSERT INTO jobs (queue, key, company_id, call_id) VALUES ('rls.test', $1, $2, $3)",
        str(call),
        company,
        call,
    )
    await conn.execute(
        """INSERT INTO call_actions (call_id, seq, action, kind, status, at)
           VALUES ($1, 0, 'lookup', 'http', 'ok', $2)""",
        call,
        now,
    )
    await conn.execute(
        "INSERT INTO company_secrets (company_id, name, value) VALUES ($1, 'token', 's3cret')", company
    )
    await conn.execute("INSERT INTO book_resources (bot_id, name) VALUES ($1, 'Dr. Who')", bot)
    await conn.execute(
        "INSERT INTO do_not_call (company_id, phone_number) VALUES ($1, '+12125550100')", company
    )
    campaign = await conn.fetchval(
        """INSERT INTO campaigns (company_id, bot_id, name, window_start, window_end, window_days,
                                  max_concurrent, max_attempts, retry_on, retry_delays_s)
           VALUES ($1, $2, 'Spring', '09:00', '17:00', '{1,2,3}', 1, 1, '{busy}', '{60}') RETURNING id""",
        company,
        bot,
    )
    await conn.execute(
        """INSERT INTO campaign_numbers (campaign_id, phone_number, row_no, timezone)
           VALUES ($1, '+12125550101', 1, 'UTC')""",
        campaign,
    )
    await conn.execute(
        """INSERT INTO campaign_attempts (campaign_id, phone_number, attempt_no, status)
           VALUES ($1, '+12125550101', 1, 'dialing')""",
        campaign,
    )
    await conn.execute(
        "INSERT INTO privacy_policies (company_id, mode, recognizers) VALUES ($1, 'off', '{}')", company
    )
    await conn.execute("INSERT INTO analysis_configs (company_id, config) VALUES ($1, '{}')", company)
    await conn.execute("INSERT INTO turn_texts (call_id, seq, cleaned_text) VALUES ($1, 0, 'hello')", call)
    await conn.execute(
        "INSERT INTO discarded_turns (call_id, seq, reason, chars, at) VALUES ($1, 0, 'noise', 0, $2)",
        call,
        now,
    )
    await conn.execute(
        """INSERT INTO call_analyses (call_id, company_id, summary, sentiment, sentiment_score, effort,
                                      analyzed_by, cost, estimated_cost, currency, config_snapshot)
           VALUES ($1, $2, 'ok', 'neutral', 0, '{}', 'rules', '{}', 0, 'USD', '{}')""",
        call,
        company,
    )
    await conn.execute(
        """INSERT INTO console_sessions (token_hash, company_id, csrf_token, expires_at)
           VALUES ($1, $2, 'csrf', now() + interval '1 hour')""",
        _hex(),
        company,
    )
    await conn.execute(
        """INSERT INTO scenario_version_replays (version_id, bot_id, calls, unchanged, improved, changed,
                                                 regressed, skipped, report)
           VALUES ($1, $2, 0, 0, 0, 0, 0, 0, '{}')""",
        version,
        bot,
    )
    return company  # type: ignore[no-any-return]


async def _tables(conn: Any) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
           ORDER BY 1"""
    )
    return [r["relname"] for r in rows if r["relname"] not in NOT_COMPANY_SCOPED]


@pytest.fixture
async def seeded(db_pool: Any) -> AsyncIterator[tuple[Any, uuid.UUID, uuid.UUID]]:
    async with db_pool.acquire() as conn:
        a = await seed(conn, 1)
        b = await seed(conn, 2)
    yield db_pool, a, b


async def _as_tenant(conn: Any, company: uuid.UUID | None) -> None:
    """Inside a transaction: become voicebot_tenant for ``company`` (what TenantPool does)."""
    await conn.execute(
        "SELECT set_config('role', 'voicebot_tenant', true), set_config('voicebot.company_id', $1, true)",
        str(company) if company else "",
    )


async def _rows(conn: Any, table: str) -> set[str]:
    return {r[0] for r in await conn.fetch(f'SELECT ctid::text FROM "{table}"')}


async def test_every_table_but_the_journal_has_a_tenant_policy(db_pool: Any) -> None:
    """A table added without row-level security (or with a policy that checks only reads) fails here."""
    async with db_pool.acquire() as conn:
        tables = await _tables(conn)
        secured = {
            r["relname"]: r
            for r in await conn.fetch(
                """SELECT c.relname, c.relrowsecurity, p.polname, p.polroles::regrole[]::text[] AS roles,
                          p.polqual IS NOT NULL AS reads, p.polwithcheck IS NOT NULL AS writes,
                          p.polcmd::text AS polcmd
                   FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
                   WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"""
            )
        }
        with_company = {
            r["table_name"]
            for r in await conn.fetch(
                """SELECT table_name FROM information_schema.columns
                   WHERE table_schema = current_schema() AND column_name = 'company_id'"""
            )
        }
        unsafe_views = await conn.fetch(
            """SELECT c.relname FROM pg_class c
               WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v'
                 AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)"""
        )
    assert len(tables) >= 30
    assert with_company & {t for t in secured if t not in NOT_COMPANY_SCOPED} <= set(tables)
    problems = [
        t
        for t in tables
        if not (
            secured[t]["relrowsecurity"]
            and secured[t]["polname"] == "tenant"
            and secured[t]["roles"] == ["voicebot_tenant"]
            and secured[t]["reads"]
            and secured[t]["writes"]
            and secured[t]["polcmd"] == "*"
        )
    ]
    assert problems == [], f"tables without the tenant policy of sql/0015: {problems}"
    assert [r["relname"] for r in unsafe_views] == [], "views must be security_invoker"


async def test_unfiltered_selects_see_only_the_current_company(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    pool, a, b = seeded
    async with pool.acquire() as conn:
        for table in await _tables(conn):
            every = await _rows(conn, table)
            async with conn.transaction():
                await _as_tenant(conn, a)
                seen_a = await _rows(conn, table)
            async with conn.transaction():
                await _as_tenant(conn, b)
                seen_b = await _rows(conn, table)
            async with conn.transaction():
                await _as_tenant(conn, None)
                seen_none = await _rows(conn, table)
            assert seen_a and seen_b, f"{table}: the seed has no row of each company (add one to seed())"
            assert not seen_a & seen_b, f"{table}: a row visible to both companies"
            assert seen_a | seen_b == every, f"{table}: rows of neither company"
            assert seen_none == set(), f"{table}: rows visible with no company set"


async def test_unfiltered_update_and_delete_touch_only_the_current_company(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    pool, a, b = seeded
    async with pool.acquire() as conn:
        for table in await _tables(conn):
            column = await conn.fetchval(
                """SELECT attname FROM pg_attribute
                   WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
                     AND attgenerated = '' AND attidentity = '' ORDER BY attnum DESC LIMIT 1""",
                table,
            )
            before = await _rows(conn, table)
            async with conn.transaction():
                await _as_tenant(conn, b)
                rows_b = await _rows(conn, table)
            tx = conn.transaction()
            await tx.start()
            try:
                await _as_tenant(conn, a)
                rows_a = await _rows(conn, table)
                updated = await conn.execute(f'UPDATE "{table}" SET "{column}" = "{column}"')
                assert updated == f"UPDATE {len(rows_a)}", table
                deleted = await conn.execute(f'DELETE FROM "{table}"')
                assert deleted == f"DELETE {len(rows_a)}", table
                assert await _rows(conn, table) == set()
                await conn.execute("RESET ROLE")
                left = await _rows(conn, table)
                # B's rows survived an unfiltered DELETE (an UPDATE gives rows a new ctid: compare counts)
                assert len(left) == len(before) - len(rows_a) == len(rows_b), table
            finally:
                await tx.rollback()


async def test_rows_cannot_be_inserted_into_or_moved_to_another_company(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    pool, a, b = seeded
    async with pool.acquire() as conn:
        for table in await _tables(conn):
            columns = [
                r["attname"]
                for r in await conn.fetch(
                    """SELECT attname FROM pg_attribute
                       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
                         AND attgenerated = '' AND attidentity <> 'a' ORDER BY attnum""",
                    table,
                )
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            async with conn.transaction():
                await _as_tenant(conn, b)
                row_b = await conn.fetchval(f'SELECT to_jsonb(t) FROM "{table}" t LIMIT 1')
            # as A, insert a copy of B's row: the policy's check runs before any unique index would
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _as_tenant(conn, a)
                    await conn.execute(
                        f'INSERT INTO "{table}" ({listed})'
                        f' SELECT {listed} FROM jsonb_populate_record(NULL::"{table}", $1)',
                        row_b,
                    )
        # moving A's bot (and so its calls) to B is refused too
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with conn.transaction():
                await _as_tenant(conn, a)
                await conn.execute("UPDATE bots SET company_id = $1", b)


async def test_the_tenant_pool_runs_statements_for_the_scope_company(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    raw, a, b = seeded
    pool = TenantPool(raw)
    unfiltered = (
        "SELECT b.company_id FROM turns t JOIN calls c ON c.id = t.call_id JOIN bots b ON b.id = c.bot_id"
    )
    assert await pool.fetch(unfiltered) == []  # no scope: nothing
    with company_scope(a):
        assert [r[0] for r in await pool.fetch(unfiltered)] == [a]
        assert await pool.fetchval("SELECT count(*) FROM companies") == 1
        assert await pool.fetchval("SELECT current_user") == "voicebot_tenant"
        with system_scope():
            assert {r[0] for r in await pool.fetch(unfiltered)} == {a, b}
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM bots") == 1  # autocommit statement
            async with conn.transaction():
                assert await conn.fetchval("SELECT voicebot_tenant_id()") == a
                async with conn.transaction():  # a savepoint keeps the settings
                    assert await conn.fetchval("SELECT count(*) FROM calls") == 1
                # a failed statement in a savepoint does not lose the tenant
                with pytest.raises(asyncpg.UniqueViolationError):
                    async with conn.transaction():
                        await conn.execute(
                            "INSERT INTO do_not_call (company_id, phone_number) VALUES ($1, '+12125550100')",
                            a,
                        )
                assert await conn.fetchval("SELECT count(*) FROM do_not_call") == 1
            # a failed autocommit statement leaves the connection usable, still for A
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "INSERT INTO do_not_call (company_id, phone_number) VALUES ($1, '+12125550999')", b
                )
            assert await conn.fetchval("SELECT voicebot_tenant_id()") == a
        # the settings were transaction-local: the connection went back to the pool as the owner
        async with raw.acquire() as conn:
            assert await conn.fetchval("SELECT current_user") != "voicebot_tenant"
            assert await conn.fetchval("SELECT voicebot_tenant_id()") is None
    assert await pool.fetch(unfiltered) == []  # the scope ended with the block


async def test_set_company_in_a_task_of_a_scope_is_seen_by_that_scope(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    """A dependency that names the company may run in a copy of the request's context (Starlette
    runs parts of a request in tasks of their own): the request's scope still gets the company."""
    raw, a, _ = seeded
    pool = TenantPool(raw)
    from voicebot.storage.tenancy import reset_scope, restore_scope

    token = reset_scope()
    try:

        async def name_the_company() -> None:
            set_company(a)

        await asyncio.create_task(name_the_company())
        assert await pool.fetchval("SELECT count(*) FROM bots") == 1
    finally:
        restore_scope(token)


def _as_login(url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}", path="/" + database))


async def test_migrating_as_a_login_that_cannot_become_the_tenant_says_which_grant_is_missing(
    database_url: str,
) -> None:
    admin = await create_pool(database_url, min_size=1, max_size=1)
    login = f"vb_app_{secrets.token_hex(4)}"
    database = f"vb_rls_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    try:
        await admin.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{password}'")
        await admin.execute(f"CREATE DATABASE {database} OWNER {login}")
        url = _as_login(database_url, login, password, database)
        with pytest.raises(StorageError, match=f"GRANT voicebot_tenant TO {login}"):
            await migrate_url(url)
        await admin.execute(f"GRANT voicebot_tenant TO {login}")
        applied = await migrate_url(url)  # each migration is its own transaction: 0015 and later remain
        assert applied and applied[0].name == "0015_row_level_security"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {login}")
        await admin.close()


async def test_a_sign_in_still_sweeps_every_companys_expired_console_sessions(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    """The sweep is maintenance, not company data: it runs outside the signed-in company's scope."""
    raw, a, _ = seeded
    await raw.execute("UPDATE console_sessions SET expires_at = now() - interval '1 minute'")
    with company_scope(a):
        await ConsoleSessions(TenantPool(raw)).create(a, lifetime=dt.timedelta(hours=1))
    left = await raw.fetch("SELECT company_id FROM console_sessions")
    assert [r[0] for r in left] == [a]  # the new session; B's expired one went too


async def test_a_statement_cancelled_mid_flight_leaves_no_tenant_on_the_connection(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    """A request cut off mid-query (client gone, timeout): the pool's reset rolls the tenant
    transaction back, and the connection serves the next company (or the owner) correctly."""
    raw, a, b = seeded
    pool = TenantPool(raw)
    for _ in range(raw.get_max_size() + 1):
        with company_scope(a), pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.fetch("SELECT pg_sleep(5)"), 0.05)
    with company_scope(b):
        assert await pool.fetchval("SELECT voicebot_tenant_id()") == b
        assert [r[0] for r in await pool.fetch("SELECT company_id FROM bots")] == [b]
    for _ in range(raw.get_max_size()):
        assert await raw.fetchval("SELECT current_user") != "voicebot_tenant"
        assert await raw.fetchval("SELECT count(*) FROM bots") == 2


CALL_LABELLED = ("turns", "state_transitions", "outcomes")  # company_id filled from the call (sql/0015)


async def test_rows_labelled_with_the_calls_company_cannot_be_mislabelled(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    """A tenant cannot put a row on another company's call under its own company; a writer that leaves
    the company out gets the call's."""
    pool, a, b = seeded
    call_b = await pool.fetchval(
        "SELECT c.id FROM calls c JOIN bots b ON b.id = c.bot_id WHERE b.company_id = $1", b
    )
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with conn.transaction():
                await _as_tenant(conn, a)
                await conn.execute(
                    """INSERT INTO turns (call_id, seq, role, text, at, company_id)
                       VALUES ($1, 7, 'caller', 'mine now', now(), $2)""",
                    call_b,
                    a,
                )
        # a writer that does not name the company (finalize, any other owner code) gets the call's
        await conn.execute(
            "INSERT INTO turns (call_id, seq, role, text, at) VALUES ($1, 8, 'bot', 'x', now())", call_b
        )
        assert await conn.fetchval("SELECT company_id FROM turns WHERE call_id = $1 AND seq = 8", call_b) == b


async def test_rows_recorded_before_the_migration_get_their_calls_company(
    empty_database_url: str, tmp_path: Path
) -> None:
    """An existing database: its turns, transitions and outcomes are labelled by migration 0015."""
    before = tmp_path / "sql"
    before.mkdir()
    for m in discover():
        if m.version < 15:
            (before / f"{m.name}.sql").write_text(m.sql)
    pool = await create_pool(empty_database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, before)
            a = await seed(conn, 1)
            b = await seed(conn, 2)
            await migrate(conn)
            for table in CALL_LABELLED:
                labels = await conn.fetch(f"SELECT company_id, count(*) FROM {table} GROUP BY 1 ORDER BY 2")
                assert {r[0] for r in labels} == {a, b}, table
                async with conn.transaction():
                    await _as_tenant(conn, a)
                    assert await conn.fetchval(f"SELECT count(*) FROM {table}") == labels[0][1]
    finally:
        await pool.close()


async def test_the_recorders_batches_are_labelled_with_the_calls_company(
    seeded: tuple[Any, uuid.UUID, uuid.UUID],
) -> None:
    """A call started in the same batch as its turns (the usual first batch of a call) included."""
    pool, a, _ = seeded
    bot = await pool.fetchval("SELECT id FROM bots WHERE company_id = $1", a)
    call = uuid.uuid4()
    refused = await PostgresSink(pool).write(
        [
            CallStarted(call, bot, "inbound", "+12125550123", "+14155550101", None),
            Turn(call, 0, "caller", "hello", state="ask"),
            Transition(call, 0, None, "ask", "start"),
        ]
    )
    assert refused == []
    for table in ("turns", "state_transitions"):
        assert await pool.fetchval(f"SELECT company_id FROM {table} WHERE call_id = $1", call) == a
