"""Embedded PostgreSQL: cold start, reuse, stop, and recovery after a crashed postmaster."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncpg
import pytest

from registry.embedded_pg import EmbeddedServer, ensure_server


async def _probe(dsn: str) -> tuple[str, str, list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        # The lc_ctype setting was removed in PostgreSQL 16; the database row is authoritative.
        lc_ctype = await conn.fetchval(
            "SELECT datctype FROM pg_database WHERE datname = current_database()"
        )
        version = await conn.fetchval("SELECT version()")
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        trgms = await conn.fetchval("SELECT show_trgm('无犯罪记录证明')")
        return lc_ctype, version, list(trgms)
    finally:
        await conn.close()


def _postmaster_alive(server: EmbeddedServer) -> bool:
    pidfile = server.data_dir / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().split()[0]), 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # ensure_server makes the path traversable for its unprivileged user when run as root.
    return tmp_path_factory.mktemp("embedded-pg") / "state"


def test_embedded_server_lifecycle(root: Path) -> None:
    t0 = time.monotonic()
    server = ensure_server(root)
    cold = time.monotonic() - t0
    try:
        assert server.started_here
        assert server.data_dir.name.startswith("pg")
        assert (server.data_dir / "PG_VERSION").exists()
        assert int((root / "port").read_text()) == server.port

        lc_ctype, version, trgms = asyncio.run(_probe(server.dsn()))
        assert lc_ctype == "C.UTF-8"
        assert version.startswith("PostgreSQL")
        assert trgms, "pg_trgm must extract trigrams from Chinese (needs a UTF-8 locale)"

        t0 = time.monotonic()
        again = ensure_server(root)
        reuse = time.monotonic() - t0
        assert not again.started_here
        assert again.port == server.port

        server.stop()
        assert not _postmaster_alive(server)
        server.stop()  # idempotent

        t0 = time.monotonic()
        server = ensure_server(root)
        warm = time.monotonic() - t0
        assert server.started_here
        assert server.port == again.port  # the port file is honoured across restarts

        # Crash: SIGKILL the postmaster, leaving a stale postmaster.pid behind.
        pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        server = ensure_server(root)
        crash = time.monotonic() - t0
        assert server.started_here
        assert asyncio.run(_probe(server.dsn()))[0] == "C.UTF-8"
        print(f"\ncold {cold:.2f}s reuse {reuse:.2f}s warm {warm:.2f}s after-crash {crash:.2f}s")
    finally:
        server.stop()
    assert not _postmaster_alive(server)
