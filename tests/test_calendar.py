"""The 2027 calendar: deadlines never silently guess; loading the official notice recounts them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registry.complaints import deadlines
from registry.infra import clock
from registry.workflow.workdays import add_workdays
from tests.mail_helpers import mails, sentences
from tests.staff_helpers import complaint_id, file_complaint, login, make_user, post_form

D = dt.date


def at_noon_in_beijing(day: dt.date):  # type: ignore[no-untyped-def]
    return lambda: dt.datetime(day.year, day.month, day.day, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
async def office(client, conn):  # type: ignore[no-untyped-def]
    await make_user(conn, "cal_sup", "supervisor")
    await login(client, "cal_sup")
    return client


async def track(client, reference: str, code: str):  # type: ignore[no-untyped-def]
    r = await client.get(f"/api/v1/complaints/{reference}", headers={"X-Access-Code": code})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_deadline_over_new_year_2027_is_computed_and_provisional(client, conn, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clock, "utc_now", at_noon_in_beijing(D(2026, 12, 25)))
    r = await client.post(
        "/api/v1/complaints",
        json={
            "department": "CY-BM-001",
            "certificate_name": "良民证",
            "demanded_on": "2026-12-24",
            "disclosure": "anonymous",
            "contact": None,
        },
        headers={"Idempotency-Key": "calendar-test-0000-0001"},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    # Friday 25 December + 15 working days, 元旦 (Friday 1 January 2027) not among them.
    assert receipt["deadline"] == "2027-01-18"
    tracked = await track(client, receipt["reference"], receipt["access_code"])
    assert tracked["deadline_provisional"] is True
    form = await client.get("/complaints/track")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    page = await client.post(
        "/complaints/track",
        data={"_csrf_token": token, "reference": receipt["reference"],
              "access_code": receipt["access_code"]},
    )  # fmt: skip
    assert page.status_code == 200, page.text
    assert "暂定" in page.text
    # A reply deadline that runs into February skips the Spring Festival days (5-10 February).
    assert add_workdays(D(2027, 1, 29), 5) == D(2027, 2, 11)  # 1-4 February, then the 11th


async def test_loading_the_2027_notice_moves_running_deadlines_and_is_audited(
    office, conn, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clock, "utc_now", at_noon_in_beijing(D(2026, 12, 25)))
    reference = await file_complaint(office, demanded_on="2026-12-24")
    cid = await complaint_id(conn, reference)
    # PostgreSQL's now() stamped the filing: make it agree with the moved clock.
    await conn.execute(
        "UPDATE complaints SET submitted_at = $2 WHERE id = $1", cid, clock.utc_now()
    )
    assert await conn.fetchval("SELECT reply_due FROM complaints WHERE id = $1", cid) == D(
        2027, 1, 18
    )
    badge = '<span class="badge badge-warn">暂定</span>'
    assert badge in (await office.get(f"/staff/complaints/{cid}")).text
    r = await post_form(
        office,
        "/staff/calendar/notice",
        {
            "year": "2027",
            "notice": "国务院办公厅关于2027年部分节假日安排的通知",
            "holidays": "1-1~1-3、2-5~2-11、4-5、5-1~5-5、6-9、9-15、10-1~10-7",
            "workdays": "1-9、2-20",  # a 调休 working Saturday inside the deadline's span
        },
    )
    assert r.status_code == 303, r.text
    assert "msg=recounted&n=1" in r.headers["location"]  # a key; the page says the sentence
    assert "已保存，1 件投诉的期限随之调整" in (await office.get(r.headers["location"])).text
    due = await conn.fetchval("SELECT reply_due FROM complaints WHERE id = $1", cid)
    assert due == D(2027, 1, 15)  # Saturday 9 January now counts: a working day earlier
    audit = await conn.fetch(
        "SELECT action, before, after FROM audit_log WHERE action IN"
        " ('calendar.load_year', 'complaint.deadline_moved') ORDER BY id"
    )
    assert [a["action"] for a in audit] == ["calendar.load_year", "complaint.deadline_moved"]
    assert audit[1]["before"]["reply_due"] == "2027-01-18"
    assert audit[1]["after"]["reply_due"] == "2027-01-15"
    public = "SELECT public FROM complaint_events WHERE complaint_id = $1 AND kind = 'deadline'"
    assert await conn.fetchval(public, cid)
    (sentence,) = await sentences(conn, cid, "deadline")  # stored as data, rendered as read
    assert "2027-01-15" in sentence and "载入2027年节假日安排" in sentence
    assert sum("期限调整" in m.subject for m in await mails(conn, cid)) == 1
    assert badge not in (await office.get(f"/staff/complaints/{cid}")).text  # now settled


async def test_the_calendar_page_warns_from_november_until_the_notice_is_loaded(
    office, conn, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clock, "utc_now", at_noon_in_beijing(D(2026, 10, 31)))
    october = await office.get("/staff/calendar")
    assert october.status_code == 200
    assert "2027 年的国务院节假日安排尚未载入" not in october.text
    monkeypatch.setattr(clock, "utc_now", at_noon_in_beijing(D(2026, 11, 1)))
    november = await office.get("/staff/calendar")
    assert "2027 年的国务院节假日安排尚未载入" in november.text
    await deadlines.load_notice(
        conn,
        year=2027,
        notice="国办发明电〔2026〕X号",
        holidays=[D(2027, 1, 1)],
        workdays=[],
        actor="cal_sup",
    )
    loaded = await office.get("/staff/calendar")
    assert "2027 年的国务院节假日安排尚未载入" not in loaded.text
    year_page = await office.get("/staff/calendar?year=2027")
    assert "本单位载入的通知" in year_page.text and "国办发明电〔2026〕X号" in year_page.text


async def test_a_notice_with_unreadable_dates_is_shown_again_with_errors(office):  # type: ignore[no-untyped-def]
    r = await post_form(
        office,
        "/staff/calendar/notice",
        {"year": "2027", "notice": "", "holidays": "1-1、十月", "workdays": "1-1"},
    )
    assert r.status_code == 422
    assert "通知文号或标题" in r.text and "十月" in r.text and "同时写在放假和上班里" in r.text
    assert "1-1、十月" in r.text  # what was typed is kept


def test_notice_dates_are_read_as_people_write_them():
    days, bad = deadlines.parse_days("1-1~1-3，2月5日至2月11日、2027-04-05; 02/20", 2027)
    assert days[:3] == [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]
    assert D(2027, 2, 11) in days and D(2027, 4, 5) in days and D(2027, 2, 20) in days
    assert len(days) == 3 + 7 + 1 + 1 and bad == []
    assert deadlines.parse_days("13-40、abc", 2027)[1] == ["13-40", "abc"]
