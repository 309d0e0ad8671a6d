"""Sends the notification outbox: rows written in the same transaction as the change they
announce, sent afterwards with retries. By default messages go to files (nothing to set up);
with REGISTRY_SMTP_URL=smtp://user:pass@host:port they go by SMTP."""

from __future__ import annotations

import asyncio
import base64
import logging
from email.header import Header
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlparse

from registry import clock

log = logging.getLogger("registry")
SENDER = "noreply@changyuan-registry.invalid"
CRLF = "\r\n"
MAX_ATTEMPTS = 8
BATCH = 20


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


async def send_pending(pool: Any, transport: Transport) -> int:
    """Send what is due; each row is claimed with SKIP LOCKED so workers never send twice."""
    sent: list[int] = []
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
                SELECT id, recipient, subject, body, attempts FROM outbox
                WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $1
                ORDER BY next_attempt_at, id LIMIT $2
                FOR UPDATE SKIP LOCKED
                """,
            MAX_ATTEMPTS,
            BATCH,
        )
        for row in rows:
            try:
                message = compose(row["id"], row["recipient"], row["subject"], row["body"])
                await transport.send(message)
            except Exception as exc:  # any transport failure: retry later with back-off
                delay = 60 * 2 ** row["attempts"]
                await conn.execute(
                    """
                        UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                            next_attempt_at = now() + make_interval(secs => $3)
                        WHERE id = $1
                        """,
                    row["id"],
                    type(exc).__name__,  # never the message: it may quote the address
                    delay,
                )
                log.warning("outbox message %s not sent (%s)", row["id"], type(exc).__name__)
                continue
            sent.append(row["id"])
        if sent:
            await conn.execute(
                "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1)",
                sent,
            )
    return len(sent)


async def run(pool: Any, transport: Transport, interval: float = 2.0) -> None:
    """The worker loop, started by the app's lifespan; errors never stop it. A full batch
    means more are waiting: go on at once instead of sleeping."""
    while True:
        sent = 0
        try:
            sent = await send_pending(pool, transport)
        except Exception:  # database down and the like: try again next round
            log.warning("outbox round failed", exc_info=False)
        await asyncio.sleep(0 if sent >= BATCH else interval)
