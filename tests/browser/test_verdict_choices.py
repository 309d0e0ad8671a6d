"""Verdict v2 on a phone: a needs_matter answer followed to its verdict by links alone (with
JavaScript switched off), and an identity document answered as out of scope.

Screenshots: artifacts/screenshots/phone-verdict-*.png."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Browser, Page, expect

if TYPE_CHECKING:
    from conftest import OpenedPage

Shot = Callable[[Page, str], Awaitable[Path]]
BIRTH = "新生儿出生登记（落户）"
# tests/browser/conftest.py's phone (conftest modules are not importable).
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@asynccontextmanager
async def phone_without_js(browser: Browser, base_url: str) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=base_url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(10_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


AUDIT_JS = (Path(__file__).parent / "a11y_audit.js").read_text(encoding="utf-8")


async def audited(page: Page) -> None:
    """The basics test_a11y holds the other public pages to: one h1, labels, contrast."""
    r: dict[str, Any] = await page.evaluate(AUDIT_JS)
    assert len(r["h1"]) == 1, r["h1"]
    assert r["unlabelled"] == [], r["unlabelled"]
    low = [t for t in r["texts"] if t["ratio"] is not None and t["ratio"] < 4.5]
    assert low == [], low


async def seen_at_once(page: Page) -> None:
    """The headline is on the first screen of the phone, without scrolling."""
    box = await page.locator("h1").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["viewport"]["height"], box


async def follow(page: Page, link_name: str | re.Pattern[str]) -> None:
    async with page.expect_navigation():
        await page.get_by_role("link", name=link_name).click()


async def test_needs_matter_answer_followed_by_links_alone(
    browser: Browser, live_server: str, shot: Shot
) -> None:
    async with phone_without_js(browser, live_server) as page:
        response = await page.goto("/check?name=出生证明")
        assert response is not None and response.status == 200
        await expect(page.locator("h1")).to_have_text("要看您办什么事")
        await expect(page.locator("h1")).not_to_have_class(re.compile(r"\b(ok|no)\b"))
        await seen_at_once(page)
        choice = page.get_by_role("link", name=f"办理 {BIRTH} — 可以要求 出生医学证明")
        await expect(choice).to_be_visible()
        await expect(page.get_by_role("link", name=re.compile("^办其他事"))).to_be_visible()
        await shot(page, "verdict-01-needs-matter")

        await follow(page, f"办理 {BIRTH} — 可以要求 出生医学证明")
        await expect(page.locator("h1")).to_have_text(f"可以要求（办理 {BIRTH} 时）")
        await expect(page.locator("h1")).to_have_class(re.compile(r"\bok\b"))
        await seen_at_once(page)
        await shot(page, "verdict-02-chosen-retained")

        await page.go_back()
        await expect(page.locator("h1")).to_have_text("要看您办什么事")
        await follow(page, re.compile("^办其他事"))
        await expect(page.locator("h1")).to_have_text("不得要求")
        await expect(page.locator("h1")).to_have_class(re.compile(r"\bno\b"))
        await seen_at_once(page)
        complain = page.get_by_role("link", name=re.compile("我要投诉"))
        await expect(complain).to_be_visible()
        href = await complain.get_attribute("href")
        assert href and parse_qs(urlsplit(href).query)["certificate_name"], href
        await shot(page, "verdict-03-other-matter")


async def test_identity_document_is_out_of_scope(
    new_page: Callable[[str], AbstractAsyncContextManager[OpenedPage]], shot: Shot
) -> None:
    async with new_page("phone") as opened:
        page = opened.page
        response = await page.goto("/check?name=身份证")
        assert response is not None and response.status == 200
        await expect(page.locator("h1")).to_have_text("这是证件，不是证明")
        await expect(page.locator("h1")).not_to_have_class(re.compile(r"\b(ok|no)\b"))
        await expect(page.locator(".licence h2")).to_contain_text("身份证")
        await seen_at_once(page)
        # Still a way to complain, in small text, for a separate proof demanded.
        await expect(page.get_by_role("link", name="可以投诉")).to_be_visible()
        await shot(page, "verdict-04-out-of-scope")
        await audited(page)
        await page.goto("/check?name=出生证明")
        await expect(page.locator("h1")).to_have_text("要看您办什么事")
        await audited(page)
        assert opened.problems == []


async def test_who_asked_is_carried_into_the_complaint_form(
    new_page: Callable[[str], AbstractAsyncContextManager[OpenedPage]], shot: Shot
) -> None:
    async with new_page("phone") as opened:
        page = opened.page
        await page.goto("/check")
        await page.get_by_label("证明名称").fill("良民证")
        await page.get_by_label("谁向您要的（可选）").select_option(label="县公安局")
        async with page.expect_navigation():
            await page.get_by_role("button", name="查询").click()
        await expect(page.locator("h1")).to_have_text("不得要求")
        await follow(page, re.compile("我要投诉"))
        await expect(page.get_by_label(re.compile("^索要单位"))).to_have_value("CY-BM-001")
        await shot(page, "verdict-05-complaint-with-department")
        # The blank /check is a 400 (no name yet): Chromium logs that document as an error.
        assert [p for p in opened.problems if "status of 400" not in p] == []
