"""Real PostgreSQL for every test: one migrated, seeded database; each test rolls back."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from registry.cli import migrate_and_seed
from registry.infra.db import SingleConnectionPool, connect
from registry.infra.embedded_pg import EmbeddedServer
from registry.infra.settings import Settings
from registry.web.app import create_app

# One database per test session, so parallel sessions (developers, helpers) never collide.
TEST_DB = f"registry_test_{os.getpid()}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(listen_for_changes=False, secret_key="test-secret")


@pytest.fixture(scope="session")
def embedded(settings: Settings) -> Iterator[EmbeddedServer | None]:
    """The embedded server (None with TEST_DATABASE_URL), released when the session ends: the
    last process using it stops it."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    from registry.infra import embedded_pg

    server = embedded_pg.ensure_server(settings.home)
    yield server
    embedded_pg.release(server)


@pytest.fixture(scope="session")
def admin_dsn(embedded: EmbeddedServer | None) -> str:
    """Who may create and drop databases: the embedded superuser, or TEST_DATABASE_URL."""
    return embedded.admin_dsn() if embedded else os.environ["TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def server_dsn(embedded: EmbeddedServer | None, admin_dsn: str) -> Iterator[str]:
    """TEST_DATABASE_URL if given (a database we may fill), else the test session's own
    database on the embedded server, as its owner (the role migrations run as)."""
    if embedded is None:
        yield admin_dsn
        return
    yield embedded.owner_dsn(TEST_DB)
    asyncio.run(_drop(admin_dsn, TEST_DB))


async def _drop(admin_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dsn_for(dsn: str, database: str) -> str:
    """The same server and role, another database (the DSN may carry ?host=/socket/dir)."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


@pytest.fixture(scope="session")
def scratch_database(
    admin_dsn: str, server_dsn: str
) -> Callable[..., AbstractAsyncContextManager[str]]:
    """`async with scratch_database("name") as dsn:` a new empty database owned by the tests'
    role (committed work, other connections, migrations from nothing), dropped after."""

    @asynccontextmanager
    async def make(name: str, *, locale: str = "C.UTF-8") -> AsyncIterator[str]:
        name = f"registry_{name}_{os.getpid()}"
        owner = urlsplit(server_dsn).username
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(
                f"CREATE DATABASE {name} {f'OWNER {owner}' if owner else ''} TEMPLATE template0"
                f" ENCODING 'UTF8' LC_COLLATE '{locale}' LC_CTYPE '{locale}'"
            )
            yield dsn_for(server_dsn, name)
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()

    return make


@pytest.fixture(scope="session")
async def database_url(server_dsn: str, admin_dsn: str) -> str:
    if not os.environ.get("TEST_DATABASE_URL"):
        admin = await asyncpg.connect(admin_dsn)
        # Databases of test sessions that died without cleaning up.
        for row in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname ~ '^registry_[a-z_]+_[0-9]+$'"
        ):
            if not _alive(int(row["datname"].rsplit("_", 1)[1])):
                await admin.execute(f"DROP DATABASE IF EXISTS {row['datname']} WITH (FORCE)")
        await admin.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
        await admin.execute(
            f"CREATE DATABASE {TEST_DB} OWNER registry TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
        await admin.close()
    return server_dsn


@pytest.fixture(scope="session")
async def seeded(database_url: str, settings: Settings) -> str:
    """Migrated and seeded exactly as `registry serve` does it."""
    await migrate_and_seed(database_url, settings, seed=True)
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


@pytest.fixture
async def sup(app, conn):  # type: ignore[no-untyped-def]
    """A client logged in as a supervisor ("sup"), beside the anonymous `client`."""
    from tests.staff_helpers import login, make_user

    await make_user(conn, "sup", "supervisor")
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, "sup")).status_code == 303
    yield c
    await c.aclose()
