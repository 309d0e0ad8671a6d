"""Steps shared by the browser journeys (citizen, keyboard, staff): plain async functions.

Imported as `from journey import …` (pytest puts tests/browser on sys.path: no __init__.py).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from playwright.async_api import Page, expect

Shot = Callable[[Page, str], Awaitable[Path]]

SUBMITTED = "已提交，待受理"
CLOSED = "已办结"
POLICE_NAME = "县公安局"
RECEIPT_PATH = re.compile(r"^/complaints/([A-Z0-9-]+)/receipt$")


class Account(Protocol):
    username: str
    password: str


@dataclass(frozen=True)
class Contact:
    """Unique canaries: these strings must never appear where the public or a department looks."""

    name: str
    phone: str
    email: str

    @classmethod
    def unique(cls) -> Contact:
        n = uuid.uuid4().int
        return cls(
            name="王" + "一二三四五六七八九十"[n % 10] + "测",
            phone=f"139{n % 10**8:08d}",
            email=f"canary-{uuid.uuid4().hex[:12]}@example.org",
        )

    def leaks_in(self, text: str) -> list[str]:
        return [v for v in (self.phone, self.email) if v in text]


@dataclass(frozen=True)
class Receipt:
    reference: str
    access_code: str


async def fill_complaint(
    page: Page, contact: Contact, *, description: str, place: str = "县政务服务中心 3 号窗口"
) -> None:
    """The form as a citizen fills it (certificate name already prefilled from the verdict)."""
    await page.get_by_role("combobox", name=re.compile("^索要单位")).select_option(
        label=POLICE_NAME
    )
    await page.get_by_label("地点或窗口").fill(place)
    await page.get_by_label(re.compile("^哪一天")).fill(dt.date.today().isoformat())
    await page.get_by_label("办理什么事").fill("应聘保安员")
    await page.get_by_label("经过（可选）").fill(description)
    await page.get_by_role("radio", name=re.compile("^保密")).check()
    await page.get_by_label("姓名").fill(contact.name)
    await page.get_by_label("电话").fill(contact.phone)
    await page.get_by_label(re.compile("^电子邮箱")).fill(contact.email)


async def submit_complaint(page: Page) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name="提交投诉").click()


async def read_receipt(page: Page) -> Receipt:
    """The receipt page after Post/Redirect/Get: reference in the URL and on the page, code once."""
    match = RECEIPT_PATH.match(urlsplit(page.url).path)
    assert match, f"not a receipt page: {page.url}"
    await expect(page.locator("h1")).to_have_text("投诉已提交")
    receipt = page.get_by_role("status")
    reference = (await receipt.locator("code").nth(0).inner_text()).strip()
    access_code = (await receipt.locator("code").nth(1).inner_text()).strip()
    assert reference == match.group(1), (reference, page.url)
    assert len(access_code) >= 8, access_code
    await expect(page.locator(".fields")).to_contain_text(SUBMITTED)
    return Receipt(reference, access_code)


async def file_complaint_via_form(
    page: Page, certificate: str, contact: Contact, description: str
) -> Receipt:
    await page.goto(f"/complaints/new?certificate_name={certificate}")
    await fill_complaint(page, contact, description=description)
    await submit_complaint(page)
    return await read_receipt(page)


async def track(page: Page, receipt: Receipt) -> None:
    """The public tracking form: reference and access code, POSTed (never in the URL)."""
    await page.goto("/complaints/track")
    await page.get_by_label("查询编号").fill(receipt.reference)
    await page.get_by_label("查询码").fill(receipt.access_code)
    async with page.expect_navigation():
        await page.get_by_role("button", name="查询").click()
    assert receipt.access_code not in page.url
    await expect(page.locator(".fields code")).to_have_text(receipt.reference)


async def staff_login(page: Page, account: Account) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("用户名").fill(account.username)
    await page.get_by_label("密码").fill(account.password)
    async with page.expect_navigation():
        await page.get_by_role("button", name="登录").click()
    assert urlsplit(page.url).path == "/staff/complaints", page.url


async def staff_logout(page: Page) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=re.compile("^退出")).click()
    assert urlsplit(page.url).path == "/staff/login", page.url


async def open_from_queue(page: Page, reference: str) -> None:
    link = page.get_by_role("link", name=reference, exact=True)
    await expect(link).to_be_visible()
    async with page.expect_navigation():
        await link.click()
    await expect(page.locator("h1")).to_have_text(f"投诉 {reference}")


async def act(page: Page, button: str) -> None:
    """Press a workflow button; the step saves and redirects back with a flash (PRG)."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()
    assert "msg=" in page.url, f"{button}: no redirect after saving, at {page.url}"
    await expect(page.locator("p.flash")).to_have_text("已保存")
    await expect(page.get_by_role("alert")).to_have_count(0)
