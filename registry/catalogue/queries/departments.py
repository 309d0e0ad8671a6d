"""SQL for departments (county bureaus and the towns and streets)."""

from __future__ import annotations

import asyncpg

from registry.catalogue.models import Department
from registry.infra.db import many, one


async def list_departments(conn: asyncpg.Connection) -> list[Department]:
    rows = await conn.fetch(
        "SELECT code, name, kind FROM departments ORDER BY kind = 'county' DESC, code"
    )
    return many(Department, rows)


async def get_department(conn: asyncpg.Connection, code_or_name: str) -> Department | None:
    row = await conn.fetchrow(
        "SELECT code, name, kind FROM departments WHERE code = $1 OR name = $1", code_or_name
    )
    return one(Department, row)


async def upsert_department(conn: asyncpg.Connection, dep: Department) -> bool:
    """Insert or update; True when something changed."""
    status = await conn.execute(
        """
        INSERT INTO departments (code, name, kind) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind
        WHERE (departments.name, departments.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind)
        """,
        dep.code,
        dep.name,
        dep.kind,
    )
    return bool(status.endswith(" 1"))
