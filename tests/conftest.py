"""Shared fixtures: a real PostgreSQL for integration tests, started once per test session.

* ``pg_admin_url`` (session): a server URL with CREATEDB rights: TEST_DATABASE_URL, else DATABASE_URL,
  else a throwaway embedded cluster (durability off) started by voicebot's own embedded-Postgres code.
* ``database_url`` (function): a fresh database with every migration applied, dropped after the test
  (cloned from a migrated template: about 50 ms).
* ``empty_database_url`` (function): a fresh database with no schema at all.
* ``db_pool`` (function, async): a voicebot pool (JSON codecs) on ``database_url``.
* ``private_postgres`` (module): an embedded cluster of the test module's own, which the test may stop
  and start (outage tests); ``.url`` is its URL.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from voicebot.storage import EmbeddedPostgres, create_pool, migrate_url

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep the run's last lines pytest's summary.

    The provider-failure tests leave livekit's own speech tasks holding the exceptions they were made
    to raise; asyncio logs them when they are garbage collected, which would otherwise happen at exit,
    after the summary, as hundreds of lines of traceback. Collect them now, quietly."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    gc.collect()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def _admin(url: str, *statements: str) -> None:
    pool = await create_pool(_with_database(url, "postgres"), min_size=1, max_size=1)
    try:
        for statement in statements:
            await pool.execute(statement)
    finally:
        await pool.close()


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("pg-session"), fast=True)
    try:
        yield cluster.start()
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    name = f"vb_template_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(pg_admin_url, f'CREATE DATABASE "{name}"'))
    asyncio.run(migrate_url(_with_database(pg_admin_url, name)))
    try:
        yield name
    finally:
        asyncio.run(_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fresh_database(admin_url: str, template: str) -> Iterator[str]:
    name = f"vb_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    yield from _fresh_database(pg_admin_url, pg_template)


@pytest.fixture
def empty_database_url(pg_admin_url: str) -> Iterator[str]:
    yield from _fresh_database(pg_admin_url, "template0")


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[Any]:
    pool = await create_pool(database_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class PrivatePostgres:
    cluster: EmbeddedPostgres
    url: str

    def stop(self) -> None:
        self.cluster.stop()

    def start(self) -> None:
        self.url = self.cluster.start()


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    cluster = EmbeddedPostgres(tmp_path_factory.mktemp("pg-private"), fast=True)
    try:
        url = cluster.start()
        asyncio.run(migrate_url(url))
        yield PrivatePostgres(cluster, url)
    finally:
        cluster.destroy()
