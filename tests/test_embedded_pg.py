"""Embedded PostgreSQL: cold start, reuse, stop, and recovery after a crashed postmaster."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from registry.infra.embedded_pg import EmbeddedServer, ensure_server


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

        lc_ctype, version, trgms = asyncio.run(_probe(server.owner_dsn()))
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
        assert asyncio.run(_probe(server.owner_dsn()))[0] == "C.UTF-8"
        print(f"\ncold {cold:.2f}s reuse {reuse:.2f}s warm {warm:.2f}s after-crash {crash:.2f}s")
    finally:
        server.stop()
    assert not _postmaster_alive(server)


def _as_nobody(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "nobody", "--", *cmd], capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another local user needs root")
def test_another_local_user_cannot_reach_the_database(embedded: EmbeddedServer | None) -> None:
    """H1: no TCP listener, and the socket's directory admits only the server's own user."""
    if embedded is None:
        pytest.skip("an external TEST_DATABASE_URL is the operator's to secure")
    assert _as_nobody("test", "-x", str(embedded.bin_dir / "psql")).returncode == 0
    for role in ("postgres", "registry", "registry_app"):
        r = _as_nobody(
            str(embedded.bin_dir / "psql"), "-X", "-h", str(embedded.socket_dir),
            "-p", str(embedded.port), "-U", role, "-d", "registry", "-Atc",
            "SELECT count(*) FROM complaint_contacts",
        )  # fmt: skip
        assert r.returncode != 0 and "ermission denied" in r.stderr, (role, r.stdout, r.stderr)
        tcp = _as_nobody(
            str(embedded.bin_dir / "psql"), "-X", "-h", "127.0.0.1", "-p", str(embedded.port),
            "-U", role, "-d", "registry", "-Atc", "SELECT 1",
        )  # fmt: skip
        assert tcp.returncode != 0 and "refused" in tcp.stderr, (role, tcp.stderr)
    assert stat.S_IMODE(embedded.socket_dir.stat().st_mode) == 0o700


APP_ROLE_REFUSED = [
    ("COPY (SELECT 1) TO PROGRAM 'id'", "pg_execute_server_program"),
    ("CREATE ROLE intruder LOGIN SUPERUSER", "permission denied"),
    ("ALTER TABLE audit_log DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_log_append_only ON audit_log", "must be owner"),
    ("UPDATE audit_log SET actor = 'x'", "permission denied"),
    ("DELETE FROM complaint_events", "permission denied"),
    ("TRUNCATE complaints CASCADE", "permission denied"),
    ("CREATE TABLE stash (x int)", "permission denied"),
    ("ALTER ROLE registry_app SUPERUSER", "permission denied"),
]


@pytest.mark.parametrize(("sql", "error"), APP_ROLE_REFUSED)
async def test_application_role_has_rows_only(
    embedded: EmbeddedServer | None, seeded: str, sql: str, error: str
) -> None:
    """H1: what the site logs in as cannot run programs, make roles or switch off the audit."""
    if embedded is None:
        pytest.skip("the application role is the embedded server's")
    conn = await asyncpg.connect(seeded.replace("registry@", "registry_app@", 1))
    try:
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert await conn.fetchval("SELECT count(*) FROM certificates") > 0  # it can work
        with pytest.raises(asyncpg.PostgresError, match=error):
            await conn.execute(sql)
    finally:
        await conn.close()


async def test_application_role_gets_tables_of_later_migrations(
    embedded: EmbeddedServer | None, seeded: str
) -> None:
    """Default privileges: every table, including later migrations', is granted to the app."""
    if embedded is None:
        pytest.skip("the application role is the embedded server's")
    conn = await asyncpg.connect(seeded)
    try:
        missing = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND NOT has_table_privilege('registry_app', c.oid, 'SELECT')"
        )
        assert [r[0] for r in missing] == []
    finally:
        await conn.close()


def test_concurrent_commands_share_one_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Three `registry migrate` at once on a fresh home all succeed; none stops the server
    another is using, and the last to leave stops it."""
    home = tmp_path_factory.mktemp("concurrent") / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    env["REGISTRY_HOME"] = str(home)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "registry", "migrate"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert sum("applied 0001_registry.sql" in out for out in outputs) == 1
    pidfiles = list(home.glob("pg*/postmaster.pid"))
    assert pidfiles == [], "the last command out stops the server"
