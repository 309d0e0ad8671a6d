"""The full life of a complaint with an extension and a reopen, on phones, checked on the
citizen's tracking page after every step: the deadline, its working-day count and reason, the
result written at closing, and the satisfaction the citizen records there.

citizen files → office 受理, 转办 → department 延期 (20 个工作日 + reason) → department 反馈 →
office 办结 with a result → citizen 不满意 on the tracking page (reopened: a clean 15-day
deadline, no old extension reason) → department 反馈 → office 办结 again → citizen 满意.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from journey import (
    CLOSED,
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
Accounts = dict[str, "StaffAccount"]
EXTENSION = "需调取窗口监控录像核实"
RESULT_1 = "经核查，窗口确曾索要村委会证明，已责令改正并改为告知承诺制。"
RESULT_2 = "已再次约谈窗口负责人，窗口张贴了清单，今后不再索要这个证明。"
COMPLAINT = "窗口仍然不收告知承诺书，还是让我回村里开证明。"


async def fits_the_phone(page: Page) -> None:
    device = (page.viewport_size or {})["width"]
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= device, f"{page.url} is {width} px wide on a {device} px phone"


async def see(page: Page, receipt: Receipt, status: str, deadline: str | None) -> None:
    """The tracking page (reference and code typed again): status and the deadline's words."""
    await track(page, receipt)
    await expect(page.locator(".fields dd strong").first).to_have_text(status)
    if deadline is not None:
        await expect(page.locator("#deadline")).to_contain_text(deadline)
    await fits_the_phone(page)


async def as_staff(
    new_page: NewPage,
    account: StaffAccount,
    reference: str,
    step: Callable[[Page], Awaitable[None]],
) -> None:
    """One staff member, in their own browser, does one thing to the complaint."""
    async with new_page("phone") as opened:
        page = opened.page
        await staff_login(page, account)
        await open_from_queue(page, reference)
        await step(page)
        await staff_logout(page)
        assert opened.problems == []


async def accept_and_assign(page: Page) -> None:
    await act(page, "受理")
    await page.get_by_label("承办部门").select_option(label="县公安局")
    await act(page, "转办")


async def extend(page: Page) -> None:
    await page.get_by_label("延期理由").fill(EXTENSION)
    await act(page, "申请延期（至 20 个工作日）")


async def reply(page: Page) -> None:
    await page.get_by_role("radio", name="情况属实").check()
    await page.get_by_label("处理情况").fill(f"已约谈窗口工作人员。{uuid.uuid4().hex[:6]}")
    await act(page, "提交反馈")


def close(result: str) -> Callable[[Page], Awaitable[None]]:
    async def step(page: Page) -> None:
        # The result is required: the browser will not send the form without it.
        await expect(page.get_by_label(re.compile("^办理结果"))).to_have_attribute("required", "")
        await page.get_by_label(re.compile("^办理结果")).fill(result)
        await act(page, "办结")

    return step


async def rate(page: Page, level: str, comment: str = "") -> None:
    await page.get_by_role("radio", name=re.compile(f"^{level}(（|$)")).check()
    if comment:
        await page.get_by_label("意见（可选）").fill(comment)
    async with page.expect_navigation():
        await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_role("status")).to_contain_text("已记录您的评价")


async def test_a_complaint_with_an_extension_and_a_reopen(
    new_page: NewPage, staff_accounts: Accounts, shot: Shot
) -> None:
    office, police = staff_accounts["supervisor"], staff_accounts["department"]
    async with new_page("phone") as citizen:
        page = citizen.page
        await page.goto("/complaints/new?certificate_name=无犯罪记录证明（村居出具）")
        # The form says before submitting what the contact choice needs and where the
        # description goes.
        await expect(page.locator("#contact")).to_contain_text("电话或电子邮箱，至少一项")
        await expect(page.locator("#description-hint")).to_contain_text("转给被投诉的单位")
        await shot(page, "timeline-01-form")
        receipt = await file_complaint_via_form(
            page, "无犯罪记录证明（村居出具）", Contact.unique(), description=COMPLAINT
        )
        await see(page, receipt, "已提交，待受理", "提交后 15 个工作日")

        await as_staff(new_page, office, receipt.reference, accept_and_assign)
        await see(page, receipt, "已转办，部门办理中", "受理后 15 个工作日")
        await expect(page.locator("#extension-reason")).to_have_count(0)

        await as_staff(new_page, police, receipt.reference, extend)
        await see(page, receipt, "已转办，部门办理中", "受理后 20 个工作日，已延期")
        await expect(page.locator("#deadline")).not_to_contain_text("15 个工作日")
        await expect(page.locator("#extension-reason")).to_have_text(EXTENSION)
        await shot(page, "timeline-02-extended")

        await as_staff(new_page, police, receipt.reference, reply)
        await see(page, receipt, "部门已反馈", "受理后 20 个工作日，已延期")

        await as_staff(new_page, office, receipt.reference, close(RESULT_1))
        await see(page, receipt, CLOSED, None)
        await expect(page.locator("#result")).to_have_text(RESULT_1)
        await expect(page.locator("ol.timeline")).to_contain_text(f"已办结：{RESULT_1}")
        await expect(page.locator("ol.timeline")).not_to_contain_text("已办结：已办结")
        await expect(page.get_by_role("heading", name="您对办理结果满意吗？")).to_be_visible()
        await shot(page, "timeline-03-closed-rating-form")

        await rate(page, "不满意", COMPLAINT)
        # Reopened: a clean 15-day deadline, the old extension reason gone from it.
        await expect(page.locator(".fields dd strong").first).to_have_text("已转办，部门办理中")
        await expect(page.locator("#deadline")).to_contain_text("重新交办后 15 个工作日")
        await expect(page.locator("#deadline")).not_to_contain_text("已延期")
        await expect(page.locator("#extension-reason")).to_have_count(0)
        await expect(page.locator("ol.timeline li").last).to_contain_text(
            f"您的评价：不满意。意见：{COMPLAINT}"
        )
        await fits_the_phone(page)
        await shot(page, "timeline-04-reopened")
        await see(page, receipt, "已转办，部门办理中", "重新交办后 15 个工作日")

        await as_staff(new_page, police, receipt.reference, reply)
        await see(page, receipt, "部门已反馈", "重新交办后 15 个工作日")
        await as_staff(new_page, office, receipt.reference, close(RESULT_2))
        await see(page, receipt, CLOSED, None)
        await expect(page.locator("#result")).to_have_text(RESULT_2)
        await expect(page.locator(".rating")).to_contain_text("不再退回重新办理")

        await rate(page, "满意")
        await expect(page.locator(".fields dd strong").first).to_have_text(CLOSED)
        await expect(page.locator("#satisfaction")).to_have_text("满意（您在本页的评价）")
        await expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
        await fits_the_phone(page)
        await shot(page, "timeline-05-satisfied")
        # Typed in again later, the page still says so.
        await see(page, receipt, CLOSED, None)
        await expect(page.locator("#satisfaction")).to_have_text("满意（您在本页的评价）")
        assert citizen.problems == []
