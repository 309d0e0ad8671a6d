"""Errors mapped precisely: only a database that cannot be reached is "try again later" (503);
any other failure, OSErrors included, is a 500 with a traceback in the log."""

from __future__ import annotations

import logging
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import get

from registry.web.app import create_app


class RaisingPool:
    """A pool whose acquire fails with the given exception, as if raised in the handler."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    @asynccontextmanager
    async def acquire(self):
        raise self.exc
        yield  # pragma: no cover


async def _get(app, url: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        return await c.get(url)


def _records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "registry"]


def _app(settings, pool, caplog):
    """The app, with pytest's log capture put back: Litestar's logging setup replaces the
    root logger's handlers when an app is made inside a test."""
    app = create_app(settings, pool=pool)
    logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG, logger="registry")
    return app


@pytest.mark.parametrize(
    "exc",
    [
        FileNotFoundError(2, "No such file or directory", "/srv/registry/missing.csv"),
        PermissionError(13, "Permission denied", "/srv/registry/secret"),
        IsADirectoryError(21, "Is a directory"),
        TimeoutError("a timeout that is not the database's"),
        OSError(28, "No space left on device"),
        asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_other_failures_are_500_not_database_down(settings, caplog, exc):
    app = _app(settings, RaisingPool(exc), caplog)
    r = await _get(app, "/api/v1/summary")
    assert r.status_code == 500, r.text
    assert "retry-after" not in r.headers
    assert r.json()["error"].startswith("服务器内部错误")
    page = await _get(app, "/certificates/retained")
    assert page.status_code == 500 and "暂时不可用" not in page.text
    errors = [rec for rec in _records(caplog) if rec.levelno == logging.ERROR]
    assert len(errors) == 2 and all(rec.exc_info for rec in errors)


async def test_a_file_not_found_in_a_handler_is_a_500(settings, caplog):
    @get("/api/v1/boom", opt={"policy": "public"}, include_in_schema=False)
    async def boom() -> None:
        Path("/nonexistent/registry/file.txt").read_text()

    @get("/boom", opt={"policy": "public"}, include_in_schema=False)
    async def boom_page() -> None:
        raise FileNotFoundError(2, "No such file or directory", "templates/gone.html")

    app = _app(settings, RaisingPool(AssertionError("unused")), caplog)
    app.register(boom)
    app.register(boom_page)
    r = await _get(app, "/api/v1/boom")
    assert r.status_code == 500 and "retry-after" not in r.headers
    assert set(r.json()) == {"status", "error", "errors"}
    page = await _get(app, "/boom")
    assert page.status_code == 500 and "服务器内部错误" in page.text
    records = _records(caplog)
    assert len(records) == 2 and all(rec.exc_info for rec in records)


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.InterfaceError("pool is closing"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_database_connection_failures_are_503(settings, exc):
    app = create_app(settings, pool=RaisingPool(exc))
    r = await _get(app, "/api/v1/summary")
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://registry@127.0.0.1:{_closed_port()}/registry",
        # A Unix socket directory that does not exist: FileNotFoundError, inside asyncpg.
        "postgresql://registry@/registry?host=/nonexistent/registry-socket-dir",
    ],
    ids=["tcp-refused", "unix-socket-missing"],
)
async def test_a_real_pool_that_cannot_connect_is_503_with_one_log_line(settings, caplog, dsn):
    pool = await asyncpg.create_pool(dsn, min_size=0, max_size=1, timeout=5)
    try:
        app = _app(settings, pool, caplog)
        r = await _get(app, "/api/v1/summary")
        assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
        records = _records(caplog)
        assert len(records) == 1 and records[0].levelno == logging.WARNING
        assert records[0].exc_info is None and "Traceback" not in caplog.text
    finally:
        await pool.close()
