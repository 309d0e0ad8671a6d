"""Timeline entries and e-mails are stored as data and rendered in the reader's language: the
same stored row in Chinese (the msgids) and in a second language from a test catalogue,
compiled with Babel as issue 14's catalogues will be."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo

from registry.accounts.models import Role, StaffUser
from registry.complaints import events, workflow
from registry.complaints.models import COMPLAINT_STATUS_LABELS
from registry.complaints.queries import complaints as q
from registry.infra.i18n import CHINESE
from tests.staff_helpers import complaint_id, file_complaint, make_user

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = {
    "已受理": "Accepted",
    "不予受理": "Not accepted",
    "您的评价": "Your rating",
    "答复期限 {due}（{basis}）。": "Reply due by {due} ({basis}).",
    "{start} {days} 个工作日": "{days} working days {start}",
    "受理后": "after acceptance",
    "投诉 {reference}：{label}": "Complaint {reference}: {label}",
    "您的投诉（查询编号 {reference}）办理状态：{label}。": (
        "Your complaint {reference} is now: {label}."
    ),
    "{heading}：{sentence}": "{heading}: {sentence}",
    "查看办理进度：{link}\n（打开后输入提交时显示的查询码。）": (
        "Follow it at {link}\n(enter the access code you were shown when you filed)."
    ),
}
TODAY = dt.date(2026, 11, 23)  # a Monday: 15 working days later is 2026-12-14


def catalogue(translations: dict[str, str], locale: str = "en") -> gettext.GNUTranslations:
    """A compiled .mo catalogue, as GNUTranslations reads it."""
    cat = Catalog(locale=locale)
    for msgid, msgstr in translations.items():
        cat.add(msgid, msgstr)
    buf = io.BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@pytest.fixture
async def accepted(client, conn) -> int:
    """A complaint filed with an e-mail address, accepted by a supervisor on TODAY."""
    ref = await file_complaint(client)
    cid = await complaint_id(conn, ref)
    uid = await make_user(conn, "i18n_sup", "supervisor")
    sup = StaffUser(
        id=uid, username="i18n_sup", display_name="s", role=Role.SUPERVISOR, department_code=None
    )
    await workflow.transition(
        conn, cid, workflow.Action.ACCEPT, sup, expected="submitted", form={}, today=TODAY,
        public_url="https://example.gov.cn",
    )  # fmt: skip
    return cid


async def test_a_stored_timeline_entry_renders_in_two_languages(conn, accepted) -> None:
    stored = (await q.public_timeline(conn, accepted))[-1]
    due = "2026-12-14"
    # Stored as data: the kind and its parameters, no sentence.
    assert (stored.kind, stored.note) == ("accept", "")
    assert stored.params == {"due": due, "reason": "accepted", "days": 15}
    zh, en = events.public_entry(stored), events.public_entry(stored, catalogue(ENGLISH))
    assert (zh.title, zh.note) == ("已受理", f"答复期限 {due}（受理后 15 个工作日）。")
    assert (en.title, en.note) == (
        "Accepted",
        f"Reply due by {due} (15 working days after acceptance).",
    )


async def test_a_stored_mail_renders_in_two_languages(conn, accepted) -> None:
    row = await conn.fetchrow(
        "SELECT subject, body, kind, params FROM outbox WHERE complaint_id = $1"
        " ORDER BY id DESC LIMIT 1",
        accepted,
    )
    ref = row["params"]["reference"]
    assert (row["kind"], row["subject"], row["body"]) == ("complaint.step", "", "")
    zh = events.render_mail(row["kind"], row["params"])
    en = events.render_mail(row["kind"], row["params"], catalogue(ENGLISH))
    link = f"https://example.gov.cn/complaints/track?reference={ref}"
    assert zh == (
        f"投诉 {ref}：已受理",
        f"您的投诉（查询编号 {ref}）办理状态：已受理。\n\n"
        f"已受理：答复期限 2026-12-14（受理后 15 个工作日）。\n\n"
        f"查看办理进度：{link}\n（打开后输入提交时显示的查询码。）",
    )
    assert en == (
        f"Complaint {ref}: Accepted",
        f"Your complaint {ref} is now: Accepted.\n\n"
        "Accepted: Reply due by 2026-12-14 (15 working days after acceptance).\n\n"
        f"Follow it at {link}\n(enter the access code you were shown when you filed).",
    )


async def test_what_people_wrote_is_never_translated(client, conn) -> None:
    cid = await complaint_id(conn, await file_complaint(client))
    uid = await make_user(conn, "i18n_sup", "supervisor")
    sup = StaffUser(
        id=uid, username="i18n_sup", display_name="s", role=Role.SUPERVISOR, department_code=None
    )
    form = {"reason": "重复投诉"}
    await workflow.transition(
        conn, cid, workflow.Action.REJECT, sup, expected="submitted", form=form
    )
    stored = (await q.public_timeline(conn, cid))[-1]
    en = events.public_entry(stored, catalogue({**ENGLISH, "重复投诉": "duplicate"}))
    assert (en.title, en.note) == ("Not accepted", "重复投诉")


async def test_a_row_from_before_keeps_its_sentence(client, conn) -> None:
    cid = await complaint_id(conn, await file_complaint(client))
    await conn.execute(
        "INSERT INTO complaint_events (complaint_id, kind, public, actor, note)"
        " VALUES ($1, 'accept', true, 'someone', '答复期限 2026-01-05（受理后 15 个工作日）。')",
        cid,
    )
    stored = (await q.public_timeline(conn, cid))[-1]
    assert stored.params is None
    en = events.public_entry(stored, catalogue(ENGLISH))
    assert (en.title, en.note) == ("Accepted", "答复期限 2026-01-05（受理后 15 个工作日）。")
    assert events.public_entry(stored).note == "答复期限 2026-01-05（受理后 15 个工作日）。"


def test_every_sentence_is_marked_for_extraction() -> None:
    """Babel's extractor finds every msgid the renderer looks up (a catalogue can cover it)."""
    found = {
        m[1]
        for path in ("registry/complaints/events.py", "registry/complaints/models.py")
        for m in extract_from_file("python", str(ROOT / path))
    }
    looked_up = {
        *events.TITLES.values(),
        *events.FINDINGS.values(),
        *events.SATISFACTION.values(),
        *events.CAUSES.values(),
        *COMPLAINT_STATUS_LABELS.values(),
        *ENGLISH,
    }
    assert looked_up <= found, looked_up - found


def test_without_a_catalogue_the_reader_gets_chinese() -> None:
    assert events.deadline_basis("extended", 20, tr=CHINESE) == "受理后 20 个工作日，已延期"
    assert events.title("follow_up", True, catalogue(ENGLISH)) == "Your rating"
