"""The outbox and the timeline as their readers get them: rows are stored as data (kind and
parameters) and rendered when sent or read, so tests read them rendered, not the raw columns."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg

from registry.complaints import events


class Mail(NamedTuple):
    recipient: str
    subject: str
    body: str


async def mails(conn: asyncpg.Connection, complaint_id: int) -> list[Mail]:
    """A complaint's messages in order, as the sender renders them (in Chinese)."""
    rows = await conn.fetch(
        "SELECT recipient, subject, body, kind, params, locale FROM outbox"
        " WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )
    out = []
    for r in rows:
        subject, body = r["subject"], r["body"]
        if r["kind"] is not None:
            subject, body = events.render_outbox(r["kind"], r["params"], r["locale"])
        out.append(Mail(r["recipient"], subject, body))
    return out


async def sentences(conn: asyncpg.Connection, complaint_id: int, kind: str) -> list[str]:
    """The timeline sentences of one kind of event, in order."""
    rows = await conn.fetch(
        "SELECT note, params FROM complaint_events WHERE complaint_id = $1 AND kind = $2"
        " ORDER BY at, id",
        complaint_id,
        kind,
    )
    return [events.sentence(kind, r["params"], r["note"]) for r in rows]
