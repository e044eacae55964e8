"""Which company the current database work is for, and a pool that makes Postgres enforce it.

Row-level security (sql/0015_row_level_security.sql) restricts the role ``voicebot_tenant`` to the rows
of the company in the transaction setting ``voicebot.company_id``. :class:`TenantPool` wraps an asyncpg
pool so that every statement runs in a transaction that first sets both, for the company of the
current scope:

    pool = TenantPool(raw_pool)
    with system_scope():                  # before the company is known (API key, console session)
        company = await Companies(pool).authenticate(key)
    set_company(company.id)               # from here on Postgres refuses rows of other companies
    await CallHistory(pool).list(company.id, ...)

The scope is a context variable: each request (``voicebot.api.scope``) starts with an empty one, and
tasks started from a request inherit it. With no company and no system scope the statements still run
as ``voicebot_tenant``, with no company: they see no rows (failing closed). Only the system scope runs
statements as the login itself (the tables' owner, to which RLS does not apply).

Statements outside a transaction are wrapped one by one (``BEGIN`` plus both settings in one round
trip, the statement, ``COMMIT``). Inside ``conn.transaction()`` the settings are made once, after the
outermost ``BEGIN``; nested transactions are savepoints as usual. Both settings are transaction-local,
so nothing outlives the transaction: a connection returns to the pool as it was taken (and this works
behind PgBouncer in transaction mode).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TENANT_ROLE",
    "TenantPool",
    "company_scope",
    "current_company",
    "reset_scope",
    "restore_scope",
    "set_company",
    "system_scope",
]

TENANT_ROLE = "voicebot_tenant"


@dataclass
class _Scope:
    company_id: uuid.UUID | None = None
    system: bool = False


# Mutable holder: set_company() inside a dependency changes the request's scope even when the
# dependency ran in a copy of the context (Starlette runs parts of a request in their own tasks).
_scope: ContextVar[_Scope | None] = ContextVar("voicebot_tenant_scope", default=None)


def current_company() -> uuid.UUID | None:
    scope = _scope.get()
    return scope.company_id if scope else None


def set_company(company_id: uuid.UUID) -> None:
    """Database work of the current scope (e.g. the request) is for ``company_id`` from now on."""
    if not isinstance(company_id, uuid.UUID):
        raise TypeError(f"company_id must be a UUID, not {type(company_id).__name__}")
    scope = _scope.get()
    if scope is None or scope.system:
        _scope.set(_Scope(company_id=company_id))
    else:
        scope.company_id = company_id


def reset_scope() -> Token[_Scope | None]:
    """Start an empty scope (no company: nothing visible); pass the token to :func:`restore_scope`."""
    return _scope.set(_Scope())


def restore_scope(token: Token[_Scope | None]) -> None:
    _scope.reset(token)


@contextmanager
def company_scope(company_id: uuid.UUID) -> Iterator[None]:
    """A block whose database work is for ``company_id`` (tests, jobs done on a company's behalf)."""
    token = _scope.set(_Scope(company_id=company_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def system_scope() -> Iterator[None]:
    """A block whose database work is not restricted to a company: only the lookups that find out
    which company a request is for (an API key, a console session) belong here."""
    token = _scope.set(_Scope(system=True))
    try:
        yield
    finally:
        _scope.reset(token)


def _settings_sql() -> str | None:
    """The statement that makes the current transaction a tenant's, or None in the system scope."""
    scope = _scope.get()
    if scope is not None and scope.system:
        return None
    company = str(scope.company_id) if scope is not None and scope.company_id is not None else ""
    # a UUID's text form needs no quoting; the literal keeps it to one simple-protocol round trip
    return (
        f"SELECT set_config('role', '{TENANT_ROLE}', true), "
        f"set_config('voicebot.company_id', '{company}', true)"
    )


# run through the tenant wrapper too when reached by attribute (COPY into a table with RLS is refused
# by Postgres for the tenant: repositories COPY into a temporary table and INSERT ... SELECT from it)
_ALSO_WRAPPED = frozenset({"copy_records_to_table", "copy_to_table", "copy_from_table", "copy_from_query"})


class _Statements:
    """asyncpg's statement methods, each sent through ``_run`` (the tenant transaction around it)."""

    async def _run(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("execute", args, kwargs)

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("executemany", args, kwargs)

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetch", args, kwargs)

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchrow", args, kwargs)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchval", args, kwargs)


class TenantConnection(_Statements):
    """An acquired connection whose statements run as the scope's tenant (see the module docstring)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @property
    def raw(self) -> Any:
        return self._conn

    async def _run(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        conn = self._conn
        settings = _settings_sql()
        if settings is None or conn.is_in_transaction():
            # in a transaction this wrapper opened, the settings are made; the system scope needs none
            return await getattr(conn, method)(*args, **kwargs)
        await conn.execute("BEGIN; " + settings)
        try:
            result = await getattr(conn, method)(*args, **kwargs)
        except Exception:
            # the caller may go on using this connection (e.g. after a unique violation); on a
            # cancellation the pool's reset on release rolls back instead
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        return result

    async def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchmany", args, kwargs)

    def transaction(self, **kwargs: Any) -> _TenantTransaction:
        return _TenantTransaction(self._conn, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in _ALSO_WRAPPED:

            async def wrapped(*args: Any, **kwargs: Any) -> Any:
                return await self._run(name, args, kwargs)

            return wrapped
        return getattr(self._conn, name)


class _TenantTransaction:
    """``conn.transaction()`` whose outermost ``BEGIN`` is followed by the tenant settings."""

    def __init__(self, conn: Any, kwargs: dict[str, Any]) -> None:
        self._conn = conn
        self._tx = conn.transaction(**kwargs)

    async def start(self) -> None:
        outermost = not self._conn.is_in_transaction()
        await self._tx.start()
        settings = _settings_sql()
        if outermost and settings is not None:
            try:
                await self._conn.execute(settings)
            except BaseException:
                await self._tx.rollback()
                raise

    async def commit(self) -> None:
        await self._tx.commit()

    async def rollback(self) -> None:
        await self._tx.rollback()

    async def __aenter__(self) -> _TenantTransaction:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._tx.__aexit__(*exc)


class TenantPool(_Statements):
    """An asyncpg pool whose statements run under row-level security for the scope's company.

    It offers what the repositories use of a pool (``execute``, ``fetch``, ``fetchrow``, ``fetchval``,
    ``executemany``, ``acquire``); anything else is the wrapped pool's."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @property
    def raw(self) -> Any:
        """The wrapped pool (its statements are not restricted)."""
        return self._pool

    @asynccontextmanager
    async def acquire(self, *, timeout: float | None = None) -> AsyncIterator[TenantConnection]:
        async with self._pool.acquire(timeout=timeout) as conn:
            yield TenantConnection(conn)

    async def _run(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async with self._pool.acquire() as conn:
            return await TenantConnection(conn)._run(method, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)
