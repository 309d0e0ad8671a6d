"""Filing a complaint from a request: validate, classify, file once, count the client's rate
limit. Shared by the complaint form (routes/complaints.py) and the JSON API (routes/api.py), so
it lives outside both: no route module imports another (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from registry.catalogue.queries import departments as dq
from registry.checker.decide import Question
from registry.complaints import cases
from registry.complaints.models import ComplaintIn, Receipt
from registry.complaints.queries import complaints as cq
from registry.infra import clock
from registry.infra.errorshape import FieldError
from registry.web import views
from registry.web.client import TooManyRequests, client_address, limit
from registry.web.errors import InvalidInput
from registry.web.state import worker

Req = Request[Any, Any, Any]


async def department_codes(request: Req) -> set[str]:
    """Department codes, kept per worker until the departments change (NOTIFY)."""
    kept = worker(request)
    codes = kept.department_codes
    if codes is None:
        async with kept.pool.acquire() as conn:
            codes = kept.department_codes = {d.code for d in await dq.list_departments(conn)}
    return codes


async def deadlines(request: Req, today: dt.date) -> tuple[dt.date, dt.date]:
    """Today's (accept by, reply by), worked out once a day per worker from the office's
    calendar corrections, which are kept until the calendar changes (NOTIFY)."""
    kept = worker(request)
    overrides = kept.calendar
    if overrides is None:
        async with kept.pool.acquire() as conn:
            overrides = await cq.calendar_overrides(conn)
        kept.calendar, kept.deadlines = overrides, None  # those were from the calendar before
    cached = kept.deadlines
    if cached is None or cached[0] != today:
        cached = kept.deadlines = (today, cases.deadlines(today, overrides))
    return cached[1]


async def submit(request: Req, raw: ComplaintIn, key: str | None) -> tuple[Receipt, bool]:
    """Validate, classify against the list in force on the demand date, file once. A valid
    filing is counted against the client's rate limit in the filing statement itself (an exact
    replay of an earlier filing is answered there, limit or not, and counts nothing); an
    invalid one is counted on its own, so invalid submissions are limited too."""
    settings = worker(request).settings
    pool = worker(request).pool
    result = cases.validate(raw, await department_codes(request), clock.today())
    if isinstance(result, list):
        await limit(request, "file", settings.filing_limit)
        raise InvalidInput(result, status=422)
    # Classified against the list in force on the demand date; on a large list another date is
    # answered by the worker's child process, never by loading that index here.
    question = Question(name=result.certificate_name, matter=result.matter)
    lookup = worker(request).lookup
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
