"""Connection pool, per-request connections and row -> Struct helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import asyncpg
import msgspec

T = TypeVar("T")

Connection = asyncpg.Connection


class Pool(Protocol):
    """What the app needs of a pool: tests pass a single rolled-back connection instead."""

    def acquire(self) -> Any: ...


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without the default reset round trip: the app sets no session state (no SET,
    LISTEN, advisory locks or cursors on pooled connections); asyncpg still rolls back an
    open transaction itself."""


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


class SingleConnectionPool:
    """A pool of one connection, used by tests so the app runs inside the test's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._lock:
            yield self.conn


def one(typ: type[T], row: asyncpg.Record | None) -> T | None:
    return None if row is None else msgspec.convert(dict(row), typ)


def many(typ: type[T], rows: Iterable[asyncpg.Record]) -> list[T]:
    return msgspec.convert([dict(r) for r in rows], list[typ])  # type: ignore[valid-type]
