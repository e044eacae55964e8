"""The SQL a pool's connections send, each statement with the company of the tenant transaction it
ran in (voicebot.storage.tenancy): what the route walks check, read off the wire (asyncpg's query
logger), not from our own bookkeeping."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

__all__ = ["StatementLog"]


class StatementLog:
    """What the pool's connections sent to Postgres, each statement with the company whose tenant
    transaction it ran in (None: outside any, i.e. as the tables' owner, unrestricted by RLS)."""

    _TENANT = re.compile(
        r"set_config\('role', 'voicebot_tenant', true\), set_config\('voicebot.company_id', '([^']*)'"
    )

    def __init__(self) -> None:
        self.statements: list[tuple[str, str | None]] = []

    def attach(self, conn: Any) -> None:
        tenant: list[str | None] = [None]

        def logged(record: Any) -> None:
            query = " ".join(record.query.split())
            found = self._TENANT.search(query)
            if found:  # "BEGIN; SELECT set_config(...)" or the set_config after a transaction's BEGIN
                tenant[0] = found.group(1)
            elif "SAVEPOINT" in query or query.startswith("BEGIN"):
                pass
            elif query.startswith(("COMMIT", "ROLLBACK")):
                tenant[0] = None
            elif not query.startswith(("SELECT pg_advisory_unlock_all", "RESET ALL")):  # the pool's reset
                self.statements.append((query, tenant[0]))

        conn.add_query_logger(logged)

    @classmethod
    async def on(cls, pool: Any) -> StatementLog:
        """A log attached to every connection of ``pool`` (all acquired at once, so all exist). A
        connection held elsewhere (the live event feed's LISTEN, taken from the pool when the API has
        no database URL of its own) sends no route's statements and is left out."""
        log = cls()
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(pool.get_max_size()):
                try:
                    conn = await stack.enter_async_context(pool.acquire(timeout=1.0))
                except TimeoutError:
                    break
                log.attach(conn)
        return log

    async def settle(self) -> None:
        """Let the logger callbacks of the statements sent so far run (asyncpg calls them soon)."""
        await asyncio.sleep(0)
        await asyncio.sleep(0)
