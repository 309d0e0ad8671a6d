"""Sends the notification outbox: rows written in the same transaction as the change they
announce, sent afterwards with retries. By default messages go to files (nothing to set up);
with REGISTRY_SMTP_URL=smtp://user:pass@host:port they go by SMTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

log = logging.getLogger("registry")
SENDER = "noreply@changyuan-registry.invalid"
MAX_ATTEMPTS = 8
BATCH = 20


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class FileTransport:
    """Writes each message as an .eml file: the default, and what tests read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{dt.datetime.now():%Y%m%dT%H%M%S%f}-{message['X-Outbox-Id']}.eml"
        await asyncio.to_thread((self.directory / name).write_bytes, bytes(message))


class SmtpTransport:
    def __init__(self, url: str) -> None:
        self.url = urlparse(url)

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib

        u = self.url
        await aiosmtplib.send(
            message,
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


async def send_pending(pool: Any, transport: Transport) -> int:
    """Send what is due; each row is claimed with SKIP LOCKED so workers never send twice."""
    sent = 0
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
                SELECT id, recipient, subject, body, attempts FROM outbox
                WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $1
                ORDER BY id LIMIT $2
                FOR UPDATE SKIP LOCKED
                """,
            MAX_ATTEMPTS,
            BATCH,
        )
        for row in rows:
            message = EmailMessage()
            message["From"] = SENDER
            message["To"] = row["recipient"]
            message["Subject"] = row["subject"]
            message["X-Outbox-Id"] = str(row["id"])
            message.set_content(row["body"])
            try:
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
            await conn.execute(
                "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
                row["id"],
            )
            sent += 1
    return sent


async def run(pool: Any, transport: Transport, interval: float = 2.0) -> None:
    """The worker loop, started by the app's lifespan; errors never stop it."""
    while True:
        try:
            await send_pending(pool, transport)
        except Exception:  # database down and the like: try again next round
            log.warning("outbox round failed", exc_info=False)
        await asyncio.sleep(interval)
