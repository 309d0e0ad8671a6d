"""告知承诺 through the pages: the printable form, signing (every field error, input kept, CSRF),
the receipt, the clerk's lookup (own department only; the office sees all), the check (once,
compare-and-set, audited), the office's form versions, the public figures, and the signer's ID
number nowhere but on the clerk's detail page."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from registry.complaints.queries.stats import MIN_CASES
from tests.commitment_helpers import (
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    CODE,
    DEPT_A,
    form_token,
    sign,
    sign_directly,
    signed_reference,
)
from tests.staff_helpers import DEPT_B, csrf, login, make_user


@pytest.fixture
async def staff(app, conn):  # type: ignore[no-untyped-def]
    await make_user(conn, "depa", "department", DEPT_A)
    await make_user(conn, "depb", "department", DEPT_B)
    await make_user(conn, "sup", "supervisor")
    out = {}
    for name in ("depa", "depb", "sup"):
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        assert (await login(c, name)).status_code == 303
        out[name] = c
    yield out
    for c in out.values():
        await c.aclose()


async def test_the_form_is_one_printable_page_with_the_six_fields_and_a_qr_code(client):
    r = await client.get(f"/certificates/{CODE}/commitment")
    assert r.status_code == 200
    for label in ("事项名称", "设定依据", "证明内容或义务", "承诺方式", "不实承诺的法律责任",
                  "核查的方式与时间"):  # fmt: skip
        assert f"<dt>{label}</dt>" in r.text
    assert re.search(r'<svg[^>]*class="qr"', r.text) and "/static/paper.css" in r.text
    assert f"http://testserver/certificates/{CODE}/commitment" in r.text
    item = await client.get(f"/certificates/{CODE}")
    assert f"/certificates/{CODE}/commitment/sign" in item.text
    retained = await client.get("/certificates/CY-ZM-001")
    assert "/commitment/sign" not in retained.text
    assert (await client.get("/certificates/CY-NO-999/commitment")).status_code == 404


async def test_signing_shows_every_error_and_keeps_what_was_typed(client):
    r = await sign(client, department="", matter="", name="", id_number="410728199003071230",
                   phone="123", pledge="")  # fmt: skip
    assert r.status_code == 422
    for field in ("department", "matter", "name", "id_number", "phone", "pledge"):
        assert f'id="{field}-error"' in r.text, field
    assert 'value="410728199003071230"' in r.text and 'value="123"' in r.text
    r = await sign(client, matter="申请低保", name="")
    assert r.status_code == 422
    assert 'value="申请低保"' in r.text and f'value="{CANARY_ID}"' in r.text
    assert re.search(r'<option[^>]*value="CY-BM-001"[^>]*selected', r.text)


async def test_a_stale_page_keeps_the_input_and_asks_again(client):
    await form_token(client)
    r = await client.post(
        f"/certificates/{CODE}/commitment/sign",
        data={"_csrf_token": "forged", "matter": "申请低保", "name": CANARY_NAME},
    )
    assert r.status_code == 403 and 'value="申请低保"' in r.text


async def test_the_receipt_gives_the_reference_and_masks_the_signer(client, conn):
    r = await sign(client)
    assert r.status_code == 303
    reference = r.headers["location"].split("/")[2]
    assert re.fullmatch(r"CN-\d{4}-\d{6,}", reference)
    page = await client.get(r.headers["location"])
    assert page.status_code == 200 and reference in page.text
    assert CANARY_ID not in page.text and CANARY_PHONE not in page.text
    assert CANARY_ID[:3] + "*" * 13 + CANARY_ID[-2:] in page.text
    # Another browser sees the reference it typed, nothing looked up.
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as other:
        elsewhere = await other.get(r.headers["location"])
    assert elsewhere.status_code == 200 and "金" not in elsewhere.text
    row = await conn.fetchrow("SELECT * FROM commitment_signers")
    assert row["id_number"] == CANARY_ID


async def test_the_clerk_finds_it_only_in_their_own_department(client, staff):
    reference = await signed_reference(client)
    found = await staff["depa"].get("/staff/commitments", params={"ref": reference.lower()})
    assert found.status_code == 302
    detail = await staff["depa"].get(found.headers["location"])
    assert detail.status_code == 200 and CANARY_ID in detail.text and CANARY_PHONE in detail.text
    lookup = await staff["depb"].get("/staff/commitments", params={"ref": reference})
    assert lookup.status_code == 200 and 'id="ref-error"' in lookup.text
    assert f'/staff/commitments/{reference}"' not in lookup.text
    assert (await staff["depb"].get(f"/staff/commitments/{reference}")).status_code == 404
    office = await staff["sup"].get(f"/staff/commitments/{reference}")
    assert office.status_code == 200 and CANARY_NAME in office.text
    assert CANARY_ID not in office.text and CANARY_PHONE not in office.text


async def _check(c: httpx.AsyncClient, reference: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    token = await csrf(c)
    return await c.post(
        f"/staff/commitments/{reference}/{action}", data={"_csrf_token": token, **form}
    )


async def test_the_check_is_recorded_once_and_audited(client, staff, conn):
    reference = await signed_reference(client)
    r = await _check(staff["depb"], reference, "check", expected="signed", result="untrue")
    assert r.status_code == 404
    r = await _check(staff["depa"], reference, "check", expected="signed", result="untrue")
    assert r.status_code == 422 and 'id="note-error"' in r.text
    r = await _check(staff["depa"], reference, "check", expected="signed", result="untrue",
                     note="婚姻登记记录与承诺不符")  # fmt: skip
    assert r.status_code == 303
    again = await _check(staff["depa"], reference, "check", expected="signed", result="true")
    assert again.status_code == 409
    page = await staff["depa"].get(f"/staff/commitments/{reference}")
    assert "婚姻登记记录与承诺不符" in page.text and "/correct" not in page.text
    r = await _check(staff["depa"], reference, "correct", expected="checked", result="true",
                     note="x")  # fmt: skip
    assert r.status_code == 422  # the department's role cannot correct
    r = await _check(staff["sup"], reference, "correct", expected="checked", result="true",
                     note="复核属实")  # fmt: skip
    assert r.status_code == 303
    actions = await conn.fetch(
        "SELECT actor, action FROM audit_log WHERE entity_id = $1 ORDER BY id", reference
    )
    assert [(a["actor"], a["action"]) for a in actions] == [
        ("public", "commitment.sign"), ("depa", "commitment.check"), ("sup", "commitment.correct")
    ]  # fmt: skip


async def test_the_office_edits_the_form_as_a_new_version(staff, client, conn):
    page = await staff["sup"].get(f"/staff/commitment-forms/{CODE}")
    assert page.status_code == 200
    expected = re.search(r'name="expected" value="(\d+)"', page.text).group(1)
    token = await csrf(staff["sup"])
    base = {"_csrf_token": token, "item_name": "婚姻状况证明", "basis": "民政部文件",
            "obligation": "本人婚姻状况如实填写", "liability": "依法追究责任",
            "check_method": "婚姻登记信息系统核查", "check_days": "5",
            "reason": "按新规修改"}  # fmt: skip
    wrong = {**base, "check_days": "0", "reason": "", "expected": expected}
    bad = await staff["sup"].post(f"/staff/commitment-forms/{CODE}", data=wrong)
    assert bad.status_code == 422 and 'value="民政部文件"' not in bad.text  # textarea keeps it
    assert "民政部文件" in bad.text and 'id="reason-error"' in bad.text
    ok = await staff["sup"].post(
        f"/staff/commitment-forms/{CODE}",
        data={**base, "expected": expected, "methods": ["在线签署"]},
    )
    assert ok.status_code == 303, ok.text[:400]
    stale = await staff["sup"].post(
        f"/staff/commitment-forms/{CODE}",
        data={**base, "expected": expected, "methods": "书面承诺"},
    )
    assert stale.status_code == 409
    public = await client.get(f"/certificates/{CODE}/commitment")
    assert "婚姻登记信息系统核查" in public.text and "5 个工作日" in public.text
    versions = await conn.fetchval("SELECT count(*) FROM commitment_forms WHERE code = $1", CODE)
    assert versions == 2
    audit = await conn.fetchrow(
        "SELECT actor, reason FROM audit_log WHERE action = 'commitment_form.edit'"
    )
    assert (audit["actor"], audit["reason"]) == ("sup", "按新规修改")
    assert (await staff["depa"].get(f"/staff/commitment-forms/{CODE}")).status_code == 403


async def test_the_untrue_share_shows_only_at_the_minimum_volume(client, staff, conn):
    refs = await sign_directly(conn, MIN_CASES - 1)
    r = await _check(staff["depa"], refs[0], "check", expected="signed", result="untrue",
                     note="不符")  # fmt: skip
    assert r.status_code == 303
    below = await client.get("/stats/commitments")
    assert f'/certificates/{CODE}"' not in below.text
    await sign_directly(conn, 1)
    above = await client.get("/stats/commitments")
    row = re.search(rf'/certificates/{CODE}".*?</tr>', above.text, re.S).group(0)
    assert f"<td>{MIN_CASES}</td>" in row and "<td>1（100%）</td>" in row  # 1 checked, 1 untrue
    assert "/stats/commitments" in (await client.get("/stats")).text


async def test_the_id_number_is_nowhere_but_on_the_clerks_detail(client, staff, caplog):
    caplog.set_level(logging.DEBUG)
    reference = await signed_reference(client)
    await _check(staff["depa"], reference, "check", expected="signed", result="true")
    pages = [
        (client, f"/certificates/{CODE}"),
        (client, f"/certificates/{CODE}/commitment"),
        (client, f"/commitments/{reference}/receipt"),
        (client, "/stats/commitments"),
        (client, "/stats"),
        (client, "/stats/complaints.csv"),
        (client, "/api/v1/stats"),
        (staff["depa"], "/staff/commitments"),
        (staff["sup"], "/staff/commitments"),
        (staff["sup"], f"/staff/commitments/{reference}"),
        (staff["sup"], "/staff/audit"),
    ]
    for c, url in pages:
        r = await c.get(url)
        assert r.status_code == 200, url
        assert CANARY_ID not in r.text and CANARY_PHONE not in r.text, url
    assert CANARY_ID not in caplog.text and CANARY_PHONE not in caplog.text
    assert CANARY_ID in (await staff["depa"].get(f"/staff/commitments/{reference}")).text


async def test_signing_is_rate_limited_and_keeps_the_input(conn, settings):
    import msgspec

    from registry.infra.db import SingleConnectionPool
    from registry.web.app import create_app

    tight = msgspec.structs.replace(settings, filing_limit=(2, 600))
    app = create_app(tight, pool=SingleConnectionPool(conn))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        assert (await sign(c, name="")).status_code == 422  # invalid attempts count too
        assert (await sign(c)).status_code == 303
        r = await sign(c, matter="第三次")
        assert r.status_code == 429 and 'value="第三次"' in r.text
