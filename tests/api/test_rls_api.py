"""Row-level security through the running API: a query that forgets its company filter, or a route
that asks for the wrong company, still gets nothing of another company's, because the API's
statements run as ``voicebot_tenant`` for the request's company (voicebot.storage.tenancy).

The control case runs the same buggy code with the tenant wrapper off (``rls=False``): there it leaks,
so what stops it under RLS is Postgres, not the code.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from tests.api.conftest import Api
from voicebot.api.auth import CurrentCompany
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.storage.repositories.call_history import CallDetail, CallHistory
from voicebot.storage.tenancy import TenantPool, system_scope


def _add_probe(app: FastAPI, pool: TenantPool) -> None:
    """Two routes with the bug RLS is for: an unfiltered SELECT of a whole table."""

    @app.get("/v1/probe/{table}")
    async def probe(table: str, company: CurrentCompany) -> list[str]:
        return [r[0] for r in await pool.fetch(f'SELECT ctid::text FROM "{table}"')]

    @app.get("/v1/probe-anonymous/{table}")
    async def probe_anonymous(table: str) -> list[str]:  # no authentication: no company
        return [r[0] for r in await pool.fetch(f'SELECT ctid::text FROM "{table}"')]


async def _company_tables(pool: Any) -> list[str]:
    rows = await pool.fetch(
        """SELECT relname FROM pg_class
           WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relrowsecurity
           ORDER BY 1"""
    )
    return [r[0] for r in rows]


async def test_an_unfiltered_query_in_a_request_sees_only_the_callers_company(api: Api) -> None:
    _add_probe(api.app, TenantPool(api.pool))
    tables = await _company_tables(api.pool)
    assert len(tables) >= 30
    populated = 0
    for table in tables:
        every = {r[0] for r in await api.pool.fetch(f'SELECT ctid::text FROM "{table}"')}
        seen_a = set((await api.client.get(f"/v1/probe/{table}", headers=api.a.headers)).json())
        seen_b = set((await api.client.get(f"/v1/probe/{table}", headers=api.b.headers)).json())
        anonymous = await api.client.get(f"/v1/probe-anonymous/{table}")
        assert anonymous.status_code == 200 and anonymous.json() == [], table
        assert not seen_a & seen_b, f"{table}: a row served to both companies"
        assert seen_a | seen_b == every, f"{table}: rows served to neither owner"
        populated += bool(seen_a and seen_b)
    assert populated >= 15  # the fixture's two tenants have rows in most tables


class WrongCompanyCalls(CallHistory):
    """The bug RLS guards against: the call's detail is read for the call's own company instead of
    the caller's (as a route that took the company from the wrong place would)."""

    async def get(self, company_id: uuid.UUID, call_id: uuid.UUID) -> CallDetail:
        with system_scope():
            owner = await self._pool.fetchval(
                "SELECT b.company_id FROM calls c JOIN bots b ON b.id = c.bot_id WHERE c.id = $1", call_id
            )
        return await super().get(owner or company_id, call_id)


async def test_a_route_asking_for_the_wrong_company_gets_nothing(
    db_pool: Any, tmp_path: Any, make_api: Callable[..., Any]
) -> None:
    def services(rls: bool) -> Any:
        built, _ = api_services_on(db_pool, Settings(data_dir=tmp_path), rls=rls)
        return dataclasses.replace(built, calls=WrongCompanyCalls(TenantPool(db_pool) if rls else db_pool))

    async with make_api(services=services(True)) as api:
        for rls, expected in ((True, 404), (False, 200)):
            api.app.state.services = services(rls)
            own = await api.client.get(f"/v1/calls/{api.a.call_id}", headers=api.a.headers)
            assert own.status_code == 200
            foreign = await api.client.get(f"/v1/calls/{api.b.call_id}", headers=api.a.headers)
            assert foreign.status_code == expected, (rls, foreign.text)
            if rls:
                assert foreign.json() == {"detail": f"no call with id {api.b.call_id}"}


async def test_the_api_runs_its_statements_as_the_tenant(api: Api) -> None:
    pool = TenantPool(api.pool)

    @api.app.get("/v1/whoami")
    async def whoami(company: CurrentCompany) -> dict[str, str]:
        row = await pool.fetchrow("SELECT current_user, voicebot_tenant_id()::text")
        return {"user": row[0], "company": row[1]}

    answer = (await api.client.get("/v1/whoami", headers=api.a.headers)).json()
    assert answer == {"user": "voicebot_tenant", "company": str(api.a.company_id)}
    answer = (await api.client.get("/v1/whoami", headers=api.b.headers)).json()
    assert answer == {"user": "voicebot_tenant", "company": str(api.b.company_id)}
