"""Real PostgreSQL for every test: one migrated, seeded database; each test rolls back."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from registry import migrate
from registry.app import create_app
from registry.cli import load_seed
from registry.db import SingleConnectionPool, connect
from registry.settings import Settings

# One database per test session, so parallel sessions (developers, helpers) never collide.
TEST_DB = f"registry_test_{os.getpid()}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(listen_for_changes=False, secret_key="test-secret")


@pytest.fixture(scope="session")
def server_dsn(settings: Settings) -> Iterator[str]:
    """TEST_DATABASE_URL if given (a database we may fill), else the embedded server."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from registry import embedded_pg

    server = embedded_pg.ensure_server(settings.home)
    yield server.dsn(TEST_DB)
    others = asyncio.run(_drop(server.dsn("registry"), TEST_DB))
    if server.started_here and not others:  # another session may be using the same server
        server.stop()


async def _drop(admin_dsn: str, name: str) -> int:
    """Drop our database; return how many other clients the server still has."""
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    others: int = await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    await admin.close()
    return others


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
async def database_url(server_dsn: str) -> str:
    if not os.environ.get("TEST_DATABASE_URL"):
        admin = await asyncpg.connect(server_dsn.rsplit("/", 1)[0] + "/registry")
        # Databases of test sessions that died without cleaning up.
        for row in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname ~ '^registry_[a-z_]+_[0-9]+$'"
        ):
            if not _alive(int(row["datname"].rsplit("_", 1)[1])):
                await admin.execute(f"DROP DATABASE IF EXISTS {row['datname']} WITH (FORCE)")
        await admin.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
        await admin.execute(
            f"CREATE DATABASE {TEST_DB} TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
        await admin.close()
    return server_dsn


@pytest.fixture(scope="session")
async def seeded(database_url: str, settings: Settings) -> str:
    conn = await connect(database_url)
    await migrate.check_database(conn)
    await migrate.apply(conn, settings.migrations_dir)
    if not await conn.fetchval("SELECT count(*) FROM certificates"):
        await load_seed(conn, settings.seed_dir)
    await conn.close()
    return database_url


@pytest.fixture(scope="session")
async def session_conn(seeded: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(seeded)
    yield conn
    await conn.close()


@pytest.fixture
async def conn(session_conn: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """The test's view of the database: everything it does is rolled back."""
    tr = session_conn.transaction()
    await tr.start()
    try:
        yield session_conn
    finally:
        await tr.rollback()


@pytest.fixture
def app(conn: asyncpg.Connection, settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings, pool=SingleConnectionPool(conn))


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    # httpx's ASGI transport runs the app on the test's own loop, so it can share `conn`.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
