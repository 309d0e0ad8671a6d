"""The yardstick the complaints issue names: a plain Litestar handler doing one INSERT.

Served as `bench.plain_insert:app_from_env` (factory) with the same uvicorn settings as the
registry. It takes the same JSON body on the same path, decodes it, and inserts one row into
the scratch table bench_t that bench/complaints.py creates for pgbench.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, post
from litestar.datastructures import State


@post("/api/v1/complaints", status_code=201)
async def insert(data: dict[str, Any], state: State) -> dict[str, int]:
    async with state.pool.acquire() as conn:
        row_id = await conn.fetchval(
            "INSERT INTO bench_t (v) VALUES ($1) RETURNING id", len(data.get("description", ""))
        )
    return {"id": row_id}


def app_from_env() -> Litestar:
    dsn = os.environ["DATABASE_URL"]
    pool_max = int(os.environ.get("REGISTRY_POOL_MAX", "50"))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_max)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[insert], lifespan=[lifespan])
