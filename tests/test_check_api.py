"""/api/v1/check and the verdict page, end to end on the seeded database."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.catalogue import transfer
from registry.catalogue.queries import certificates as q
from registry.checker.decide import OTHER_MATTER, Question
from registry.checker.lookup import Lookup
from registry.web.invalidation import list_changed
from registry.web.state import worker


async def check(client, **params):
    r = await client.get("/api/v1/check", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_check_shape(client):
    body = await check(client, name="無犯罪記錄證明")
    assert set(body) == {
        "verdict",
        "may_require",
        "certificate",
        "matter",
        "choices",
        "candidates",
        "reasons",
        "explanation",
        "next_step_reasons",
        "next_step",
        "licence",
        "other_url",
        "guide_url",
        "complaint_url",
    }
    assert body["verdict"] == "abolished" and body["may_require"] is False
    assert body["certificate"]["code"] == "CY-ZM-014"
    assert body["complaint_url"].startswith("/complaints/new?")
    # The words are also data: codes with parameters, rendered at read time (checker.reasons).
    assert [r["code"] for r in body["reasons"]][:2] == ["lead.may_not", "abolished.since_doc"]
    assert body["reasons"][1]["params"]["name"] == body["certificate"]["name"]
    assert body["explanation"].startswith("不得要求：“无犯罪记录证明")


async def test_repeat_question_is_the_same_answer(client):
    a = await check(client, name="良民证")
    b = await check(client, name="良民证")
    assert a == b


async def test_a_remembered_answer_is_served_before_routing_with_the_same_bytes(client, app):
    """The shortcut in registry.web.door.AnswerDoor: same body and headers, dropped on a list
    change; the key is the parsed question."""
    first = await client.get("/api/v1/check", params={"name": "良民证"})
    key = Lookup.answer_key(Question(name="良民证"), None)
    lookup = worker(app).lookup
    assert lookup.answers.get(key) == first.content
    lookup.answers.put(key, b'{"marker":"from the cache"}', lookup.generation)
    hit = await client.get("/api/v1/check", params={"name": "良民证"})
    assert hit.json() == {"marker": "from the cache"}  # proves the shortcut answered
    list_changed(worker(app))
    again = await client.get("/api/v1/check", params={"name": "良民证"})
    assert again.content == first.content
    third = await client.get("/api/v1/check", params={"name": "良民证"})  # now the shortcut
    assert third.content == first.content
    drop = {"date"}
    assert {k: v for k, v in third.headers.items() if k not in drop} == {
        k: v for k, v in first.headers.items() if k not in drop
    }
    assert third.headers["x-frame-options"] == "DENY"  # the security headers, once each
    assert len(third.headers.get_list("content-security-policy")) == 1


async def test_retained_and_matter(client):
    assert (await check(client, name="出生医学证明", matter="落户"))["may_require"] is True
    other = await check(client, name="出生医学证明", matter="结婚登记")
    assert other["verdict"] == "retained_other_matter" and other["may_require"] is False
    asked = await check(client, name="出生医学证明")
    assert asked["verdict"] == "needs_matter" and asked["may_require"] is False
    [choice] = asked["choices"]
    assert choice["code"] == "CY-ZM-001" and choice["may_require"] is True
    assert choice["url"].startswith("/check?") and "other" not in choice
    none = await check(client, name="出生医学证明", matter=OTHER_MATTER)
    assert none["verdict"] == "retained_other_matter"


async def test_licences_are_out_of_scope(client):
    body = await check(client, name="身份证")
    assert body["verdict"] == "out_of_scope" and body["may_require"] is False
    assert body["licence"]["name"] == "居民身份证" and body["complaint_url"]


@pytest.mark.parametrize(
    "params", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "良民证", "on": "2020-02-30"}]
)
async def test_bad_questions_get_400_with_fields(client, params):
    r = await client.get("/api/v1/check", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and body["errors"] and body["errors"][0]["field"] in ("name", "on")


async def test_date_before_and_after_a_change_of_status(client, conn, app):
    header = [zh for _, zh in transfer.COLUMNS]
    table = [header]
    old = await q.get_latest(conn, "CY-ZM-014")
    assert old is not None
    cells = transfer.to_cells(old)
    retained = {
        "状态": "保留",
        "设定依据": "《中华人民共和国某法》第一条",
        "依据层级": "法律",
        "办理方式类型": "",  # a retained item has no replacement
        "生效日期": "2026-03-01",
    }
    for column, value in retained.items():
        cells[header.index(column)] = value
    table.append(cells)
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert report.applied
    list_changed(worker(app))  # what NOTIFY does for every worker after the commit
    before = await check(client, name="良民证", on="2026-02-28")
    after = await check(client, name="良民证", matter="找工作", on="2026-03-01")
    assert before["verdict"] == "abolished" and not before["may_require"]
    assert after["verdict"] == "retained" and after["may_require"]
    earlier = await check(client, name="良民证", on="2018-06-01")
    assert earlier["verdict"] == "unlisted"  # the list did not exist yet


async def test_verdict_page_says_it_plainly_with_a_complaint_button(client):
    r = await client.get("/check", params={"name": "良民证"})
    assert r.status_code == 200
    assert "不得要求" in r.text and "我要投诉" in r.text
    assert "/complaints/new?certificate_name=" in r.text
    ok = await client.get("/check", params={"name": "出生医学证明", "matter": "落户"})
    assert "可以要求" in ok.text and "我要投诉" not in ok.text
    assert "母婴保健法" in ok.text


async def test_verdict_page_offers_candidates(client):
    r = await client.get("/check", params={"name": "无犯罪记录证"})
    assert "您要查的是不是" in r.text and "无犯罪记录证明（教师资格认定）" in r.text


async def test_empty_question_page_is_400_with_the_form(client):
    r = await client.get("/check", params={"name": " "})
    assert r.status_code == 400 and "请输入" in r.text and "<form" in r.text


async def test_home_search_box_goes_to_the_verdict(client):
    home = (await client.get("/")).text
    assert 'action="/check"' in home and 'name="name"' in home


@pytest.mark.parametrize("q_", ["liangminzheng", "lmz", "良民證", "良民证"])
async def test_list_search_accepts_pinyin_traditional_alias(client, q_):
    body = (await client.get("/api/v1/certificates", params={"q": q_})).json()
    assert "CY-ZM-014" in [c["code"] for c in body["items"]]


async def test_today_is_the_default_date(client, conn):
    s = await q.summary(conn, on=dt.date.today())
    assert s.reviewed == 173
