"""Real-browser tests: a real `registry serve` subprocess, driven by Debian's headless Chromium.

Fixtures (session-scoped unless said otherwise):

- `browser_database`: a fresh database `registry_browser_<pid>` on the same PostgreSQL as the
  other tests (`server_dsn` from tests/conftest.py), dropped at the end (and by a later run if
  this one died).
- `live_server`: `python -m registry serve` on a free port against that database (serve migrates
  and seeds an empty database itself); yields the base URL. Its output goes to
  `artifacts/browser-server.log`.
- `browser`: Chromium from `/usr/bin/chromium` through Playwright's ASYNC API, so tests are
  `async def` (`playwright install` cannot work here; the sync API breaks pytest-asyncio, see
  the fixture). No browser: skip locally, FAIL when `CI` is set.
- `phone`, `desktop` (function scope): a page in a fresh context (no cookies shared between
  tests) with `base_url` set, so `await page.goto("/")` works; `page` is parametrized over both.
  Uncaught JS errors and console errors fail the test unless it is marked
  `@pytest.mark.allow_console_errors`.
- `new_page` (session scope): `async with new_page("phone") as opened:` gives `opened.page` in a
  fresh context and `opened.problems` (console/JS errors; nothing fails by itself). For
  fixtures of wider scope, or a second actor in one test (a citizen and a staff member).
- `shot` (function scope), called as `await shot(page, name)`: a full-page PNG in
  `artifacts/screenshots/<viewport>-<name>.png`.
- `staff_accounts`: a supervisor and a department user (县公安局, CY-BM-001) made with the real
  CLI (`python -m registry user add … --password-stdin`) in the live server's database;
  `staff_accounts["supervisor"].username`, `.password`.

The live server runs with filing and tracking limits of 100000 a minute, so journeys and the
API fuzzing never answer each other with 429. The staff login limit (20 per 10 minutes per
address) is the server's own: fuzzing never reaches it, because its POSTs carry no CSRF token.

The server and its database live for the whole session: tests that write (complaints, staff
actions) see each other's data. Use unique values (e.g. a uuid in a complaint text) and do not
assert on global counts that other browser tests could change.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from tests.conftest import _alive

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Per session, like tests/conftest.py's registry_test_<pid>: parallel runs never collide.
BROWSER_DB = f"registry_browser_{os.getpid()}"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    },
    "desktop": {
        "viewport": {"width": 1280, "height": 800},
        "locale": "zh-CN",
    },
}
SERVER_START_TIMEOUT = 60.0
DEFAULT_TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_console_errors: the page may log console errors (e.g. an expected 404)"
    )


# --- database and server --------------------------------------------------------------------


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
async def browser_database(server_dsn: str, admin_dsn: str) -> AsyncIterator[str]:
    owner = urlsplit(server_dsn).username or "registry"
    admin = await asyncpg.connect(admin_dsn)
    try:
        # Databases of earlier sessions that died without cleaning up.
        for row in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname ~ '^registry_browser_[0-9]+$'"
        ):
            if not _alive(int(row["datname"].rsplit("_", 1)[1])):
                await admin.execute(f"DROP DATABASE IF EXISTS {row['datname']} WITH (FORCE)")
        await admin.execute(f"DROP DATABASE IF EXISTS {BROWSER_DB} WITH (FORCE)")
        await admin.execute(
            f"CREATE DATABASE {BROWSER_DB} OWNER {owner} TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    finally:
        await admin.close()
    yield _with_database(server_dsn, BROWSER_DB)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {BROWSER_DB} WITH (FORCE)")
    finally:
        await admin.close()


def _as_app_role(dsn: str) -> str:
    """The embedded server's application role for a database its owner `registry` holds."""
    parts = urlsplit(dsn)
    if parts.username != "registry":
        return dsn  # TEST_DATABASE_URL: one role for everything
    return urlunsplit(parts._replace(netloc=parts.netloc.replace("registry@", "registry_app@", 1)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(browser_database: str) -> Iterator[str]:
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "browser-server.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        # The site as it runs in production: the application role, migrations as the owner.
        "DATABASE_URL": _as_app_role(browser_database),
        "DATABASE_OWNER_URL": browser_database,
        "PYTHONUNBUFFERED": "1",
        "REGISTRY_FILING_LIMIT": "100000/60",
        "REGISTRY_TRACKING_LIMIT": "100000/60",
    }
    env.pop("REGISTRY_ALLOWED_HOSTS", None)
    cmd = [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _answers(base_url + "/"):
                if proc.poll() is not None:
                    pytest.fail(
                        f"`registry serve` exited with {proc.returncode}:\n"
                        + log_path.read_text(errors="replace")[-3000:]
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"`registry serve` did not answer {base_url}/ within "
                        f"{SERVER_START_TIMEOUT:.0f} s; see {log_path}"
                    )
                time.sleep(0.2)
            yield base_url
        finally:
            _stop(proc)


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password: str
    role: str
    department: str | None = None


STAFF_PASSWORD = "browser-tests-" + uuid.uuid4().hex[:12]
POLICE = "CY-BM-001"  # 县公安局


def _add_user(database_url: str, account: StaffAccount) -> None:
    cmd = [sys.executable, "-m", "registry", "user", "add", account.username]
    cmd += ["--role", account.role, "--password-stdin"]
    if account.department:
        cmd += ["--department", account.department]
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        input=account.password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def staff_accounts(live_server: str, browser_database: str) -> dict[str, StaffAccount]:
    """Made through the real CLI after the server has migrated its database (no default ones)."""
    suffix = os.getpid()
    accounts = {
        "supervisor": StaffAccount(f"office{suffix}", STAFF_PASSWORD, "supervisor"),
        "department": StaffAccount(f"police{suffix}", STAFF_PASSWORD, "department", POLICE),
    }
    for account in accounts.values():
        _add_user(browser_database, account)
    return accounts


# --- browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    # The async API on pytest-asyncio's session loop. The sync API cannot be used here: it leaves
    # its own loop marked "running" on the main thread, which breaks every async fixture and
    # test that runs after it (the rest of the suite, since tests/browser is collected first).
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: apt-get install chromium fonts-wqy-microhei"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)
    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield b
        await b.close()


class OpenedPage:
    """A page in its own fresh context, with the JS/console errors it logged."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on(
            "pageerror", lambda exc: self.problems.append(f"uncaught JS error on {page.url}: {exc}")
        )

    def _on_console(self, msg: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico by itself; the site has none, which is no page defect.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            self.problems.append(f"console error on {self.page.url}: {msg.text} {msg.location}")


@asynccontextmanager
async def open_page(browser: Browser, base_url: str, viewport: str) -> AsyncIterator[OpenedPage]:
    context = await browser.new_context(base_url=base_url, **VIEWPORTS[viewport])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield OpenedPage(await context.new_page())
    finally:
        await context.close()


async def _page_fixture(
    browser: Browser, live_server: str, viewport: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    async with open_page(browser, live_server, viewport) as opened:
        yield opened.page
    if opened.problems and not request.node.get_closest_marker("allow_console_errors"):
        pytest.fail("\n".join(opened.problems))


@pytest.fixture
async def phone(
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    async for p in _page_fixture(browser, live_server, "phone", request):
        yield p


@pytest.fixture
async def desktop(
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    async for p in _page_fixture(browser, live_server, "desktop", request):
        yield p


@pytest.fixture(scope="session")
def new_page(
    browser: Browser, live_server: str
) -> Callable[[str], AbstractAsyncContextManager[OpenedPage]]:
    """`async with new_page("phone") as opened:` → `opened.page`, `opened.problems`."""
    return lambda viewport: open_page(browser, live_server, viewport)


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest) -> Page:
    result: Page = request.getfixturevalue(request.param)
    return result


# --- helpers ---------------------------------------------------------------------------------


def viewport_name(page: Page) -> str:
    size = page.viewport_size or {}
    for name, opts in VIEWPORTS.items():
        if opts["viewport"]["width"] == size.get("width"):
            return name
    return f"{size.get('width')}x{size.get('height')}"


async def take_shot(page: Page, name: str) -> Path:
    """Full-page screenshot to artifacts/screenshots/<viewport>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{viewport_name(page)}-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot() -> Callable[[Page, str], Awaitable[Path]]:
    """`await shot(page, name)`: conftest modules are not importable, so the helper is a fixture."""
    return take_shot
