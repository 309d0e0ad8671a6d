"""Audit log view, account changes, the calendar page, and the notification outbox."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import httpx

from registry.infra import outbox
from registry.infra.db import SingleConnectionPool
from tests.staff_helpers import file_complaint, login, make_user, post_form


async def logged_in(app, conn, username: str, role: str) -> httpx.AsyncClient:
    await make_user(conn, username, role)
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, username)).status_code == 303
    return c


async def test_audit_log_lists_logins_for_supervisor_and_admin(app, conn):
    for name, role in (("sup", "supervisor"), ("adm", "admin")):
        c = await logged_in(app, conn, name, role)
        r = await c.get("/staff/audit?action=staff.login")
        assert r.status_code == 200 and "staff.login" in r.text and name in r.text
        await c.aclose()


async def test_deactivating_an_account_ends_its_sessions(app, conn):
    adm = await logged_in(app, conn, "adm", "admin")
    sup = await logged_in(app, conn, "sup", "supervisor")
    uid = await conn.fetchval("SELECT id FROM users WHERE username='sup'")
    assert (await post_form(adm, f"/staff/users/{uid}/deactivate", {})).status_code == 303
    r = await sup.get("/staff/complaints")
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    assert await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action='user.deactivate' AND entity_id='sup'"
    )
    await adm.aclose()
    await sup.aclose()


async def test_calendar_override_is_saved_and_audited(app, conn):
    sup = await logged_in(app, conn, "sup", "supervisor")
    r = await post_form(
        sup, "/staff/calendar", {"day": "2030-05-06", "kind": "holiday", "note": "县里临时放假"}
    )
    assert r.status_code == 303
    assert (
        await conn.fetchval("SELECT workday FROM calendar_overrides WHERE day='2030-05-06'")
        is False
    )
    bad = await post_form(sup, "/staff/calendar", {"day": "someday", "kind": "holiday"})
    assert bad.status_code == 422 and "请填写日期" in bad.text and 'value="someday"' in bad.text
    await sup.aclose()


async def test_a_calendar_change_moves_the_next_filing_deadline(app, conn):
    """Filing keeps the overrides per worker; the office's change must reach the next filing."""
    sup = await logged_in(app, conn, "sup", "supervisor")
    first = await file_complaint(sup)
    due = await conn.fetchval("SELECT reply_due FROM complaints WHERE reference = $1", first)
    r = await post_form(sup, "/staff/calendar", {"day": due.isoformat(), "kind": "holiday"})
    assert r.status_code == 303
    second = await file_complaint(sup)
    moved = await conn.fetchval("SELECT reply_due FROM complaints WHERE reference = $1", second)
    assert moved > due
    await sup.aclose()


async def test_outbox_sends_once_to_files(conn, tmp_path: Path):
    await conn.execute(
        "INSERT INTO outbox (recipient, subject, body) VALUES ('a@example.org', '投诉更新', '内容')"
    )
    pool = SingleConnectionPool(conn)
    transport = outbox.FileTransport(tmp_path)
    assert await outbox.send_pending(pool, transport) == 1
    assert await outbox.send_pending(pool, transport) == 0
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "a@example.org" and msg["Subject"] == "投诉更新"
    assert msg.get_content().strip() == "内容" and msg["Date"] and msg["Message-ID"]


def test_composed_messages_parse_with_long_chinese_subjects():
    subject = "投诉 TS20261125-ABCDE：已答复，请查看答复内容并评价满意度" * 2
    body = "您的投诉已收到，查询编号 TS20261125-ABCDE。\n第二行"
    raw = outbox.compose(7, "a@example.org", subject, body).data
    head = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    subject_lines = head[2 : next(i for i, line in enumerate(head) if line.startswith(b"Date"))]
    assert len(subject_lines) > 1 and all(len(line) <= 78 for line in subject_lines)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == subject and msg["To"] == "a@example.org"
    assert msg.get_content() == body and msg["X-Outbox-Id"] == "7"


async def test_a_recipient_with_a_line_break_is_never_sent(conn, tmp_path: Path):
    await conn.execute(
        "INSERT INTO outbox (recipient, subject, body)"
        " VALUES (E'a@example.org\\r\\nBcc: b@example.org', 's', 'b')"
    )
    assert (
        await outbox.send_pending(SingleConnectionPool(conn), outbox.FileTransport(tmp_path)) == 0
    )
    assert not list(tmp_path.glob("*.eml"))
    assert await conn.fetchval("SELECT last_error FROM outbox") == "ValueError"


class Broken:
    async def send(self, message) -> None:
        raise ConnectionRefusedError("smtp down for canary-owner@example.org")


async def test_outbox_failure_is_retried_later_and_never_records_the_address(conn):
    await conn.execute(
        "INSERT INTO outbox (recipient, subject, body)"
        " VALUES ('canary-owner@example.org', 's', 'b')"
    )
    assert await outbox.send_pending(SingleConnectionPool(conn), Broken()) == 0
    row = await conn.fetchrow(
        "SELECT attempts, last_error, next_attempt_at > now() AS later, sent_at FROM outbox"
    )
    assert row["attempts"] == 1 and row["later"] and row["sent_at"] is None
    assert "canary" not in row["last_error"]
