"""部门核查 (协查) between two departments in real browsers, on phones.

Clerk of department A (县公安局) opens a request → department B (县人力资源和社会保障局)
receives it and answers 属实 → A sees the answer. A second request goes unanswered: its
deadline is moved into the past in the database (time moved, not slept: the live server's clock
cannot be patched from here), so every page flags it 超期 at once; the office 督办s it and B sees
the 督办 on its list and on the request.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import asyncpg
from journey import Shot, staff_login, staff_logout
from playwright.async_api import Page, expect

from registry.accounts import auth
from registry.accounts.queries import users

if TYPE_CHECKING:
    from conftest import OpenedPage, StaffAccount

NewPage = Callable[[str], AbstractAsyncContextManager["OpenedPage"]]
HR = "CY-BM-002"  # 县人力资源和社会保障局
ITEM = "CY-ZM-010"  # 亲属关系证明, abolished


async def fits_the_phone(page: Page) -> None:
    device = (page.viewport_size or {})["width"]
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= device, f"{page.url} is {width} px wide on a {device} px phone"


async def press(page: Page, button: str) -> None:
    """A workflow button: the step saves and redirects back with a flash (PRG)."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()
    assert "msg=" in page.url, f"{button}: no redirect after saving, at {page.url}"
    await expect(page.locator("p.flash")).to_have_text("已保存")
    await expect(page.get_by_role("alert")).to_have_count(0)


async def status_is(page: Page, label: str) -> None:
    await expect(page.locator(".fields dd strong").first).to_have_text(label)


async def open_request(page: Page, question: str) -> str:
    """From the workspace navigation to a sent request; its reference."""
    async with page.expect_navigation():
        await page.get_by_role("link", name="部门核查", exact=True).click()
    async with page.expect_navigation():
        await page.get_by_role("link", name="发起协查", exact=True).click()
    await page.get_by_label("已取消的证明事项").select_option(ITEM)
    await page.get_by_label("被核查部门").select_option(HR)
    await page.get_by_label(re.compile("^办理事项")).fill("办理城乡低保")
    await page.get_by_label("办件编号").fill(f"DB-{uuid.uuid4().hex[:8]}")
    await page.get_by_label("需要核查确认的内容").fill(question)
    await page.get_by_label(re.compile("^申请人")).fill("张三丰 410102199001011234")
    async with page.expect_navigation():
        await page.get_by_role("button", name="发送协查").click()
    heading = await page.locator("h1").inner_text()
    found = re.fullmatch(r"协查 (XC-\d{4}-\d{6,})", heading.strip())
    assert found, heading
    await status_is(page, "待接收")
    return found[1]


async def open_from_list(page: Page, reference: str, query: str = "") -> None:
    await page.goto(f"/staff/verification{query}")
    link = page.get_by_role("link", name=reference, exact=True)
    await expect(link).to_be_visible()
    async with page.expect_navigation():
        await link.click()
    await expect(page.locator("h1")).to_have_text(f"协查 {reference}")


async def test_a_asks_b_answers_and_the_office_urges_an_overdue_one(
    new_page: NewPage,
    staff_accounts: dict[str, StaffAccount],
    browser_database: str,
    shot: Shot,
) -> None:
    police, office = staff_accounts["department"], staff_accounts["supervisor"]
    # Department B's clerk, with the same password as the accounts the CLI made.
    hr = type(police)(f"hr{os.getpid()}", police.password, "department", HR)
    conn = await asyncpg.connect(browser_database)
    try:
        await users.insert_user(
            conn, username=hr.username, display_name=hr.username,
            password_hash=auth.hash_password(hr.password), role="department", department_code=HR,
        )  # fmt: skip
    finally:
        await conn.close()
    question = f"申请人与张四是否为父子关系（{uuid.uuid4().hex[:6]}）"
    async with new_page("phone") as a, new_page("phone") as b, new_page("phone") as sup:
        # A opens a request; the list masks the applicant.
        await staff_login(a.page, police)
        first = await open_request(a.page, question)
        await shot(a.page, "verification-01-sent")
        await a.page.goto("/staff/verification?box=outgoing")
        await expect(a.page.get_by_role("link", name=first, exact=True)).to_be_visible()
        assert "张三丰" not in await a.page.content()
        await fits_the_phone(a.page)
        # B receives it and answers 属实.
        await staff_login(b.page, hr)
        await open_from_list(b.page, first)
        await expect(b.page.get_by_text("张三丰 410102199001011234")).to_be_visible()
        await press(b.page, "接收")
        await status_is(b.page, "已接收")
        await b.page.get_by_role("radio", name="属实", exact=True).check()
        await b.page.get_by_label("说明（可选）").fill("户籍档案载明父子关系")
        await shot(b.page, "verification-02-answer-form")
        await press(b.page, "提交答复")
        await status_is(b.page, "已答复")
        # A sees the answer.
        await a.page.goto(f"/staff/verification/{first}")
        await status_is(a.page, "已答复")
        await expect(a.page.locator(".fields")).to_contain_text("属实")
        await expect(a.page.locator(".fields")).to_contain_text("户籍档案载明父子关系")
        await shot(a.page, "verification-03-answer-seen")

        # A second request nobody answers; its deadline passes (moved, not waited for).
        second = await open_request(a.page, question + "（二）")
        conn = await asyncpg.connect(browser_database)
        try:
            await conn.execute(
                "UPDATE verification_requests SET due_at = now() - interval '1 minute',"
                " created_at = created_at - interval '1 day' WHERE reference = $1",
                second,
            )
        finally:
            await conn.close()
        # The office finds it among the overdue ones and 督办s it.
        await staff_login(sup.page, office)
        await open_from_list(sup.page, second, "?status=overdue")
        await expect(sup.page.locator(".fields .badge-abolished")).to_have_text("超期")
        await sup.page.get_by_label("督办说明（可选）").fill("请今日内答复")
        await press(sup.page, "督办")
        await shot(sup.page, "verification-04-urged")
        await fits_the_phone(sup.page)
        # B sees the 督办 on its list and on the request.
        await b.page.goto("/staff/verification")
        row = b.page.locator("tr", has=b.page.get_by_role("link", name=second, exact=True))
        await expect(row.locator(".badge-warn")).to_have_text("督办")
        await expect(row.locator(".badge-abolished")).to_have_text("超期")
        await open_from_list(b.page, second)
        await expect(b.page.get_by_role("alert")).to_contain_text("监督部门已督办 1 次")
        await expect(b.page.locator(".timeline")).to_contain_text("请今日内答复")
        await shot(b.page, "verification-05-urged-seen")
        await fits_the_phone(b.page)
        for who in (a, b, sup):
            await staff_logout(who.page)
            assert who.problems == []
