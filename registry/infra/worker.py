"""The part of a worker's typed state the layers below the web may read: its settings and pool
(registry.accounts.auth looks up the session through it). The whole state, with the caches, is
registry.web.state.Worker, which extends this; the app carries it as `app.worker`."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar

from registry.infra.db import Pool
from registry.infra.settings import Settings


@dataclass(slots=True, kw_only=True, eq=False)
class WorkerBase:
    settings: Settings
    # Tests pass one rolled-back connection; servers get theirs from the app's lifespan.
    given_pool: Pool | None = None

    @property
    def pool(self) -> Pool:
        if self.given_pool is None:
            raise RuntimeError("no database pool yet: the app's lifespan makes it")
        return self.given_pool


class WorkerApp(Litestar):
    """A Litestar app carrying its worker's state (registry.web.app.Registry is one)."""

    worker: WorkerBase


def base_of(app: Litestar) -> WorkerBase:
    """The state of the app a request runs in (pass `connection.app`)."""
    if not isinstance(app, WorkerApp):
        raise TypeError(f"{type(app).__name__} carries no worker state")
    return app.worker
