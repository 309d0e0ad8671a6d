"""The one migration runner: empty database, second run, edited and broken files."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from registry import migrate
from registry.db import connect

PID = os.getpid()


@pytest.fixture
async def empty_db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"DROP DATABASE IF EXISTS registry_migrations_test_{PID} WITH (FORCE)")
    await admin.execute(
        f"CREATE DATABASE registry_migrations_test_{PID} TEMPLATE template0 ENCODING 'UTF8'"
        " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )
    conn = await connect(database_url.rsplit("/", 1)[0] + f"/registry_migrations_test_{PID}")
    yield conn
    await conn.close()
    await admin.execute(f"DROP DATABASE registry_migrations_test_{PID} WITH (FORCE)")
    await admin.close()


async def test_apply_on_empty_database_then_second_run_is_noop(empty_db, settings):
    files = [p.name for p in migrate.migration_files(settings.migrations_dir)]
    assert await migrate.apply(empty_db, settings.migrations_dir) == files
    assert await migrate.apply(empty_db, settings.migrations_dir) == []
    n = await empty_db.fetchval("SELECT count(*) FROM schema_migrations")
    assert n == len(files)
    await migrate.check_database(empty_db)


async def test_edited_migration_is_refused(empty_db, settings, tmp_path: Path):
    shutil.copytree(settings.migrations_dir, tmp_path, dirs_exist_ok=True)
    await migrate.apply(empty_db, tmp_path)
    first = sorted(tmp_path.iterdir())[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(migrate.MigrationError, match=r"changed after it was applied"):
        await migrate.apply(empty_db, tmp_path)


async def test_failure_stops_and_rolls_back_that_file(empty_db, tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT nope;")
    (tmp_path / "0003_never.sql").write_text("CREATE TABLE c (x int);")
    with pytest.raises(migrate.MigrationError, match=r"0002_bad\.sql"):
        await migrate.apply(empty_db, tmp_path)
    tables = {r[0] for r in await empty_db.fetch("SELECT tablename FROM pg_tables")}
    assert "a" in tables
    assert not tables & {"b", "c"}


async def test_locale_c_database_is_refused(database_url: str):
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"DROP DATABASE IF EXISTS registry_c_locale_{PID} WITH (FORCE)")
    await admin.execute(
        f"CREATE DATABASE registry_c_locale_{PID} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    conn = await connect(database_url.rsplit("/", 1)[0] + f"/registry_c_locale_{PID}")
    try:
        with pytest.raises(migrate.MigrationError, match="locale is C"):
            await migrate.check_database(conn)
    finally:
        await conn.close()
        await admin.execute(f"DROP DATABASE registry_c_locale_{PID} WITH (FORCE)")
        await admin.close()
