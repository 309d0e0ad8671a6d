"""A complaint's whole life in a real browser, on a phone and on a desktop.

citizen files (form) → supervisor: 受理, 转办 县公安局 → department: 提交反馈 → supervisor: 办结,
记录回访 满意 → the citizen's tracking page. Each actor has their own browser context (their
own cookies); the staff accounts are made with the real CLI (`staff_accounts` in conftest).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from journey import (
    CLOSED,
    POLICE_NAME,
    Contact,
    Receipt,
    Shot,
    act,
    file_complaint_via_form,
    open_from_queue,
    staff_login,
    staff_logout,
    track,
)
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from conftest import OpenedPage, StaffAccount

NewPage = Callable[[str], AbstractAsyncContextManager["OpenedPage"]]
CERTIFICATE = "无犯罪记录证明（村居出具）"
# The timeline notes each step writes (registry/complaints/workflow.py), in order.
RESULT = "窗口已改为告知承诺制办理，今后不再索要这个证明。"
STEPS = [
    "已受理",
    f"已转交{POLICE_NAME}办理",
    "部门反馈：情况属实",
    f"已办结：{RESULT}",
    "已回访：满意",
]


async def status_is(page: Page, label: str) -> None:
    await expect(page.locator(".fields dd strong").first).to_have_text(label)


async def no_contact(page: Page, contact: Contact, who: str) -> None:
    assert contact.leaks_in(await page.content()) == [], f"{who} sees the contact data"


async def supervisor_accepts_and_assigns(
    page: Page, account: StaffAccount, receipt: Receipt, contact: Contact, shot: Shot
) -> None:
    await staff_login(page, account)
    await expect(page.locator("h1")).to_have_text("投诉办理")
    await shot(page, "staff-01-queue")
    await open_from_queue(page, receipt.reference)
    await status_is(page, "已提交，待受理")
    # The office sees that contact exists, but only a reason-and-audit "reveal" shows it.
    await expect(page.get_by_role("button", name="查看联系方式")).to_be_visible()
    await no_contact(page, contact, "the supervisor, before revealing,")
    await shot(page, "staff-02-detail")
    await act(page, "受理")
    await status_is(page, "已受理")
    await page.get_by_label("承办部门").select_option(label=POLICE_NAME)
    await act(page, "转办")
    await status_is(page, "已转办，部门办理中")
    await shot(page, "staff-03-assigned")
    await staff_logout(page)


async def department_replies(
    page: Page, account: StaffAccount, receipt: Receipt, contact: Contact, shot: Shot
) -> None:
    await staff_login(page, account)
    await expect(page.locator("h1")).to_have_text("投诉办理（本部门）")
    await open_from_queue(page, receipt.reference)
    await no_contact(page, contact, "the department complained about")
    await expect(page.get_by_role("button", name="查看联系方式")).to_have_count(0)
    await expect(page.get_by_role("button", name="受理", exact=True)).to_have_count(0)
    await page.get_by_role("radio", name="情况属实").check()
    await page.get_by_label("处理情况").fill("已约谈窗口工作人员，当场改为告知承诺制办理。")
    await shot(page, "staff-04-reply")
    await act(page, "提交反馈")
    await status_is(page, "部门已反馈")
    await staff_logout(page)


async def supervisor_closes(
    page: Page, account: StaffAccount, receipt: Receipt, shot: Shot
) -> None:
    await staff_login(page, account)
    await open_from_queue(page, receipt.reference)
    await page.get_by_label(re.compile("^办理结果")).fill(RESULT)
    await act(page, "办结")
    await status_is(page, CLOSED)
    await page.get_by_role("radio", name="满意", exact=True).check()
    await act(page, "记录回访")
    await status_is(page, CLOSED)
    await expect(page.get_by_role("button", name="记录回访")).to_have_count(0)
    timeline = [t.strip() for t in await page.locator("ol.timeline li").all_inner_texts()]
    for step in STEPS:
        assert any(step in t for t in timeline), f"{step!r} missing from the timeline {timeline}"
    positions = [next(i for i, t in enumerate(timeline) if step in t) for step in STEPS]
    assert positions == sorted(positions), timeline
    await shot(page, "staff-05-closed")
    await staff_logout(page)


async def test_complaint_life(
    page: Page,
    new_page: NewPage,
    staff_accounts: dict[str, StaffAccount],
    shot: Shot,
) -> None:
    viewport = "phone" if (page.viewport_size or {}).get("width", 0) < 600 else "desktop"
    contact = Contact.unique()
    receipt = await file_complaint_via_form(
        page, CERTIFICATE, contact, description=f"办事窗口仍要村里开证明。{uuid.uuid4().hex[:8]}"
    )
    async with new_page(viewport) as office:
        await supervisor_accepts_and_assigns(
            office.page, staff_accounts["supervisor"], receipt, contact, shot
        )
        assert office.problems == []
    async with new_page(viewport) as police:
        await department_replies(police.page, staff_accounts["department"], receipt, contact, shot)
        assert police.problems == []
    async with new_page(viewport) as office:
        await supervisor_closes(office.page, staff_accounts["supervisor"], receipt, shot)
        assert office.problems == []

    await track(page, receipt)
    await status_is(page, CLOSED)
    public = [t.strip() for t in await page.locator("ol.timeline li").all_inner_texts()]
    for step in STEPS:
        assert any(step in t for t in public), f"{step!r} missing from the public timeline {public}"
    assert not any(re.search(r"内部", t) for t in public), public
    await no_contact(page, contact, "the public tracking page")
    await shot(page, "staff-06-citizen-tracking")


LONG_URL = (
    "https://www.changyuan.gov.cn/zwgk/tzgg/2026/0105/guanyu-jinyibu-zuohao-zhengming-shixiang.html"
)


async def test_long_text_does_not_widen_the_phone_page(
    new_page: NewPage, staff_accounts: dict[str, StaffAccount], shot: Shot
) -> None:
    async with new_page("phone") as citizen:
        receipt = await file_complaint_via_form(
            citizen.page,
            CERTIFICATE,
            Contact.unique(),
            description=f"窗口让我看这个网址：{LONG_URL}",
        )
    async with new_page("phone") as office:
        page = office.page
        await staff_login(page, staff_accounts["supervisor"])
        await open_from_queue(page, receipt.reference)
        await expect(page.locator("dd.pre")).to_contain_text(LONG_URL)
        await shot(page, "staff-07-long-text")
        # A mobile browser widens its layout viewport to the content (innerWidth grows too), so
        # the page is measured against the device width.
        device = (page.viewport_size or {})["width"]
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= device, f"the page is {width} px wide on a {device} px wide phone"
