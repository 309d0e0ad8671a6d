"""create_app(settings) -> Litestar: routers, lifespan, templates, error handlers, headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import asyncpg
from litestar import Litestar, Router
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from registry.accounts import auth, housekeeping
from registry.checker.lookup import Lookup
from registry.infra import outbox, tasks
from registry.infra.db import Pool, create_pool
from registry.infra.listen import listen_for_changes
from registry.infra.settings import PROJECT_ROOT, Settings
from registry.infra.worker import WorkerApp
from registry.verification import sweep as overdue
from registry.web import errors, invalidation, notices
from registry.web.door import (
    CHECK_PATH,
    LONG_QUERY,
    AnswerDoor,
    HostGate,
    PageDoor,
    forget_parsed_queries,
)
from registry.web.inputguard import InputGuard
from registry.web.rendering import add_security_headers, make_environment
from registry.web.routes import api, api_commitments, api_verification
from registry.web.routes.public import (
    commitments,
    complaints,
    display,
    language,
    pages,
    paper,
    tracking,
    transparency,
)
from registry.web.routes.staff import admin, calendar, office, tokens, vocabulary, workspace
from registry.web.routes.staff import commitments as staff_commitments
from registry.web.routes.staff import verification as verification_pages
from registry.web.state import Worker

MAX_BODY = 1024 * 1024  # the largest legitimate body is a list import (XLSX)


def create_app(settings: Settings, *, pool: Pool | None = None) -> Registry:
    """Tests pass a pool (one rolled-back connection); servers let the lifespan make one."""
    worker = Worker(
        settings=settings,
        given_pool=pool,
        jinja=make_environment(settings.templates_dir),
        lookup=Lookup(settings.database_url if pool is None else None),
    )
    worker.jinja.globals["list_notice"] = worker.list_notice  # base.html's notice

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """The pool and the supervised background tasks: each logs its failures and starts
        again with back-off (registry.infra.tasks), so none can die unseen."""
        own_pool = None
        running: list[asyncio.Task[None]] = []
        if worker.given_pool is None:
            if not settings.database_url:
                raise RuntimeError("DATABASE_URL is not set (the CLI sets it for serve)")
            own_pool = shared = await create_pool(
                settings.database_url, settings.pool_min, settings.pool_max
            )
            worker.given_pool = own_pool
            if settings.listen_for_changes:
                # A channel per concern, each dropping only what depends on it (invalidation.py).
                listener = listen_for_changes(
                    settings.database_url,
                    invalidation.handlers(worker),
                    partial(invalidation.everything_changed, worker),
                )
                running.append(asyncio.create_task(listener, name="list listener"))
            if settings.send_outbox:
                transport = outbox.transport_for(settings.smtp_url, settings.home)
                send = partial(outbox.run, shared, transport, render=notices.render_outbox)
                running.append(tasks.spawn("outbox sender", send))
            if interval := settings.housekeeping_interval:
                sweep = partial(
                    housekeeping.sweep_pool, shared, settings, steps=(overdue.mark_overdue,)
                )
                rounds = partial(
                    tasks.every, interval, sweep, limit=housekeeping.ROUND_LIMIT, first=60
                )
                running.append(tasks.spawn("housekeeping", rounds))
            # Pages outside the page cache read the official-list flag without waiting: know
            # it from the start (a database still starting leaves the notice on, never off).
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await worker.list_official()
        try:
            yield
        finally:
            await tasks.stop(running)
            if own_pool:
                await own_pool.close()

    app = Registry(
        route_handlers=[
            pages.router,
            paper.router,
            display.router,
            language.router,
            api.router,
            api_verification.router,
            api_commitments.router,
            complaints.router,
            tracking.router,
            workspace.router,
            admin.router,
            office.router,
            tokens.router,
            verification_pages.router,
            calendar.router,
            transparency.router,
            commitments.router,
            staff_commitments.router,
            vocabulary.thesaurus_router,
            vocabulary.licences_router,
            api.docs,
            create_static_files_router(
                path="/static",
                directories=[PROJECT_ROOT / "static"],
                include_in_schema=False,
                opt={"exclude_from_csrf": True, "policy": "public"},
            ),
        ],
        lifespan=[lifespan],
        before_send=[add_security_headers],
        middleware=middleware(settings),
        csrf_config=CSRFConfig(
            secret=settings.secret_key or "tests-only",
            cookie_httponly=True,
            cookie_samesite="strict",
            cookie_secure=settings.secure_cookies,
            cookie_path="/",
        ),
        request_max_body_size=MAX_BODY,
        exception_handlers={HTTPException: errors.handle, Exception: errors.handle},
        openapi_config=OpenAPIConfig(
            title="长垣县证明事项清单 API",
            version="1.0.0",
            # Departments' systems on /api/v1/verifications (registry/accounts/tokens.py).
            components=Components(
                security_schemes={"departmentToken": SecurityScheme(type="http", scheme="bearer")}
            ),
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            openapi_router=Router(
                path="/schema",
                include_in_schema=False,
                route_handlers=[],
                opt={"exclude_from_csrf": True, "policy": "public"},
            ),
        ),
        debug=settings.debug,
    )
    app.worker = worker
    auth.check_policies(app)
    app.door, app.page_door = doors(app, worker)
    return app


def middleware(settings: Settings) -> list[Any]:
    """The host check first; then NUL and control characters refused at one boundary.
    AnswerDoor and PageDoor apply both rules themselves before routing: a middleware added
    here must be applied there too (tests/test_cache.py holds this list)."""
    hosts = [DefineMiddleware(HostGate, config=_hosts(settings))] if settings.allowed_hosts else []
    return [*hosts, InputGuard]


def doors(app: Litestar, worker: Worker) -> tuple[AnswerDoor, PageDoor]:
    settings = worker.settings
    hosts = HostGate(app=_unused, config=_hosts(settings)) if settings.allowed_hosts else None
    return AnswerDoor(app, worker, hosts), PageDoor(app, worker, hosts)


def _hosts(settings: Settings) -> AllowedHostsConfig:
    """Litestar's allowed-hosts check as the app's first middleware, not its `allowed_hosts=`
    option: that one runs inside each route, after any app middleware, and answers a bare
    {"message": ...}."""
    return AllowedHostsConfig(allowed_hosts=settings.allowed_hosts)


async def _unused(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the door's HostGate only tests hosts")


class Registry(WorkerApp):
    """Litestar carrying its worker's typed state (`worker`), plus three things at the door.

    - HEAD is answered as GET without the body (link checkers and monitors use it; Litestar
      would answer 405 for every page).
    - A repeat question to /api/v1/check is answered by registry.web.door.AnswerDoor before
      routing, after the same host and input checks the middleware makes: the one hot path;
      a public page already served is served again by registry.web.door.PageDoor alike.
    - Litestar memoizes parsed query strings; after a long one those memos are emptied.
    """

    worker: Worker
    door: AnswerDoor | None = None
    page_door: PageDoor | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["method"] == "HEAD":
                scope = {**scope, "method": "GET"}
                send = _headers_only(send)
            door = self.door
            if scope["path"] == CHECK_PATH:
                if door and await door.answer(scope, send):
                    return
            elif self.page_door and await self.page_door.answer(scope, send):
                return
            if len(scope["query_string"]) > LONG_QUERY:
                try:
                    await super().__call__(scope, receive, send)
                finally:
                    forget_parsed_queries()
                return
        await super().__call__(scope, receive, send)


def _headers_only(send: Any) -> Any:
    """Pass the response start (with its content-length) on; send the body as empty."""

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return wrapped


def app_from_env() -> Litestar:
    """Entry point for uvicorn workers: `registry.web.app:app_from_env` with factory=True."""
    return create_app(Settings.from_env())
