"""Forward-only migrations: sql/migrations/NNNN_*.sql, one transaction each, checksummed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

FILENAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")
# pg_advisory_lock key for "migrating or seeding this database" (any fixed bigint will do).
LOCK_KEY = 0x7265_6769_7374_7279  # b"registry"


@asynccontextmanager
async def locked(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """Hold the migration lock: concurrent `registry migrate`/`serve` take turns, and the
    second finds the work done. Re-entrant on one connection (PostgreSQL counts it)."""
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


class MigrationError(RuntimeError):
    pass


def migration_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.suffix == ".sql")
    for p in files:
        if not FILENAME.match(p.name):
            raise MigrationError(f"bad migration file name: {p.name}")
    return files


async def apply(conn: asyncpg.Connection, directory: Path) -> list[str]:
    """Apply pending migrations in order; refuse if a landed file was edited."""
    async with locked(conn):
        return await _apply(conn, directory)


async def _apply(conn: asyncpg.Connection, directory: Path) -> list[str]:
    await conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            filename text PRIMARY KEY,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    rows = await conn.fetch("SELECT filename, checksum FROM schema_migrations")
    applied = {r["filename"]: r["checksum"] for r in rows}
    done: list[str] = []
    for path in migration_files(directory):
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if path.name in applied:
            if applied[path.name] != checksum:
                raise MigrationError(f"{path.name} changed after it was applied")
            continue
        try:
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (filename, checksum) VALUES ($1, $2)",
                    path.name,
                    checksum,
                )
        except asyncpg.PostgresError as exc:
            raise MigrationError(f"{path.name} failed: {exc}") from exc
        done.append(path.name)
    return done


async def check_database(conn: asyncpg.Connection) -> None:
    """Fail clearly on a server that cannot search Chinese (design §7)."""
    ctype = await conn.fetchval(
        "SELECT datctype FROM pg_database WHERE datname = current_database()"
    )
    if ctype in ("C", "POSIX"):
        raise MigrationError(
            f"database locale is {ctype}: pg_trgm finds nothing in Chinese text under it. "
            "Create the database with LC_CTYPE 'C.UTF-8' (or another UTF-8 locale)."
        )
    has_trgm = await conn.fetchval(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
    )
    if not has_trgm:
        raise MigrationError(
            "the PostgreSQL server has no pg_trgm extension: install its contrib package"
        )
