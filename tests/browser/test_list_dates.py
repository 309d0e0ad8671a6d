"""The lists on a past date, through the date control (issue 11: 查看某日有效的清单), on a phone
and a desktop; the reconstruction notice and the change log in the navigation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect

Shot = Callable[[Page, str], Awaitable[Path]]


async def pick_date(page: Page, day: str) -> None:
    """Type the date and submit the form as a person would: a plain GET, no script needed."""
    await page.get_by_label("查看某日有效的清单").fill(day)
    await page.get_by_role("button", name="查看").click()
    await page.wait_for_load_state()


async def test_retained_list_on_2018_01_01_through_the_date_control(page: Page, shot: Shot):
    await page.goto("/certificates/retained")
    await expect(page.locator("#as-of")).to_contain_text("今天")
    await expect(page.get_by_role("note")).to_contain_text("县政府公布的正式清单还没有导入")
    await pick_date(page, "2018-01-01")
    assert page.url.endswith("/certificates/retained?on=2018-01-01")
    await expect(page.locator("#as-of")).to_contain_text("2018-01-01 那一天有效的清单")
    await expect(page.locator("#as-of")).to_contain_text("还没有任何事项")
    await expect(page.get_by_label("查看某日有效的清单")).to_have_value("2018-01-01")
    await shot(page, "dates-01-retained-2018-01-01")
    await pick_date(page, "2018-12-28")
    await expect(page.locator("#as-of")).to_contain_text("共 173 项：保留 9 项，取消 164 项")
    await expect(page.locator("ol.items > li.item")).to_have_count(9)


async def test_abolished_list_keeps_the_search_and_the_date(page: Page, shot: Shot):
    await page.goto("/certificates/abolished?q=证明")
    await pick_date(page, "2018-01-01")
    assert "on=2018-01-01" in page.url and "q=" in page.url
    await expect(page.locator("#as-of")).to_contain_text("2018-01-01 那一天有效的清单")
    await expect(page.get_by_text("没有符合条件的事项")).to_be_visible()
    await shot(page, "dates-02-abolished-2018-01-01")
    await page.get_by_role("link", name="看今天有效的清单").click()
    await expect(page.locator("#as-of")).to_contain_text("今天")


async def test_item_page_on_a_date_and_the_change_log(page: Page, shot: Shot):
    await page.goto("/certificates/CY-ZM-001")
    await pick_date(page, "2018-01-01")
    await expect(page.get_by_text("那一天，这项证明不在清单上")).to_be_visible()
    await expect(page.get_by_text("列入初始清单")).to_be_visible()
    await shot(page, "dates-03-item-2018-01-01")
    await page.get_by_role("link", name="变更记录").first.click()
    await expect(page.get_by_role("heading", name="清单变更记录")).to_be_visible()
    await expect(page.get_by_text("初始清单", exact=True)).to_be_visible()
    await shot(page, "dates-04-changes")
    await page.get_by_role("link", name="这是怎么回事").click()
    await expect(page.get_by_role("heading", name="关于本站的清单")).to_be_visible()
    await shot(page, "dates-05-about-list")
