"""告知承诺 on a phone (360×740): a citizen opens an abolished item, signs its commitment form
online and gets a reference; the clerk of the chosen window (县公安局) logs in, finds the
commitment by that reference, sees the ID number (only there), and records the check 不实."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from journey import Shot, staff_login, staff_logout
from playwright.async_api import expect
from pypdf import PdfReader

from registry.commitments.models import id_number_valid

if TYPE_CHECKING:
    from conftest import OpenedPage, StaffAccount

NewPage = Callable[[str], AbstractAsyncContextManager["OpenedPage"]]
ITEM = "CY-ZM-017"  # 婚姻状况证明（村居出具）: abolished, replaced by a written commitment
ID_NUMBER = "11010519491231002X"  # GB 11643's own example number


async def test_a_citizen_signs_on_a_phone_and_the_clerk_finds_and_checks_it(
    new_page: NewPage, staff_accounts: dict[str, StaffAccount], shot: Shot
) -> None:
    assert id_number_valid(ID_NUMBER)
    police = staff_accounts["department"]
    async with new_page("phone") as citizen, new_page("phone") as clerk:
        page = citizen.page
        # The form on paper: one A4 sheet.
        await page.goto(f"/certificates/{ITEM}/commitment")
        await page.emulate_media(media="print")
        pdf = PdfReader(io.BytesIO(await page.pdf(prefer_css_page_size=True)))
        assert len(pdf.pages) == 1
        await page.emulate_media(media="screen")
        for opened in (citizen, clerk):  # the brief's small phone, not the suite's 390 px one
            await opened.page.set_viewport_size({"width": 360, "height": 740})
        await page.goto(f"/certificates/{ITEM}")
        async with page.expect_navigation():
            await page.get_by_role("link", name="在网上签署承诺书").click()
        await page.get_by_label(re.compile("^受理承诺的单位")).select_option(label="县公安局")
        await page.get_by_label(re.compile("^办理什么事")).fill("办理不动产登记")
        await page.get_by_label(re.compile("^姓名")).fill("李四")
        # A typo first: the form comes back with the error and everything typed.
        await page.get_by_label(re.compile("^身份证号码")).fill(ID_NUMBER[:-1] + "1")
        await page.get_by_label("我承诺以上内容真实").check()
        async with page.expect_navigation():
            await page.get_by_role("button", name="签署承诺").click()
        await expect(page.locator("#id_number-error")).to_be_visible()
        await expect(page.get_by_label(re.compile("^姓名"))).to_have_value("李四")
        await shot(page, "commitment-01-error")
        await page.get_by_label(re.compile("^身份证号码")).fill(ID_NUMBER)
        await page.get_by_label("我承诺以上内容真实").check()
        async with page.expect_navigation():
            await page.get_by_role("button", name="签署承诺").click()
        reference = (await page.locator(".receipt code").inner_text()).strip()
        assert re.fullmatch(r"CN-\d{4}-\d{6,}", reference), reference
        assert ID_NUMBER not in await page.content()
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the receipt is {width} px wide"
        await shot(page, "commitment-02-receipt")

        desk = clerk.page
        await staff_login(desk, police)
        async with desk.expect_navigation():
            await desk.get_by_role("link", name="告知承诺", exact=True).click()
        await desk.get_by_label("承诺编号").fill(reference)
        async with desk.expect_navigation():
            await desk.get_by_role("button", name="查找").click()
        await expect(desk.locator("h1")).to_have_text(f"告知承诺 {reference}")
        await expect(desk.locator(".id-number")).to_have_text(ID_NUMBER)
        await desk.get_by_role("radio", name="不实", exact=True).check()
        await desk.get_by_label(re.compile("^核查情况")).fill("婚姻登记信息与承诺不符")
        async with desk.expect_navigation():
            await desk.get_by_role("button", name="保存").click()
        await expect(desk.locator("p.flash")).to_have_text("已保存")
        await expect(desk.locator(".fields")).to_contain_text("婚姻登记信息与承诺不符")
        await shot(desk, "commitment-03-checked")
        await staff_logout(desk)
        # The typo's 422 is reported by the browser as a failed load; nothing else may be.
        assert [p for p in citizen.problems if "status of 422" not in p] == []
        assert clerk.problems == []
