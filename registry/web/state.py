"""What a worker keeps, as one typed object (issue 13): made once by create_app, carried as
`app.worker`, reached through `worker(request)` or `worker(app)`.

Everything in it is derived from the database and dropped by the NOTIFY channel of the concern
it depends on (registry.web.invalidation). Here, in the web layer, because it holds the
checker's Lookup and the page cache; the layers below read only its WorkerBase part."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from litestar import Litestar
from litestar.connection import ASGIConnection

from registry.catalogue.models import Department
from registry.catalogue.public_record import ListRecord
from registry.checker.lookup import Lookup
from registry.infra.worker import WorkerBase, base_of
from registry.web.pagecache import PageCache
from registry.workflow.workdays import Overrides


@dataclass(slots=True, kw_only=True, eq=False)
class Worker(WorkerBase):
    jinja: Environment
    lookup: Lookup  # checker indexes and encoded answers: the list and its vocabulary
    pages: PageCache = field(default_factory=PageCache)  # everything a public page shows
    record: ListRecord = field(default_factory=ListRecord)  # official list or reconstruction
    # The verdict page's and the complaint form's department list, and the codes filing
    # accepts (views.departments, filing.department_codes fill them).
    departments: list[Department] | None = None
    department_codes: set[str] | None = None
    # The office's calendar corrections, and (today, its deadlines) worked out from them
    # (filing.deadlines fills both).
    calendar: Overrides | None = None
    deadlines: tuple[dt.date, tuple[dt.date, dt.date]] | None = None

    def forget_departments(self) -> None:
        self.departments = self.department_codes = None

    def forget_calendar(self) -> None:
        self.calendar = self.deadlines = None

    async def list_official(self) -> bool:
        """True when the office has loaded the county's official list (read once per page
        cache generation)."""
        return await self.record.ensure(self.pool, self.pages.generation)

    def list_notice(self) -> bool:
        """For base.html, which cannot wait: whether to show the reconstruction notice."""
        pool = self.given_pool
        return pool is None or self.record.notice(pool, self.pages.generation)


def worker(of: ASGIConnection[Any, Any, Any, Any] | Litestar) -> Worker:
    """The state of a request's app (or of an app)."""
    kept = base_of(of if isinstance(of, Litestar) else of.app)
    if not isinstance(kept, Worker):
        raise TypeError(f"{type(kept).__name__} is not the web layer's Worker")
    return kept
