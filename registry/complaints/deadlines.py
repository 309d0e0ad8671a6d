"""The office's calendar and the deadlines counted on it: reading a year's holiday notice,
loading it, and recounting every running deadline (audited; the complainant told of a move)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import asyncpg

from registry.complaints.models import ACCEPT_DAYS, REPLY_DAYS
from registry.complaints.queries import complaints as cq
from registry.infra import audit, clock, outbox
from registry.workflow.queries import deadlines as q
from registry.workflow.workdays import add_workdays

_SEP = re.compile(r"[\s,，、;；]+")
_RANGE = re.compile(r"(?P<a>[\d./-]+)\s*(?:~|～|至|到|—|–)\s*(?P<b>[\d./-]+)")


def parse_days(text: str, year: int) -> tuple[list[dt.date], list[str]]:
    """Dates as a notice lists them: 2027-02-05, 2-5 or 02/05, and ranges 2-5~2-11 or 2月5日至11日
    written as 2-5至2-11. Returns (days, the pieces that are not dates)."""
    days: list[dt.date] = []
    bad: list[str] = []
    text = _RANGE.sub(lambda m: f"{m['a']}~{m['b']}", text.replace("月", "-").replace("日", ""))
    for piece in filter(None, _SEP.split(text)):
        ends = [_day(p, year) for p in piece.split("~")]
        if None in ends or len(ends) > 2:
            bad.append(piece)
            continue
        first, last = ends[0], ends[-1]
        assert first is not None and last is not None
        if last < first or (last - first).days > 31:
            bad.append(piece)
            continue
        days += [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return days, bad


def _day(text: str, year: int) -> dt.date | None:
    parts = [p for p in re.split(r"[./-]", text) if p]
    try:
        if len(parts) == 3 and int(parts[0]) == year:
            return dt.date(year, int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            return dt.date(year, int(parts[0]), int(parts[1]))
    except ValueError:
        return None
    return None


def notice_days(year: int, holidays: list[dt.date], workdays: list[dt.date]) -> dict[dt.date, bool]:
    """Every day of the year as the notice has it: its holidays, its 调休 working weekend days,
    and otherwise Monday to Friday."""
    rest, work = set(holidays), set(workdays)
    day, days = dt.date(year, 1, 1), {}
    while day.year == year:
        days[day] = day in work or (day.weekday() < 5 and day not in rest)
        day += dt.timedelta(days=1)
    return days


async def load_notice(
    conn: asyncpg.Connection,
    *,
    year: int,
    notice: str,
    holidays: list[dt.date],
    workdays: list[dt.date],
    actor: str,
    public_url: str = "",
) -> list[str]:
    """Load a year's official notice and recount running deadlines; references that moved."""
    async with conn.transaction():
        before = await q.replace_year(
            conn, year, notice_days(year, holidays, workdays), notice, actor
        )
        await audit.record(
            conn,
            actor=actor,
            action="calendar.load_year",
            entity="calendar",
            entity_id=str(year),
            before=dict(before) if before else None,
            after={
                "notice": notice,
                "holidays": [d.isoformat() for d in sorted(holidays)],
                "workdays": [d.isoformat() for d in sorted(workdays)],
            },
        )
        cause = Cause("calendar_year", {"year": year, "notice": notice})
        return await recount(conn, actor=actor, reason=cause, public_url=public_url)


class Cause(NamedTuple):
    """Why deadlines were counted again, as data (events.CAUSES renders it)."""

    kind: str
    params: dict[str, Any]


async def recount(
    conn: asyncpg.Connection, *, actor: str, reason: str | Cause, public_url: str = ""
) -> list[str]:
    """Count every running deadline again on today's calendar; each move is audited, shown on
    the public timeline and sent to a complainant who left an e-mail address (with where to
    track it: public_url, "" for words only). The deadline keeps its reason: only the days
    it counts move. reason: a Cause, or words stored as they are (never translated)."""
    calendar: Mapping[dt.date, bool] = await q.calendar_overrides(conn)
    moved = []
    for row in await q.open_deadlines(conn):
        filed = clock.local(row["submitted_at"]).date()
        accept = row["accept_due"]
        if row["status"] == "submitted":
            accept = add_workdays(filed, ACCEPT_DAYS, calendar)
        start, days = row["reply_from"] or filed, row["reply_days"] or REPLY_DAYS
        reply = add_workdays(start, days, calendar)
        if (accept, reply) == (row["accept_due"], row["reply_due"]):
            continue
        await q.move_deadlines(conn, row["id"], accept, reply)
        await _record_move(conn, row, accept, reply, days, actor, reason, public_url)
        moved.append(row["reference"])
    return moved


async def _record_move(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    accept: dt.date,
    reply: dt.date,
    days: int,
    actor: str,
    reason: str | Cause,
    public_url: str,
) -> None:
    """The moved deadline's event (as data), audit row and e-mail."""
    params: dict[str, Any] = {
        "reason": row["deadline_reason"],
        "days": days,
        "reopened": row["reopened"],
        "was": row["reply_due"].isoformat(),
        "due": reply.isoformat(),
        "cause": reason._asdict() if isinstance(reason, Cause) else None,
    }
    if accept != row["accept_due"]:
        params["accept_due"] = accept.isoformat()
    text = reason if isinstance(reason, str) else ""
    await cq.insert_event(
        conn,
        row["id"],
        kind="deadline",
        public=True,
        actor=actor,
        note=text,
        params=params,
        status_from=row["status"],
        status_to=row["status"],
    )
    await audit.record(
        conn,
        actor=actor,
        action="complaint.deadline_moved",
        entity="complaint",
        entity_id=row["reference"],
        before={"accept_due": str(row["accept_due"]), "reply_due": str(row["reply_due"])},
        after={"accept_due": str(accept), "reply_due": str(reply)},
    )
    contact = await cq.read_contact(conn, row["id"])
    if contact and contact["email"]:
        event = {"kind": "deadline", "params": params, "text": text}
        mail = {"reference": row["reference"], "event": event, "public_url": public_url}
        await outbox.enqueue(
            conn, outbox.Message(contact["email"], "complaint.deadline", mail, row["id"])
        )
