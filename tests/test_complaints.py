"""Filing and tracking complaints: by API and by form; never lost, duplicated or exposed."""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid

import pytest

from registry.infra import clock
from registry.web.state import worker
from tests.mail_helpers import mails

TODAY = clock.today().isoformat()
PHONE = "13900001234"
EMAIL = "canary-7f3a@example.org"
FILING_TABLES = ("complaints", "complaint_contacts", "complaint_events", "audit_log", "outbox")


def body(**over):
    b = {
        "department": "CY-BM-001",
        "certificate_name": "良民证",
        "matter": "就业",
        "demanded_on": TODAY,
        "place": "政务服务中心 3 号窗口",
        "description": "窗口要求开无犯罪证明",
        "disclosure": "confidential",
        "contact": {"name": "张三", "phone": PHONE, "email": EMAIL},
    }
    b.update(over)
    return b


async def file(client, payload, key=None):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return await client.post("/api/v1/complaints", json=payload, headers=headers)


async def test_file_by_api_and_track(client, conn):
    r = await file(client, body())
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert set(receipt) == {"reference", "access_code", "status", "classification", "deadline"}
    assert receipt["status"] == "submitted" and receipt["classification"] == "abolished"
    assert dt.date.fromisoformat(receipt["deadline"]) > clock.today()
    stored = await conn.fetchrow(
        "SELECT access_code_hash, certificate_code FROM complaints WHERE reference = $1",
        receipt["reference"],
    )
    assert receipt["access_code"] not in stored["access_code_hash"]
    assert stored["certificate_code"] == "CY-ZM-014"
    audit = await conn.fetchrow(
        "SELECT actor, action, after FROM audit_log WHERE entity_id = $1", receipt["reference"]
    )
    assert dict(audit) == {
        "actor": "public",
        "action": "complaint.file",
        "after": {"classification": "abolished"},
    }
    ref = receipt["reference"]
    cid = await conn.fetchval("SELECT id FROM complaints WHERE reference = $1", ref)
    (mail,) = await mails(conn, cid)
    assert mail.recipient == EMAIL and receipt["reference"] in mail.subject
    t = await client.get(
        f"/api/v1/complaints/{receipt['reference']}",
        headers={"X-Access-Code": receipt["access_code"].lower()},
    )
    assert t.status_code == 200
    status = t.json()
    assert status["status"] == "submitted" and status["timeline"][0]["kind"] == "submitted"
    assert PHONE not in t.text and EMAIL not in t.text and "张三" not in t.text


@pytest.mark.parametrize(
    ("name", "matter", "expected"),
    [
        ("良民证", "", "abolished"),
        ("外星人证明", "", "unlisted"),
        ("出生医学证明", "结婚登记", "retained_out_of_scope"),
        ("出生医学证明", "落户", "retained_in_scope"),
        ("出生证明", "上户口", "retained_in_scope"),  # the matter in everyday words
        ("身份证", "", "out_of_scope"),  # a licence: still accepted, the office looks at it
        ("经济困难证明", "", "undetermined"),  # kept for one matter, abolished for others
    ],
)
async def test_classification(client, name, matter, expected):
    r = await file(client, body(certificate_name=name, matter=matter))
    assert r.status_code == 201 and r.json()["classification"] == expected


async def test_classification_uses_the_list_on_the_demand_date(client):
    r = await file(client, body(demanded_on="2018-06-01"))
    assert r.json()["classification"] == "unlisted"  # the list did not exist yet


async def test_replay_gives_the_same_receipt_and_one_complaint(client, conn):
    key = str(uuid.uuid4())
    first = (await file(client, body(), key)).json()
    again = await file(client, body(), key)
    assert again.status_code == 201 and again.json() == first
    assert again.headers["idempotent-replayed"] == "true"
    n = await conn.fetchval("SELECT count(*) FROM complaints WHERE idempotency_key = $1", key)
    assert n == 1


async def test_same_key_other_body_is_422(client):
    key = str(uuid.uuid4())
    await file(client, body(), key)
    r = await file(client, body(matter="别的事"), key)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_missing_key_is_400(client):
    r = await client.post("/api/v1/complaints", json=body())
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    "key", ["order-1", "x" * 15, "x" * 201, "0123456789 abcdef", "投诉-0123456789abcdef"]
)
async def test_guessable_or_malformed_keys_are_400(client, conn, key):
    """A replay hands back the access code, so a key must be as hard to guess as the code."""
    r = await client.post(
        "/api/v1/complaints", json=body(), headers={"Idempotency-Key": key.encode()}
    )
    assert r.status_code == 400
    b = r.json()
    assert set(b) == {"status", "error", "errors"} and b["status"] == 400
    assert b["errors"][0]["field"] == "Idempotency-Key" and "16–200" in b["errors"][0]["message"]
    assert (
        await conn.fetchval("SELECT count(*) FROM complaints WHERE idempotency_key = $1", key) == 0
    )


async def test_keys_of_16_and_200_characters_are_accepted(client):
    for key in ("k" * 15 + "1", "k" * 199 + "2"):
        assert (await file(client, body(), key)).status_code == 201


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"department": ""}, "department"),
        ({"department": "NOPE"}, "department"),
        ({"department": "other"}, "department_other"),
        ({"certificate_name": " "}, "certificate_name"),
        ({"certificate_name": "证" * 101}, "certificate_name"),
        ({"demanded_on": "2020-02-30"}, "demanded_on"),
        ({"demanded_on": "2999-01-01"}, "demanded_on"),
        ({"demanded_on": None}, "demanded_on"),
        ({"disclosure": "public"}, "disclosure"),
        ({"description": "x" * 2001}, "description"),
        ({"contact": {"phone": "abc"}}, "contact.phone"),
        ({"contact": {"email": "not-an-email"}}, "contact.email"),
        ({"contact": None}, "contact.phone"),
        ({"disclosure": "anonymous"}, "contact"),
    ],
)
async def test_invalid_fields_are_named(client, over, field):
    r = await file(client, body(**over))
    assert r.status_code == 422, r.text
    b = r.json()
    assert set(b) == {"status", "error", "errors"} and b["status"] == 422
    assert field in {e["field"] for e in b["errors"]}


async def test_wrong_types_and_unknown_fields_are_400_with_the_shape(client):
    for payload in ({"department": 5}, {"surprise": "x"}, [1, 2]):
        r = await file(client, payload)
        assert r.status_code == 400, payload
        assert set(r.json()) == {"status", "error", "errors"}
    r = await client.post(
        "/api/v1/complaints",
        content=b"{not json",
        headers={"Idempotency-Key": "k1", "content-type": "application/json"},
    )
    assert r.status_code == 400


async def test_open_data_never_carries_the_reference(client):
    """A reference is half of what tracking asks for: the public CSV numbers its rows instead."""
    reference = (await file(client, body())).json()["reference"]
    csv = (await client.get("/stats/complaints.csv")).content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("序号,提交日期,") and len(csv.splitlines()) >= 2
    for url in ("/stats/complaints.csv", "/stats", "/api/v1/stats"):
        assert reference not in (await client.get(url)).text


async def test_anonymous_without_contact_is_fine_and_stores_none(client, conn):
    r = await file(client, body(disclosure="anonymous", contact=None))
    assert r.status_code == 201
    n = await conn.fetchval(
        "SELECT count(*) FROM complaint_contacts cc JOIN complaints c ON c.id = cc.complaint_id"
        " WHERE c.reference = $1",
        r.json()["reference"],
    )
    assert n == 0


async def test_other_department_by_name(client):
    r = await file(client, body(department="other", department_other="某某银行"))
    assert r.status_code == 201


async def test_wrong_code_and_unknown_reference_look_the_same(client):
    receipt = (await file(client, body())).json()
    wrong = await client.get(
        f"/api/v1/complaints/{receipt['reference']}", headers={"X-Access-Code": "AAAAA-AAAAA"}
    )
    unknown = await client.get(
        "/api/v1/complaints/TS20000101-XXXXX", headers={"X-Access-Code": "AAAAA-AAAAA"}
    )
    missing = await client.get(f"/api/v1/complaints/{receipt['reference']}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json() == unknown.json() == missing.json()


async def test_filing_is_rate_limited_per_client(client, app):
    limit = worker(app).settings.filing_limit[0]
    codes = [(await file(client, body())).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [201] * limit
    assert codes[-1] == 429
    r = await file(client, body())
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert set(r.json()) == {"status", "error", "errors"}


async def test_a_refused_filing_writes_nothing(client, app, conn):
    limit = worker(app).settings.filing_limit[0]
    for _ in range(limit):
        assert (await file(client, body())).status_code == 201
    before = [await conn.fetchval(f"SELECT count(*) FROM {t}") for t in FILING_TABLES]
    assert (await file(client, body())).status_code == 429
    assert [await conn.fetchval(f"SELECT count(*) FROM {t}") for t in FILING_TABLES] == before


async def test_invalid_filings_count_against_the_limit_too(client, app):
    limit = worker(app).settings.filing_limit[0]
    codes = [(await file(client, body(certificate_name=""))).status_code for _ in range(limit)]
    assert codes == [422] * limit
    assert (await file(client, body())).status_code == 429


async def test_tracking_is_rate_limited(client, app):
    limit = worker(app).settings.tracking_limit[0]
    for _ in range(limit):
        await client.get("/api/v1/complaints/TS1-X", headers={"X-Access-Code": "x"})
    r = await client.get("/api/v1/complaints/TS1-X", headers={"X-Access-Code": "x"})
    assert r.status_code == 429


# ---- the form ----------------------------------------------------------------------------


async def form_page(client, url="/complaints/new"):
    r = await client.get(url)
    assert r.status_code == 200
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', r.text).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', r.text).group(1)
    return r, csrf, token


def form_data(csrf, token, **over):
    d = {
        "_csrf_token": csrf,
        "form_token": token,
        "department": "CY-BM-002",
        "certificate_name": "健在证明",
        "matter": "养老金领取",
        "demanded_on": TODAY,
        "place": "社保窗口",
        "description": "要求回村开证明",
        "disclosure": "confidential",
        "contact_name": "李四",
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    d.update(over)
    return d


async def test_form_is_prefilled_from_a_verdict(client):
    r, _, _ = await form_page(
        client, "/complaints/new?certificate_name=良民证&matter=就业&department=县公安局"
    )
    assert 'value="良民证"' in r.text and 'value="就业"' in r.text
    assert '<option value="CY-BM-001" selected>' in r.text


async def test_form_files_redirects_to_a_receipt_with_the_code_then_tracks(client, conn):
    _, csrf, token = await form_page(client)
    r = await client.post("/complaints", data=form_data(csrf, token))
    assert r.status_code == 303
    location = r.headers["location"]
    receipt = await client.get(location)
    assert "查询码只在这里显示一次" in receipt.text
    reference = re.search(r"查询编号：<code>([^<]+)</code>", receipt.text).group(1)
    code = re.search(r"查询码：<code>([^<]+)</code>", receipt.text).group(1)
    assert PHONE not in receipt.text and EMAIL not in receipt.text
    # Double-click / refresh-resubmit: the same one-time token gives the same complaint.
    again = await client.post("/complaints", data=form_data(csrf, token))
    assert again.headers["location"] == location
    n = await conn.fetchval("SELECT count(*) FROM complaints WHERE reference = $1", reference)
    assert n == 1
    tracked = await client.post(
        "/complaints/track", data={"_csrf_token": csrf, "reference": reference, "access_code": code}
    )
    assert tracked.status_code == 200 and "已提交，待受理" in tracked.text
    assert PHONE not in tracked.text and EMAIL not in tracked.text
    bad = await client.post(
        "/complaints/track",
        data={"_csrf_token": csrf, "reference": reference, "access_code": "WRONG"},
    )
    assert bad.status_code == 404


async def test_form_errors_rerender_with_every_message_and_the_input_kept(client):
    _, csrf, token = await form_page(client)
    data = form_data(
        csrf,
        token,
        department="",
        demanded_on="2999-01-01",
        contact_phone="abc",
        description="我写的经过要保留",
    )
    r = await client.post("/complaints", data=data)
    assert r.status_code == 422
    for msg in ("请选择向您索要证明的单位", "日期不能晚于今天", "电话号码格式不对"):
        assert msg in r.text
    assert "我写的经过要保留" in r.text and 'value="健在证明"' in r.text
    assert 'value="abc"' in r.text and 'aria-invalid="true"' in r.text


async def test_form_without_csrf_is_refused(client):
    _, csrf, token = await form_page(client)
    data = form_data(csrf, token)
    data.pop("_csrf_token")
    r = await client.post("/complaints", data=data)
    assert r.status_code == 403


async def test_xss_canary_shows_as_text(client):
    canary = "<script>alert('x')</script>"
    _, csrf, token = await form_page(client)
    r = await client.post(
        "/complaints", data=form_data(csrf, token, description=canary, certificate_name=canary)
    )
    page = await client.get(r.headers["location"])
    assert canary not in page.text and "&lt;script&gt;" in page.text
    bad = await client.post(
        "/complaints", data=form_data(csrf, token, description=canary, department="")
    )
    assert canary not in bad.text and "&lt;script&gt;" in bad.text


async def test_contact_canaries_never_leave_through_public_responses_or_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    _, csrf, token = await form_page(client)
    r = await client.post("/complaints", data=form_data(csrf, token))
    receipt = await client.get(r.headers["location"])
    api = (await file(client, body())).json()
    pages = [receipt.text, str(api)]
    for url in (
        "/",
        "/certificates/retained",
        "/certificates/abolished",
        "/api/v1/summary",
        "/downloads/all.csv",
        "/api/v1/certificates?q=良民证",
        "/check?name=良民证",
    ):
        pages.append((await client.get(url)).text)
    for text in [*pages, caplog.text]:
        assert PHONE not in text and EMAIL not in text


async def test_a_taken_reference_is_drawn_again(client, conn, monkeypatch):

    first = (await file(client, body())).json()["reference"]
    draws = iter([first, first, "TS20990101-ZZZZZ"])
    from registry.complaints import cases

    monkeypatch.setattr(cases, "new_reference", lambda today: next(draws))
    r = await file(client, body())
    assert r.status_code == 201 and r.json()["reference"] == "TS20990101-ZZZZZ"


async def test_expired_form_token_keeps_the_input_and_issues_a_new_token(client):
    _, csrf, token = await form_page(client)
    data = form_data(csrf, token, description="过期前写的经过")
    client.cookies.clear()  # the CSRF cookie is gone (expired, or a new browser session)
    r = await client.post("/complaints", data=data)
    assert r.status_code == 403
    assert "过期前写的经过" in r.text and "您填写的内容都还在" in r.text
    fresh = re.search(r'name="_csrf_token" value="([^"]+)"', r.text).group(1)
    again = await client.post("/complaints", data={**data, "_csrf_token": fresh})
    assert again.status_code == 303


async def test_corrected_form_files_on_the_first_resubmit(client):
    _, csrf, token = await form_page(client)
    bad = await client.post("/complaints", data=form_data(csrf, token, certificate_name=""))
    assert bad.status_code == 422
    again = re.search(r'name="_csrf_token" value="([^"]+)"', bad.text).group(1)
    assert len(again) > 20 and "Empty" not in again
    fixed = await client.post("/complaints", data=form_data(again, token))
    assert fixed.status_code == 303
