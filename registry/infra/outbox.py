"""Sends the notification outbox: rows written in the same transaction as the change they
announce, sent afterwards with retries. By default messages go to files (nothing to set up);
with REGISTRY_SMTP_URL=smtp://user:pass@host:port they go by SMTP.

A message is stored as data (kind, parameters, the recipient's locale) and its subject and body
are rendered when it is sent, by the Render the feature that wrote it supplies; a row from
before that (kind NULL) sends the subject and body it stored."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Mapping
from email.header import Header
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlparse

from registry.infra import clock

log = logging.getLogger("registry")
SENDER = "noreply@changyuan-registry.invalid"
CRLF = "\r\n"
MAX_ATTEMPTS = 8
BATCH = 20


# (kind, parameters, locale) -> (subject, body)
Render = Callable[[str, Mapping[str, Any], str | None], tuple[str, str]]


class Message(NamedTuple):
    """A message to write in the transaction of the change it announces."""

    recipient: str
    kind: str
    params: dict[str, Any]
    complaint_id: int | None = None
    locale: str | None = None


async def enqueue(conn: Any, message: Message) -> None:
    await conn.execute(
        """
        INSERT INTO outbox (complaint_id, recipient, kind, params, locale)
        VALUES ($1, $2, $3, $4, $5)
        """,
        message.complaint_id,
        message.recipient,
        message.kind,
        message.params,
        message.locale,
    )


def _no_renderer(kind: str, params: Mapping[str, Any], locale: str | None) -> tuple[str, str]:
    raise LookupError(f"no renderer for outbox messages of kind {kind}")


class Outgoing(NamedTuple):
    outbox_id: int
    recipient: str
    data: bytes  # the whole RFC 5322 message


class Transport(Protocol):
    async def send(self, message: Outgoing) -> None: ...


class FileTransport:
    """Writes each message as an .eml file: the default, and what tests read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: Outgoing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{clock.now():%Y%m%dT%H%M%S%f}-{message.outbox_id}.eml"
        # A few hundred bytes to a local disk: cheaper inline than a trip to a thread.
        (self.directory / name).write_bytes(message.data)


class SmtpTransport:
    def __init__(self, url: str) -> None:
        self.url = urlparse(url)

    async def send(self, message: Outgoing) -> None:
        import aiosmtplib

        u = self.url
        await aiosmtplib.send(
            message.data,
            sender=SENDER,
            recipients=[message.recipient],
            hostname=u.hostname or "localhost",
            port=u.port or 25,
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
            start_tls=u.scheme == "smtp+starttls",
            use_tls=u.scheme == "smtps",
            timeout=30,
        )


def transport_for(smtp_url: str | None, home: Path) -> Transport:
    return SmtpTransport(smtp_url) if smtp_url else FileTransport(home / "outbox")


def compose(outbox_id: int, recipient: str, subject: str, body: str) -> Outgoing:
    """A plain-text UTF-8 message, assembled directly: the email package's message classes
    cost 0.25–1.4 ms a message, and every filing with an email address sends one. Header
    encodes (and folds) the Chinese subject; the body goes as base64 lines."""
    if any(c in recipient for c in "\r\n") or not recipient:
        raise ValueError("recipient must be one address on one line")
    head = (
        f"From: {SENDER}\r\n"
        f"To: {recipient}\r\n"
        f"Subject: {Header(subject, 'utf-8', header_name='Subject').encode(linesep=CRLF)}\r\n"
        f"Date: {formatdate()}\r\n"
        f"Message-ID: {make_msgid(domain=SENDER.partition('@')[2])}\r\n"
        f"X-Outbox-Id: {outbox_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    text = base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")
    return Outgoing(outbox_id, recipient, head.encode() + text)


# Claim a batch: mark it ours until claimed_until, in one short statement (its row locks last
# only as long as the statement). SKIP LOCKED: senders claiming at the same moment take
# different rows; claimed_until: a later claim skips rows still being sent.
CLAIM_SQL = """
    WITH due AS MATERIALIZED (
        SELECT id FROM outbox
        WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $1
          AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY next_attempt_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o SET claimed_until = now() + make_interval(secs => $3)
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.recipient, o.subject, o.body, o.kind, o.params, o.locale, o.attempts
"""
# Mark the batch in one statement: sent, failed (attempts + 1, back-off doubling from $4
# seconds, the error) or not tried (cancelled mid-batch); every claim is released.
MARK_SQL = """
    WITH sent AS (
        UPDATE outbox SET sent_at = now(), attempts = attempts + 1, claimed_until = NULL
        WHERE id = ANY($1::bigint[])
    ), untried AS (
        UPDATE outbox SET claimed_until = NULL WHERE id = ANY($5::bigint[])
    )
    UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.error, claimed_until = NULL,
        next_attempt_at = now() + make_interval(secs => $4 * 2 ^ o.attempts)
    FROM unnest($2::bigint[], $3::text[]) AS f(id, error)
    WHERE o.id = f.id
"""
BACKOFF = 60  # seconds before the first retry; doubled after each failure
SEND_TIMEOUT = 30.0  # one message; a transport that hangs longer counts as failed
DB_TIMEOUT = 30.0  # the claim and the mark
LEASE = int(BATCH * SEND_TIMEOUT + 2 * DB_TIMEOUT)  # outlives any batch; frees a dead one


async def send_pending(pool: Any, transport: Transport, render: Render = _no_renderer) -> int:
    """Claim, send, mark: no row lock is held while the transport talks to the mail server.
    A message stored as data is rendered now (a rendering error fails it like a send error).
    Returns how many were sent."""
    async with pool.acquire() as conn, asyncio.timeout(DB_TIMEOUT):
        rows = await conn.fetch(CLAIM_SQL, MAX_ATTEMPTS, BATCH, LEASE)
    sent: list[int] = []
    failed: list[int] = []
    errors: list[str] = []
    try:
        for row in sorted(rows, key=lambda r: r["id"]):
            try:
                subject, body = row["subject"], row["body"]
                if row["kind"] is not None:
                    subject, body = render(row["kind"], row["params"], row["locale"])
                message = compose(row["id"], row["recipient"], subject, body)
                async with asyncio.timeout(SEND_TIMEOUT):
                    await transport.send(message)
            except Exception as exc:  # any failure of this message: retried later
                failed.append(row["id"])
                errors.append(_describe(exc))
                _log_failure(row["id"], row["attempts"] + 1, errors[-1])
            else:
                sent.append(row["id"])
    finally:  # also when cancelled mid-batch: what went out is not sent again
        if rows:
            done = {*sent, *failed}
            untried = [r["id"] for r in rows if r["id"] not in done]
            async with pool.acquire() as conn, asyncio.timeout(DB_TIMEOUT):
                await conn.execute(MARK_SQL, sent, failed, errors, BACKOFF, untried)
    return len(sent)


def _describe(exc: Exception) -> str:
    """The exception type and an SMTP reply code: never the message, it may quote the address."""
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__} {code}" if isinstance(code, int) else type(exc).__name__


def _log_failure(outbox_id: int, attempt: int, error: str) -> None:
    if attempt >= MAX_ATTEMPTS:
        log.error("outbox message %s not sent (%s); gave up after %d attempts",
                  outbox_id, error, attempt)  # fmt: skip
    else:
        delay = BACKOFF * 2 ** (attempt - 1)
        log.warning("outbox message %s not sent (%s, attempt %d of %d); next try in %d s",
                    outbox_id, error, attempt, MAX_ATTEMPTS, delay)  # fmt: skip


async def run(
    pool: Any, transport: Transport, interval: float = 2.0, render: Render = _no_renderer
) -> None:
    """The sender loop, run under tasks.supervise (which logs a failed round and starts it
    again with back-off). A full batch means more are waiting: go on at once."""
    while True:
        sent = await send_pending(pool, transport, render)
        await asyncio.sleep(0 if sent >= BATCH else interval)
