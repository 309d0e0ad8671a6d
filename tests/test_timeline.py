"""A complaint timeline that tells the truth (issue 11, item 4): the current deadline with its
count and reason, a clean deadline after a reopen, a result written for the complainant at
closing, the complainant's own satisfaction rating, e-mails that say where to track, and a
complaint form whose contact rules are stated before submitting."""

from __future__ import annotations

import re
import uuid

import asyncpg
import httpx
import msgspec
import pytest

from registry.complaints import cases, deadlines
from registry.infra import clock, migrate
from registry.infra.db import SingleConnectionPool
from registry.infra.i18n import CHINESE
from registry.web.app import create_app
from registry.web.state import worker
from tests.mail_helpers import mails
from tests.staff_helpers import DEPT_A, complaint_id, login, make_user, post_form

PUBLIC_URL = "https://zhengming.example.gov.cn"
EMAIL = "canary-timeline@example.org"
RESULT = "已责令窗口改正，今后办理失业登记不再索要这个证明。"


@pytest.fixture
async def staff(app, conn):
    """Logged-in supervisor and department (A) clients."""
    await make_user(conn, "t_sup", "supervisor")
    await make_user(conn, "t_dep", "department", DEPT_A)
    out = {}
    for name in ("t_sup", "t_dep"):
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        assert (await login(c, name)).status_code == 303
        out[name.removeprefix("t_")] = c
    yield out
    for c in out.values():
        await c.aclose()


async def file(client, *, disclosure="confidential", contact=None) -> tuple[str, str]:
    """(reference, access code) of a complaint filed through the API."""
    if contact is None and disclosure != "anonymous":
        contact = {"phone": "13712345678", "email": EMAIL}
    r = await client.post(
        "/api/v1/complaints",
        json={
            "department": DEPT_A,
            "certificate_name": "良民证",
            "matter": "失业登记",
            "demanded_on": clock.today().isoformat(),
            "description": "窗口要求村里开证明",
            "disclosure": disclosure,
            "contact": contact,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    return r.json()["reference"], r.json()["access_code"]


async def act(client, cid: int, action: str, expected: str, **fields):
    return await post_form(
        client, f"/staff/complaints/{cid}/{action}", {"expected": expected, **fields}
    )


async def steps(staff, cid: int, *todo: tuple[str, str, str, dict[str, str]]) -> None:
    for who, action, expected, fields in todo:
        r = await act(staff[who], cid, action, expected, **fields)
        assert r.status_code == 303, (action, r.status_code, r.text[:300])


ACCEPT_ASSIGN = [
    ("sup", "accept", "submitted", {}),
    ("sup", "assign", "accepted", {"department": DEPT_A}),
]
REPLY = ("dep", "reply", "assigned", {"finding": "substantiated", "action_taken": "已约谈"})
CLOSE = ("sup", "close", "replied", {"result": RESULT})


async def tracked(client, reference: str, code: str) -> dict:
    r = await client.get(f"/api/v1/complaints/{reference}", headers={"X-Access-Code": code})
    assert r.status_code == 200, r.text
    return r.json()


async def csrf_token(client) -> str:
    page = await client.get("/complaints/track")
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


async def track_page(client, reference: str, code: str) -> httpx.Response:
    data = {"_csrf_token": await csrf_token(client), "reference": reference, "access_code": code}
    return await client.post("/complaints/track", data=data)


async def rate(client, reference: str, code: str, level: str, comment: str = ""):
    data = {
        "_csrf_token": await csrf_token(client),
        "reference": reference,
        "access_code": code,
        "satisfaction": level,
        "comment": comment,
    }
    return await client.post("/complaints/rate", data=data)


def deadline_line(html: str) -> str:
    return re.search(r'<dd id="deadline">(.*?)</dd>', html, re.S).group(1)


# ---- the current deadline, its count and its reason ------------------------------------------


async def test_tracking_shows_the_current_deadline_count_and_reason(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    filed = await tracked(client, ref, code)
    assert (filed["deadline_reason"], filed["deadline_days"]) == ("filed", 15)
    await steps(staff, cid, *ACCEPT_ASSIGN)
    accepted = await tracked(client, ref, code)
    assert (accepted["deadline_reason"], accepted["deadline_days"]) == ("accepted", 15)
    assert accepted["deadline_from"] == clock.today().isoformat()
    assert "受理后 15 个工作日" in deadline_line((await track_page(client, ref, code)).text)

    await steps(staff, cid, ("dep", "extend", "assigned", {"reason": "需调取窗口录像"}))
    body = await tracked(client, ref, code)
    assert (body["deadline_reason"], body["deadline_days"]) == ("extended", 20)
    assert body["extension_reason"] == "需调取窗口录像"
    assert body["reply_due"] > accepted["reply_due"]
    page = (await track_page(client, ref, code)).text
    assert "受理后 20 个工作日，已延期" in deadline_line(page)
    assert "15 个工作日" not in deadline_line(page)
    assert '<dd id="extension-reason" translate="no">需调取窗口录像</dd>' in page
    # The staff page says the same.
    staff_page = (await staff["sup"].get(f"/staff/complaints/{cid}")).text
    assert "受理后 20 个工作日，已延期" in staff_page and "需调取窗口录像" in staff_page


async def test_an_extension_is_allowed_once_per_deadline(client, conn, staff):
    ref, _ = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, ("dep", "extend", "assigned", {"reason": "一"}))
    again = await act(staff["dep"], cid, "extend", "assigned", reason="二")
    assert again.status_code == 422 and "已经延长过一次" in again.text


async def test_a_reopen_starts_a_clean_deadline_that_may_be_extended_again(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(
        staff,
        cid,
        *ACCEPT_ASSIGN,
        ("dep", "extend", "assigned", {"reason": "需调取窗口录像"}),
        REPLY,
        CLOSE,
    )
    assert (await rate(client, ref, code, "unsatisfied", "窗口还是要")).status_code == 303
    body = await tracked(client, ref, code)
    assert body["status"] == "assigned" and body["reopened"] is True
    assert (body["deadline_reason"], body["deadline_days"]) == ("reopened", 15)
    assert body["extension_reason"] == ""
    page = (await track_page(client, ref, code)).text
    assert "重新交办后 15 个工作日" in deadline_line(page)
    # The current deadline has no extension; the old one stays in the history below.
    assert "<dt>延期理由</dt>" not in page and "已延期" not in deadline_line(page)
    assert "<strong>已延期</strong>：" in page
    # The new deadline may be extended once, counted from the reopening.
    await steps(staff, cid, ("dep", "extend", "assigned", {"reason": "需再次核实"}))
    body = await tracked(client, ref, code)
    assert (body["deadline_reason"], body["deadline_days"]) == ("extended", 20)
    assert "重新交办后 20 个工作日，已延期" in deadline_line(
        (await track_page(client, ref, code)).text
    )
    assert (await act(staff["dep"], cid, "extend", "assigned", reason="三")).status_code == 422
    row = await conn.fetchrow(
        "SELECT deadline_reason, reply_days, extended, extension_reason FROM complaints"
        " WHERE id = $1",
        cid,
    )
    assert dict(row) == {
        "deadline_reason": "extended",
        "reply_days": 20,
        "extended": True,
        "extension_reason": "需再次核实",
    }


async def test_a_recount_keeps_the_reason_and_says_it(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, ("dep", "extend", "assigned", {"reason": "录像"}))
    due = await conn.fetchval("SELECT reply_due FROM complaints WHERE id = $1", cid)
    await conn.execute("UPDATE complaints SET reply_due = reply_due - 1 WHERE id = $1", cid)
    assert ref in await deadlines.recount(conn, actor="t_sup", reason="测试", public_url=PUBLIC_URL)
    body = await tracked(client, ref, code)
    assert body["reply_due"] == due.isoformat() and body["deadline_reason"] == "extended"
    assert "受理后 20 个工作日，已延期" in body["timeline"][-1]["note"]
    mail = (await mails(conn, cid))[-1].body
    assert f"{PUBLIC_URL}/complaints/track?reference={ref}" in mail and code not in mail


@pytest.mark.parametrize(
    ("reason", "days", "reopened", "words"),
    [
        ("filed", 15, False, "提交后 15 个工作日，受理后重新计算"),
        ("accepted", 15, False, "受理后 15 个工作日"),
        ("extended", 20, False, "受理后 20 个工作日，已延期"),
        ("reopened", 15, True, "重新交办后 15 个工作日"),
        ("extended", 20, True, "重新交办后 20 个工作日，已延期"),
    ],
)
def test_pages_and_mails_say_the_deadline_basis_alike(app, reason, days, reopened, words):
    assert cases.deadline_basis(reason, days, reopened=reopened) == words
    template = worker(app).jinja.get_template("complaints/_deadline.html")
    macro = template.make_module({"translations": CHINESE}).basis  # imported `with context`
    assert str(macro(reason, days, reopened)) == words


# ---- closing with a result -------------------------------------------------------------------


async def test_closing_needs_a_result_which_tracking_and_the_mail_show(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, REPLY)
    events = await conn.fetchval("SELECT count(*) FROM complaint_events WHERE complaint_id=$1", cid)
    empty = await act(staff["sup"], cid, "close", "replied", result="   ")
    assert empty.status_code == 422
    assert "办结必须写明告诉投诉人的办理结果" in empty.text and 'name="result"' in empty.text
    assert await conn.fetchval("SELECT status FROM complaints WHERE id = $1", cid) == "replied"
    assert await conn.fetchval(
        "SELECT count(*) FROM complaint_events WHERE complaint_id=$1", cid
    ) == events  # fmt: skip
    await steps(staff, cid, CLOSE)
    body = await tracked(client, ref, code)
    assert body["status"] == "closed" and body["result"] == RESULT and body["closed_at"]
    page = (await track_page(client, ref, code)).text
    assert f'<dd class="pre" id="result" translate="no">{RESULT}</dd>' in page
    assert (
        "已办结：已办结。" not in page
        and f'<strong>已办结</strong>：<span translate="no">{RESULT}</span>' in page
    )
    mail = (await mails(conn, cid))[-1]
    assert mail.subject == f"投诉 {ref}：已办结" and f"办理结果：{RESULT}" in mail.body


# ---- satisfaction by the complainant ---------------------------------------------------------


async def test_the_complainant_rates_once_per_closing_audited(client, conn, staff):
    ref, code = await file(client, disclosure="anonymous")
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, REPLY)
    early = await tracked(client, ref, code)
    assert (
        early["may_rate"] is False and "提交评价" not in (await track_page(client, ref, code)).text
    )
    await steps(staff, cid, CLOSE)
    before = await tracked(client, ref, code)
    assert before["may_rate"] is True and before["may_reopen"] is True
    page = (await track_page(client, ref, code)).text
    assert "您对办理结果满意吗？" in page and 'action="/complaints/rate"' in page

    r = await rate(client, ref, code, "satisfied", "处理得很快")
    assert r.status_code == 303
    assert r.headers["location"] == f"/complaints/track?reference={ref}&done=rated"
    shown = await client.get(r.headers["location"])  # the short-lived cookie shows it again
    assert shown.status_code == 200 and "已记录您的评价" in shown.text
    assert '<dd id="satisfaction">满意（您在本页的评价）</dd>' in shown.text
    assert (
        '<strong>您的评价</strong>：满意。意见：<span translate="no">处理得很快</span>。'
        in shown.text
    )
    assert "提交评价" not in shown.text
    body = await tracked(client, ref, code)
    assert (body["satisfaction"], body["satisfaction_by"], body["may_rate"]) == (
        "satisfied",
        "complainant",
        False,
    )
    assert body["status"] == "closed"
    audit = await conn.fetchrow(
        "SELECT actor, action, after FROM audit_log WHERE entity_id = $1 ORDER BY id DESC", ref
    )
    assert (audit["actor"], audit["action"]) == ("complainant", "complaint.follow_up")
    assert audit["after"]["satisfaction_by"] == "complainant"
    # Once per closing, whoever records it: the complainant again, or the office by phone.
    again = await rate(client, ref, code, "very_satisfied")
    assert again.status_code == 422 and "这次办结已经记录过满意程度" in again.text
    office = await act(staff["sup"], cid, "follow_up", "closed", satisfaction="neutral")
    assert office.status_code == 422
    assert (
        await conn.fetchval("SELECT satisfaction FROM complaints WHERE id=$1", cid) == "satisfied"
    )


async def test_an_unsatisfied_complainant_reopens_once(client, conn, staff):
    ref, code = await file(client, disclosure="named")
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, REPLY, CLOSE)
    r = await rate(client, ref, code, "very_unsatisfied", "窗口至今仍在索要")
    assert r.status_code == 303
    assert "已退回承办部门重新办理" in (await client.get(r.headers["location"])).text
    body = await tracked(client, ref, code)
    assert body["status"] == "assigned" and body["satisfaction"] is None
    note = body["timeline"][-1]
    assert note["kind"] == "follow_up" and note["by"] == "complainant"
    assert "非常不满意。意见：窗口至今仍在索要。重新交办" in note["note"]
    # The department sees the complainant's words, not who they are.
    dep_page = (await staff["dep"].get(f"/staff/complaints/{cid}")).text
    assert "窗口至今仍在索要" in dep_page and "13712345678" not in dep_page
    # Closed again: this rating is recorded but reopens nothing.
    await steps(staff, cid, REPLY, CLOSE)
    second = await tracked(client, ref, code)
    assert second["may_rate"] is True and second["may_reopen"] is False
    assert "不再退回重新办理" in (await track_page(client, ref, code)).text
    assert (await rate(client, ref, code, "unsatisfied")).status_code == 303
    final = await tracked(client, ref, code)
    assert (final["status"], final["satisfaction"]) == ("closed", "unsatisfied")


async def test_the_office_still_records_phone_follow_ups(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, REPLY, CLOSE)
    await steps(staff, cid, ("sup", "follow_up", "closed", {"satisfaction": "neutral"}))
    body = await tracked(client, ref, code)
    assert (body["satisfaction"], body["satisfaction_by"]) == ("neutral", "office")
    assert body["timeline"][-1]["by"] == "staff" and "t_sup" not in str(body)
    assert (
        '<dd id="satisfaction">基本满意（回访时记录）</dd>'
        in (await track_page(client, ref, code)).text
    )
    assert (await rate(client, ref, code, "satisfied")).status_code == 422


async def test_rating_needs_the_code_a_level_and_a_csrf_token(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN, REPLY, CLOSE)
    events = await conn.fetchval("SELECT count(*) FROM complaint_events WHERE complaint_id=$1", cid)
    wrong = await rate(client, ref, "WRONG-CODE0", "very_unsatisfied")
    assert wrong.status_code == 404 and "查询编号或查询码不正确" in wrong.text
    none = await rate(client, ref, code, "")
    assert none.status_code == 422 and "请选择满意程度" in none.text
    assert 'name="access_code" value="' in none.text  # the form comes back, ready to send
    long = await rate(client, ref, code, "satisfied", "字" * 501)
    assert long.status_code == 422 and "不能超过 500 个字" in long.text and "字" * 501 in long.text
    no_csrf = await client.post(
        "/complaints/rate",
        data={"reference": ref, "access_code": code, "satisfaction": "very_unsatisfied"},
    )
    assert no_csrf.status_code == 403
    assert await conn.fetchval(
        "SELECT count(*) FROM complaint_events WHERE complaint_id=$1", cid
    ) == events  # fmt: skip


async def test_rating_counts_against_the_tracking_limit(conn, settings):
    app = create_app(
        msgspec.structs.replace(settings, tracking_limit=(2, 600)),
        pool=SingleConnectionPool(conn),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        ref, code = await file(c)
        assert (await track_page(c, ref, code)).status_code == 200
        assert (await rate(c, ref, code, "satisfied")).status_code == 409  # not closed yet
        limited = await rate(c, ref, code, "satisfied")
        assert limited.status_code == 429 and "操作太频繁" in limited.text


# ---- e-mails say where to track --------------------------------------------------------------


async def mail_bodies(conn, cid: int) -> list[str]:
    return [m.body for m in await mails(conn, cid)]


async def test_every_mail_links_to_tracking_without_the_code(conn, settings):
    app = create_app(
        msgspec.structs.replace(settings, public_url=PUBLIC_URL), pool=SingleConnectionPool(conn)
    )
    await make_user(conn, "t_sup", "supervisor")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        ref, code = await file(c)
        cid = await complaint_id(conn, ref)
        assert (await login(c, "t_sup")).status_code == 303
        for action, expected, fields in [
            ("accept", "submitted", {}),
            ("assign", "accepted", {"department": DEPT_A}),
            ("extend", "assigned", {"reason": "录像"}),
        ]:
            assert (await act(c, cid, action, expected, **fields)).status_code == 303
    bodies = await mail_bodies(conn, cid)
    assert len(bodies) == 4  # the acknowledgement and three steps
    link = f"{PUBLIC_URL}/complaints/track?reference={ref}"
    for body in bodies:
        assert link in body and code not in body and code.replace("-", "") not in body
    assert "答复期限" in bodies[0] and "提交后 15 个工作日" in bodies[0]
    assert "答复期限延长至" in bodies[3] and "（受理后 20 个工作日）" in bodies[3]
    assert "延期理由：录像" in bodies[3]


async def test_without_a_public_url_mails_say_where_to_track_in_words(client, conn, staff):
    ref, code = await file(client)
    cid = await complaint_id(conn, ref)
    await steps(staff, cid, *ACCEPT_ASSIGN)
    for body in await mail_bodies(conn, cid):
        assert "http" not in body and code not in body
        assert "“投诉举报—查询进度”页面" in body and f"查询编号 {ref}" in body


# ---- the complaint form says its contact rules before submitting ------------------------------


async def test_the_form_states_the_contact_rules_validation_applies(client):
    page = (await client.get("/complaints/new")).text
    assert "（可选）</legend>" not in page  # contact is not optional for the default choice
    assert "选“保密”或“实名”：请在下面留下<strong>电话或电子邮箱，至少一项</strong>" in page
    assert "选“匿名”：下面三项都不要填" in page
    assert "您写的经过会转给被投诉的单位核实" in page
    assert 'aria-describedby="description-hint"' in page
    # The refusals say the same as the form.
    assert "电话或电子邮箱（至少一项）" in cases.CONTACT_NEEDED
    assert "请选“匿名”" in cases.CONTACT_NEEDED
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {
        "_csrf_token": token,
        "form_token": form_token,
        "department": DEPT_A,
        "certificate_name": "良民证",
        "demanded_on": clock.today().isoformat(),
        "disclosure": "confidential",
    }
    refused = await client.post("/complaints", data=data)
    assert refused.status_code == 422 and cases.CONTACT_NEEDED in refused.text
    with_phone = await client.post("/complaints", data={**data, "contact_phone": "13712345678"})
    assert with_phone.status_code == 303
    anonymous = await client.post(
        "/complaints",
        data={**data, "disclosure": "anonymous", "form_token": uuid.uuid4().hex},
    )
    assert anonymous.status_code == 303
    named_noise = await client.post(
        "/complaints",
        data={**data, "disclosure": "anonymous", "contact_email": EMAIL,
              "form_token": uuid.uuid4().hex},
    )  # fmt: skip
    assert named_noise.status_code == 422
    assert cases.ANONYMOUS_WITH_CONTACT in named_noise.text


async def test_extended_is_derived_from_the_deadline_reason(client, conn):
    ref, _ = await file(client)
    cid = await complaint_id(conn, ref)
    for reason, extended in [("extended", True), ("reopened", False)]:
        await conn.execute("UPDATE complaints SET deadline_reason = $2 WHERE id = $1", cid, reason)
        assert await conn.fetchval("SELECT extended FROM complaints WHERE id = $1", cid) is extended


LEGACY = """
INSERT INTO complaints (reference, access_code_hash, department_other, certificate_name,
    demanded_on, disclosure, classification, status, accept_due, reply_due, accepted_at,
    extended, extension_reason, reopened, followed_up_at, satisfaction, reply_from, reply_days)
VALUES ($1, 'x', '某村', '证明', '2026-01-05', 'anonymous', 'unlisted', $2, '2026-01-06',
    '2026-01-27', CASE WHEN $2 <> 'submitted' THEN now() END, $3, $4, $5,
    CASE WHEN $5 THEN now() END, CASE WHEN $5 THEN 'unsatisfied' END,
    CASE WHEN $2 <> 'submitted' THEN date '2026-01-05' END,
    CASE WHEN $2 <> 'submitted' THEN 15 END)
RETURNING id
"""


async def test_0013_gives_existing_complaints_the_reason_of_their_deadline(
    scratch_database, settings, tmp_path
):
    """Before 0013 one extension was allowed per complaint, before or after a reopen."""
    for f in settings.migrations_dir.glob("*.sql"):
        if f.name < "0013":
            (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    async with scratch_database("timeline_0013") as dsn:
        db = await asyncpg.connect(dsn)
        try:
            await migrate.apply(db, tmp_path)
            ids = {}
            for ref, status, extended, reopened in [
                ("FILED", "submitted", False, False),
                ("EXTENDED", "assigned", True, False),
                ("EXTENDED-THEN-REOPENED", "assigned", True, True),
                ("REOPENED-THEN-EXTENDED", "assigned", True, True),
            ]:
                reason = "录像" if extended else ""
                ids[ref] = await db.fetchval(LEGACY, ref, status, extended, reason, reopened)
            order = {"EXTENDED-THEN-REOPENED": ("extend", "follow_up"),
                     "REOPENED-THEN-EXTENDED": ("follow_up", "extend")}  # fmt: skip
            for ref, kinds in order.items():
                for n, kind in enumerate(kinds):
                    await db.execute(
                        "INSERT INTO complaint_events (complaint_id, at, kind, public, actor,"
                        " status_to) VALUES ($1, now() + $2 * interval '1 hour', $3, true, 'x',"
                        " 'assigned')",
                        ids[ref],
                        n,
                        kind,
                    )
            (tmp_path / "0013_timeline.sql").write_text(
                (settings.migrations_dir / "0013_timeline.sql").read_text(encoding="utf-8"),
                encoding="utf-8",
            )
            assert await migrate.apply(db, tmp_path) == ["0013_timeline.sql"]
            rows = await db.fetch(
                "SELECT reference, deadline_reason, reply_days, extended, extension_reason,"
                " satisfaction_by FROM complaints ORDER BY id"
            )
        finally:
            await db.close()
    assert [tuple(r) for r in rows] == [
        ("FILED", "filed", None, False, "", None),
        ("EXTENDED", "extended", 20, True, "录像", None),
        ("EXTENDED-THEN-REOPENED", "reopened", 15, False, "", "office"),
        ("REOPENED-THEN-EXTENDED", "extended", 20, True, "录像", "office"),
    ]


async def test_a_planted_tracking_cookie_counts_against_the_limit(conn, settings):
    """Codes guessed through the cookie are as limited as codes typed into the form."""
    app = create_app(
        msgspec.structs.replace(settings, tracking_limit=(2, 600)),
        pool=SingleConnectionPool(conn),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        ref, _ = await file(c, disclosure="anonymous")
        for n in range(2):
            c.cookies.set("tracked", f"{ref}.GUESS-{n:05d}", path="/complaints/track")
            r = await c.get(f"/complaints/track?reference={ref}")
            assert r.status_code == 200 and 'name="access_code"' in r.text  # the empty form
        limited = await c.get(f"/complaints/track?reference={ref}")
        assert limited.status_code == 429
