"""The office's page of 协查 notice addresses: set, change and clear one; a bad address is
sent back with the input kept; every change audited; notices then go to the address."""

from __future__ import annotations

from registry.verification import service
from registry.workflow.engine import Actor
from tests.staff_helpers import DEPT_A, login, make_user, post_form

B = "CY-BM-002"
FORM = {
    "code": "CY-ZM-010",
    "to_department": B,
    "matter": "办理低保",
    "case_ref": "DB-2026-0042",
    "question": "申请人与张四是否为父子关系",
    "applicant": "张三丰",
}


async def test_the_office_sets_an_address_and_notices_go_there(client, conn):  # type: ignore[no-untyped-def]
    await make_user(conn, "office1", "supervisor")
    await login(client, "office1")
    page = await client.get("/staff/verification-mailboxes")
    assert page.status_code == 200 and "未设定" in page.text
    bad = await post_form(
        client, "/staff/verification-mailboxes", {"owner": B, "email": "民政局邮箱"}
    )
    assert bad.status_code == 422
    assert "请填写有效的电子邮箱" in bad.text and 'value="民政局邮箱"' in bad.text
    nobody = await post_form(client, "/staff/verification-mailboxes", {"owner": "XX", "email": ""})
    assert nobody.status_code == 422 and "请选择一个部门" in nobody.text
    ok = await post_form(
        client, "/staff/verification-mailboxes", {"owner": B, "email": "xiecha@mz.example.gov.cn"}
    )
    assert ok.status_code == 303
    assert "xiecha@mz.example.gov.cn" in (await client.get("/staff/verification-mailboxes")).text
    opened = await service.open_request(conn, Actor("clerk_a", "department", DEPT_A), FORM)
    recipients = await conn.fetch(
        "SELECT recipient FROM outbox WHERE params->>'reference' = $1", opened.reference
    )
    assert [r["recipient"] for r in recipients] == ["xiecha@mz.example.gov.cn"]
    cleared = await post_form(client, "/staff/verification-mailboxes", {"owner": B, "email": ""})
    assert cleared.status_code == 303
    audit = await conn.fetch(
        "SELECT before, after FROM audit_log WHERE action = 'verification.mailbox' ORDER BY id"
    )
    assert [(a["before"], a["after"]) for a in audit] == [
        (None, {"email": "xiecha@mz.example.gov.cn"}),
        ({"email": "xiecha@mz.example.gov.cn"}, None),
    ]


async def test_departments_cannot_change_addresses(client, conn):  # type: ignore[no-untyped-def]
    await make_user(conn, "clerk_a", "department", DEPT_A)
    await login(client, "clerk_a")
    assert (await client.get("/staff/verification-mailboxes")).status_code == 403
    posted = await post_form(
        client, "/staff/verification-mailboxes", {"owner": B, "email": "a@b.cn"}
    )
    assert posted.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM verification_mailboxes") == 0
