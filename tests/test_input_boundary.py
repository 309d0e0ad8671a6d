"""Text from outside meets one boundary (registry.web.inputguard): a NUL or other control
character anywhere is a 4xx naming the field, never a 500; a form comes back with the rest kept.
Also: huge page numbers (L4), deeply nested JSON (L5) and list-like e-mail addresses (L7)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from registry.infra import clock
from tests.staff_helpers import DEPT_A, complaint_id, file_complaint, login, make_user, post_form

TODAY = clock.today().isoformat()


def named(r: httpx.Response, field: str) -> bool:
    """The response names the field: in the JSON error shape, or on the HTML error page."""
    if r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        return set(body) == {"status", "error", "errors"} and field in {
            e["field"] for e in body["errors"]
        }
    return f"<strong>{field}</strong>" in r.text


@pytest.fixture
async def sup(app, conn):
    await make_user(conn, "sup-input", "supervisor")
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await login(c, "sup-input")).status_code == 303
    yield c
    await c.aclose()


PUBLIC_URLS = [
    ("/api/v1/certificates?q=%00", "q"),
    ("/api/v1/certificates?department=%00", "department"),
    ("/api/v1/certificates?domain=a%00", "domain"),
    ("/api/v1/certificates?replacement=%00", "replacement"),
    ("/certificates/abolished?q=a%00", "q"),
    ("/certificates/CY%00", "code"),
    ("/api/v1/certificates/CY%00", "code"),
    ("/api/v1/complaints/TS%00", "reference"),
    ("/complaints/new?department=%00", "department"),
    ("/api/v1/check?name=a%00b", "name"),
    ("/check?name=a%00b", "name"),
    ("/api/v1/certificates?q=a%01b", "q"),  # other C0 controls
    ("/api/v1/certificates?q=a%C2%85b", "q"),  # C1 (NEL)
    ("/certificates/abolished?q=%ED%A0%80", "q"),  # not UTF-8 (a surrogate): replaced, fine
]


@pytest.mark.parametrize(("url", "field"), PUBLIC_URLS)
async def test_public_urls_refuse_control_characters_naming_the_field(client, url, field):
    r = await client.get(url)
    if "%ED%A0%80" in url:  # decoded as U+FFFD, which is allowed text
        assert r.status_code == 200
        return
    assert r.status_code == 400, (url, r.status_code, r.text[:300])
    assert named(r, field), r.text[:500]
    assert "Traceback" not in r.text


STAFF_URLS = [
    ("/staff/complaints?department=%00", "department"),
    ("/staff/list?q=%00", "q"),
    ("/staff/audit?action=%00", "action"),
    ("/staff/list/CY%00", "code"),
]


@pytest.mark.parametrize(("url", "field"), STAFF_URLS)
async def test_staff_urls_refuse_control_characters_naming_the_field(sup, url, field):
    r = await sup.get(url)
    assert r.status_code == 400, (url, r.status_code, r.text[:300])
    assert named(r, field)


def complaint_body(**over):
    b = {
        "department": DEPT_A,
        "certificate_name": "良民证",
        "matter": "就业",
        "demanded_on": TODAY,
        "disclosure": "confidential",
        "contact": {"name": "张三", "phone": "13900001234", "email": "a@example.org"},
    }
    return b | over


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"certificate_name": "a\u0000b"}, "certificate_name"),
        ({"matter": "x\u0007"}, "matter"),
        ({"place": "\u009b"}, "place"),
        ({"description": "ok\u0000"}, "description"),
        ({"department": "CY\u0000"}, "department"),
        ({"contact": {"name": "\u0000", "phone": "13900001234"}}, "contact.name"),
        ({"contact": {"phone": "13900001234", "email": "a@b.c\u0000"}}, "contact.email"),
    ],
)
async def test_filing_api_refuses_control_characters_naming_the_field(client, conn, over, field):
    before = await conn.fetchval("SELECT count(*) FROM complaints")
    r = await client.post(
        "/api/v1/complaints",
        json=complaint_body(**over),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code in (400, 422), r.text
    assert named(r, field), r.text
    assert await conn.fetchval("SELECT count(*) FROM complaints") == before


async def test_filing_api_checks_text_plain_json_too(client):
    r = await client.post(
        "/api/v1/complaints",
        content=b'{"certificate_name": "a\\u0000b"}',
        headers={"Idempotency-Key": str(uuid.uuid4()), "content-type": "text/plain"},
    )
    assert r.status_code in (400, 422) and named(r, "certificate_name")


async def complaint_form(client):
    page = await client.get("/complaints/new")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    return {
        "_csrf_token": csrf,
        "form_token": token,
        "department": "CY-BM-002",
        "certificate_name": "健在证明",
        "matter": "养老金领取",
        "demanded_on": TODAY,
        "place": "社保窗口",
        "description": "我写的经过要保留",
        "disclosure": "confidential",
        "contact_name": "李四",
        "contact_phone": "13900001234",
        "contact_email": "li@example.org",
    }


@pytest.mark.parametrize(
    "field",
    ["certificate_name", "matter", "place", "description", "contact_name", "contact_email"],
)
async def test_complaint_form_comes_back_with_the_field_named_and_the_rest_kept(
    client, conn, field
):
    data = await complaint_form(client)
    typed = data[field]
    data[field] = typed[:2] + "\x00" + typed[2:]
    before = await conn.fetchval("SELECT count(*) FROM complaints")
    r = await client.post("/complaints", data=data)
    assert r.status_code == 422, r.text[:500]
    assert f'href="#{field}"' in r.text and "控制字符" in r.text
    for name in ("certificate_name", "matter", "place", "contact_name", "contact_email"):
        assert f'value="{data[name].replace(chr(0), "")}"' in r.text, name
    assert data["description"].replace("\x00", "") in r.text
    assert "\x00" not in r.text
    assert await conn.fetchval("SELECT count(*) FROM complaints") == before


async def test_tracking_form_and_login_refuse_control_characters(client, conn):
    page = await client.get("/complaints/track")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    r = await client.post(
        "/complaints/track", data={"_csrf_token": csrf, "reference": "TS\x00", "access_code": "x"}
    )
    assert 400 <= r.status_code < 500 and named(r, "reference")
    await make_user(conn, "nul-login", "supervisor")
    r = await login(client, "nul\x00-login")
    assert 400 <= r.status_code < 500 and named(r, "username"), r.text[:500]


@pytest.mark.parametrize(
    ("action", "fields", "field"),
    [
        ("note", {"note": "内部\x00备注"}, "note"),
        ("reveal", {"reason": "核实\x00"}, "reason"),
    ],
)
async def test_staff_forms_come_back_with_422_naming_the_field(
    sup, app, conn, action, fields, field
):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as public:
        cid = await complaint_id(conn, await file_complaint(public))
    status = await conn.fetchval("SELECT status FROM complaints WHERE id=$1", cid)
    r = await post_form(sup, f"/staff/complaints/{cid}/{action}", {"expected": status, **fields})
    assert r.status_code == 422, r.text[:500]
    assert f"{field}：" in r.text and "控制字符" in r.text
    audits = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action IN ('contact.reveal', 'complaint.note')"
    )
    assert audits == 0


async def test_calendar_form_comes_back_with_422_naming_the_note(sup, conn):
    r = await post_form(
        sup, "/staff/calendar", {"day": "2030-05-06", "kind": "holiday", "note": "放\x00假"}
    )
    assert r.status_code == 422 and (named(r, "note") or "note：" in r.text)
    saved = "SELECT count(*) FROM calendar_overrides WHERE day='2030-05-06'"
    assert await conn.fetchval(saved) == 0


def _fill(path: str, value: str) -> str:
    """A concrete URL for a route template: int parameters 1, others the value."""

    def one(m: re.Match[str]) -> str:
        return "1" if m.group(2) == "int" else value

    return re.sub(r"\{(\w+):(\w+)\}", one, path)


async def test_every_route_refuses_nul_in_a_query_parameter(app, client):
    """The route table walked: every method and path, anonymous, with ?q=%00 (and, for
    text path parameters, a NUL in the path): 4xx naming the field, never a 5xx."""
    seen = 0
    for route in app.routes:
        for method in sorted(getattr(route, "methods", {"GET"}) - {"OPTIONS", "HEAD"}):
            for path in {_fill(route.path, "x"), _fill(route.path, "x%00")}:
                r = await client.request(method, path + "?q=%00")
                assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:300])
                if r.status_code == 400:
                    assert named(r, "q") or "%00" in path, (method, path, r.text[:300])
                seen += 1
    assert seen > 50


async def test_every_text_path_parameter_refuses_nul(app, client):
    for route in app.routes:
        if ":str}" not in route.path:
            continue
        for method in sorted(getattr(route, "methods", {"GET"}) - {"OPTIONS", "HEAD"}):
            path = _fill(route.path, "a%00")
            r = await client.request(method, path)
            assert 400 <= r.status_code < 500, (method, path, r.status_code)


# ---- L4: page numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/staff/complaints?page_no=99999999999999999999",
        "/staff/audit?page_no=999999999999999999",
        "/staff/complaints?page_no=-99999999999999999999",
        "/staff/audit?page_no=0",
        "/staff/list?page=99999999999999999999",
    ],
)
async def test_huge_page_numbers_are_clamped(sup, url):
    r = await sup.get(url)
    assert r.status_code == 200, r.text[:300]


# ---- L5: nesting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "[" * 1000 + "]" * 1000,
        '{"department":' + "[" * 1000 + "]" * 1000 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"contact":' + '{"a":' * 200 + "1" + "}" * 200 + "}",
    ],
)
async def test_deeply_nested_json_is_400_in_the_error_shape(client, payload):
    r = await client.post(
        "/api/v1/complaints",
        content=payload.encode(),
        headers={"Idempotency-Key": str(uuid.uuid4()), "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text[:300]
    assert set(r.json()) == {"status", "error", "errors"}


# ---- L7: e-mail addresses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "a@b.c,evil",
        'a@b.c>"<evil',
        "a@b.c;x",
        "Name <a@b.cn>",
        '"a b"@example.org',
        "a@b.c x@y.z",
        "a@@b.cn",
        "a@b",
        "a..b@example.org",
        "a@-b.cn",
        "a@b.cn，x",
    ],
)
async def test_email_must_be_one_plain_address(client, email):
    contact = {"phone": "13900001234", "email": email}
    r = await client.post(
        "/api/v1/complaints",
        json=complaint_body(contact=contact),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 422 and named(r, "contact.email"), (email, r.text)


@pytest.mark.parametrize("email", ["a@example.org", "x.y+z_1@qq.com", "li@例子.中国"])
async def test_plain_addresses_are_accepted(client, email):
    r = await client.post(
        "/api/v1/complaints",
        json=complaint_body(contact={"email": email}),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text


async def test_complaint_form_names_a_list_like_email(client):
    data = await complaint_form(client)
    data["contact_email"] = "li@example.org;x"  # the old rule let this through
    r = await client.post("/complaints", data=data)
    assert r.status_code == 422 and 'href="#contact_email"' in r.text
    assert "我写的经过要保留" in r.text
