"""Filing a complaint from a request: validate, classify, file once, count the client's rate
limit. Shared by the complaint form (routes/complaints.py) and the JSON API (routes/api.py), so
it lives outside both: no route module imports another (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from registry.catalogue.queries import departments as dq
from registry.checker.decide import Question
from registry.checker.lookup import Lookup
from registry.complaints import cases
from registry.complaints.models import ComplaintIn, Receipt
from registry.complaints.queries import complaints as cq
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.infra.settings import Settings
from registry.web import views
from registry.web.client import TooManyRequests, client_address, limit
from registry.web.errors import InvalidInput
from registry.workflow.workdays import Overrides

Req = Request[Any, Any, Any]


async def department_codes(request: Req) -> set[str]:
    """Department codes, kept per worker until the list changes (they change with it)."""
    codes: set[str] | None = request.app.state.get("department_codes")
    if codes is None:
        async with request.app.state.pool.acquire() as conn:
            codes = {d.code for d in await dq.list_departments(conn)}
        request.app.state.department_codes = codes
    return codes


async def deadlines(request: Req, today: dt.date) -> tuple[dt.date, dt.date]:
    """Today's (accept by, reply by), worked out once a day per worker from the office's
    calendar corrections, which are kept until the calendar changes (NOTIFY)."""
    state = request.app.state
    overrides: Overrides | None = state.get("calendar_overrides")
    if overrides is None:
        async with state.pool.acquire() as conn:
            overrides = await cq.calendar_overrides(conn)
        state.calendar_overrides = overrides
        state.deadlines = None  # worked out from the calendar just replaced
    cached: tuple[dt.date, tuple[dt.date, dt.date]] | None = state.get("deadlines")
    if cached is None or cached[0] != today:
        cached = state.deadlines = (today, cases.deadlines(today, overrides))
    return cached[1]


async def submit(request: Req, raw: ComplaintIn, key: str | None) -> tuple[Receipt, bool]:
    """Validate, classify against the list in force on the demand date, file once. A valid
    filing is counted against the client's rate limit in the filing statement itself (an exact
    replay of an earlier filing is answered there, limit or not, and counts nothing); an
    invalid one is counted on its own, so invalid submissions are limited too."""
    settings: Settings = request.app.state.settings
    pool = request.app.state.pool
    result = cases.validate(raw, await department_codes(request), clock.today())
    if isinstance(result, list):
        await limit(request, "file", settings.filing_limit)
        raise InvalidInput(result, status=422)
    # Classified against the list in force on the demand date; on a large list another date is
    # answered by the worker's child process, never by loading that index here.
    question = Question(name=result.certificate_name, matter=result.matter)
    lookup: Lookup = request.app.state.lookup
    verdict = await views.check(pool, lookup, question, result.demanded_on, client_address(request))
    hits, window = settings.filing_limit
    rate = (f"file:{client_address(request)}", hits, window)
    due = await deadlines(request, clock.today())
    async with pool.acquire() as conn:
        try:
            return await cases.file_complaint(
                conn,
                result,
                verdict,
                key=key,
                secret=settings.secret_key,
                rate=rate,
                due=due,
                public_url=settings.public_url,
            )
        except cases.RateLimited as exc:
            raise TooManyRequests(headers={"retry-after": str(exc.retry_after)}) from exc
        except cases.IdempotencyConflict as exc:
            raise InvalidInput(
                [FieldError("Idempotency-Key", "这个幂等键已用于另一份不同的投诉")], status=422
            ) from exc
