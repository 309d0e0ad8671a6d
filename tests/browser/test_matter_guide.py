"""The matter guide on a phone: home → 我要办什么事 "上户口" → the matters it means → the page of
新生儿出生登记（落户）, which may demand 出生医学证明 and may not demand 生育服务证.

Screenshots: artifacts/screenshots/phone-matter-*.png."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from conftest import OpenedPage

Shot = Callable[[Page, str], Awaitable[Path]]
BIRTH = "新生儿出生登记（落户）"
AUDIT_JS = (Path(__file__).parent / "a11y_audit.js").read_text(encoding="utf-8")


async def audited(page: Page) -> None:
    """The basics test_a11y holds the other public pages to: one h1, labels, contrast."""
    r: dict[str, Any] = await page.evaluate(AUDIT_JS)
    assert len(r["h1"]) == 1, r["h1"]
    assert r["unlabelled"] == [], r["unlabelled"]
    low = [t for t in r["texts"] if t["ratio"] is not None and t["ratio"] < 4.5]
    assert low == [], low


async def test_matter_guide_from_the_home_page(
    new_page: Callable[[str], AbstractAsyncContextManager[OpenedPage]], shot: Shot
) -> None:
    async with new_page("phone") as opened:
        page = opened.page
        await page.goto("/")
        box = page.get_by_role("searchbox", name="我要办什么事？先看办这件事窗口能要什么")
        await expect(box).to_be_visible()
        await box.fill("上户口")
        await shot(page, "matter-01-home")
        async with page.expect_navigation():
            await page.get_by_role("button", name="看能要哪些证明").click()
        assert urlsplit(page.url).path == "/matters"
        assert parse_qs(urlsplit(page.url).query)["q"] == ["上户口"]
        await expect(page.locator("h1")).to_have_text("我要办什么事")
        link = page.get_by_role("link", name=BIRTH, exact=True)
        await expect(link).to_be_visible()
        await audited(page)
        await shot(page, "matter-02-list")

        async with page.expect_navigation():
            await link.click()
        await expect(page.locator("h1")).to_have_text(f"办理 {BIRTH} 时")
        allowed = page.locator("section", has=page.locator("#allowed-title"))
        birth = allowed.get_by_role("link", name="出生医学证明", exact=True)
        await expect(birth).to_be_visible()
        await expect(page.locator("#allowed-title")).to_have_class(re.compile(r"\bok\b"))
        await audited(page)
        await shot(page, "matter-03-guide")

        # Each item answers itself: the verdict page for (this certificate, this matter).
        async with page.expect_navigation():
            await birth.click()
        await expect(page.locator("h1")).to_have_text(f"可以要求（办理 {BIRTH} 时）")
        await shot(page, "matter-04-item-verdict")
        assert opened.problems == []


async def test_birth_registration_guide_lists_the_abolished_birth_permit(
    new_page: Callable[[str], AbstractAsyncContextManager[OpenedPage]], shot: Shot
) -> None:
    async with new_page("phone") as opened:
        page = opened.page
        await page.goto("/matter?" + urlencode({"name": BIRTH}))
        refused = page.locator("section", has=page.locator("#refused-title"))
        gone = refused.get_by_role("link", name="生育服务证（新生儿出生登记）", exact=True)
        await expect(gone).to_be_visible(timeout=2_000)
        await shot(page, "matter-05-guide-refused")
        async with page.expect_navigation():
            await gone.click()
        await expect(page.locator("h1")).to_have_text("不得要求")
        await shot(page, "matter-06-refused-item-verdict")
