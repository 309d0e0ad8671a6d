"""长辈版 on a 360 x 740 phone (MIIT 2021 适老化): the switch is a plain link that works without
JavaScript, keeps the page and its query and is remembered; in 长辈版 every text is at least
18 px with a line height of at least 1.3, the headline at least 30 px, and every visible link and
button on the verdict, the complaint form, the receipt and tracking is at least 60 x 60 px.

Screenshots: artifacts/screenshots/360x740-{elder,standard}-*.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from journey import Contact, Receipt, fill_complaint, read_receipt, submit_complaint
from playwright.async_api import Browser, Page, expect

Shot = Callable[[Page, str], Awaitable[Path]]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
VERDICT = "/check?name=良民证&matter=找工作"
TEXT_PAGES = {
    "home": "/",
    "verdict": VERDICT,
    "matter": "/matter?name=新生儿出生登记（落户）",
    "form": "/complaints/new",
    "track": "/complaints/track",
    "retained": "/certificates/retained",
    "abolished": "/certificates/abolished",
    "item": "/certificates/CY-ZM-001",
    "matters": "/matters?q=上户口",
    "stats": "/stats",
    "changes": "/changes",
}

# Every visible element that holds text of its own: its font size and line height. A chart's
# labels are left out: the chart is a picture (/stats) whose numbers the table under it gives.
TEXTS_JS = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0 || r.left >= innerWidth) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden') continue;
    const size = parseFloat(s.fontSize);
    const line = s.lineHeight === 'normal' ? size * 1.2 : parseFloat(s.lineHeight);
    out.push({tag: el.tagName, cls: el.className, text: el.textContent.trim().slice(0, 30),
              size, ratio: line / size});
  }
  return out;
}"""

# Every visible link, button and disclosure: its box.
TARGETS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('a[href], button, input[type=submit], summary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0 || r.left >= innerWidth) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    out.push({tag: el.tagName, text: (el.textContent || el.value).trim().slice(0, 30),
              width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10});
  }
  return out;
}"""


@asynccontextmanager
async def phone(browser: Browser, base_url: str, *, js: bool = True) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=base_url, java_script_enabled=js, **PHONE)
    context.set_default_timeout(10_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def to_elder(page: Page, base_url: str) -> None:
    await page.context.add_cookies([{"name": "display", "value": "elder", "url": base_url}])


async def small_targets(page: Page, least: float) -> list[dict[str, Any]]:
    boxes: list[dict[str, Any]] = await page.evaluate(TARGETS_JS)
    assert boxes, "no links or buttons found"
    return [b for b in boxes if b["width"] < least or b["height"] < least]


async def file_one(page: Page) -> Receipt:
    await page.goto("/complaints/new?certificate_name=无犯罪记录证明")
    await fill_complaint(page, Contact.unique(), description=f"长辈版 {uuid.uuid4()}")
    await submit_complaint(page)
    return await read_receipt(page)


async def test_the_switch_is_a_link_that_keeps_the_page_and_query(
    browser: Browser, live_server: str
) -> None:
    async with phone(browser, live_server, js=False) as page:
        await page.goto(VERDICT)
        await expect(page.locator("html")).not_to_have_class(re.compile("elder"))
        async with page.expect_navigation():
            await page.get_by_role("link", name="长辈版", exact=True).click()
        assert unquote(page.url) == live_server + VERDICT
        await expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        await expect(page.locator("h1")).to_be_visible()
        # Remembered: another page, a new visit, still 长辈版.
        await page.goto("/complaints/new")
        await expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        async with page.expect_navigation():
            await page.get_by_role("link", name="标准版", exact=True).click()
        assert unquote(page.url) == live_server + "/complaints/new"
        await expect(page.locator("html")).not_to_have_class(re.compile("elder"))
        await page.goto(VERDICT)
        await expect(page.locator("html")).not_to_have_class(re.compile("elder"))


@pytest.mark.parametrize("name", list(TEXT_PAGES))
async def test_elder_text_is_large_with_room_between_lines(
    browser: Browser, live_server: str, shot: Shot, name: str
) -> None:
    async with phone(browser, live_server) as page:
        await page.goto(TEXT_PAGES[name])
        await shot(page, f"standard-{name}")
        await to_elder(page, live_server)
        await page.goto(TEXT_PAGES[name])
        await expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        await shot(page, f"elder-{name}")
        body = await page.evaluate(
            "() => { const s = getComputedStyle(document.querySelector('main p, main li')"
            " || document.body); return [parseFloat(s.fontSize), parseFloat(s.lineHeight)] }"
        )
        assert body[0] >= 18 and body[1] / body[0] >= 1.3, body
        h1 = await page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
        )
        assert h1 >= 30, h1
        texts: list[dict[str, Any]] = await page.evaluate(TEXTS_JS)
        small = [t for t in texts if t["size"] < 18 or t["ratio"] < 1.3]
        assert small == [], small


async def test_elder_links_and_buttons_are_60_px_on_the_priority_pages(
    browser: Browser, live_server: str, shot: Shot
) -> None:
    async with phone(browser, live_server) as page:
        receipt = await file_one(page)
        receipt_url = page.url
        await shot(page, "standard-receipt")
        await to_elder(page, live_server)
        found: dict[str, list[dict[str, Any]]] = {}
        for name, path in {
            "verdict": VERDICT,
            "matter": TEXT_PAGES["matter"],
            "form": "/complaints/new",
            "receipt": receipt_url,
            "track": "/complaints/track",
        }.items():
            await page.goto(path)
            await expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
            await shot(page, f"elder-{name}")
            found[name] = await small_targets(page, 60)
        await page.get_by_label("查询编号").fill(receipt.reference)
        await page.get_by_label("查询码").fill(receipt.access_code)
        async with page.expect_navigation():
            await page.get_by_role("button", name="查询").click()
        await expect(page.locator(".fields code")).to_have_text(receipt.reference)
        await shot(page, "elder-tracked")
        found["tracked"] = await small_targets(page, 60)
        assert {k: v for k, v in found.items() if v} == {}


async def test_standard_switch_and_buttons_are_44_px(browser: Browser, live_server: str) -> None:
    async with phone(browser, live_server) as page:
        for path in (VERDICT, "/complaints/new", "/complaints/track"):
            await page.goto(path)
            box = await page.get_by_role("link", name="长辈版", exact=True).bounding_box()
            assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
            for button in await page.locator("main button").all():
                box = await button.bounding_box()
                assert box is not None and box["height"] >= 44, (path, box)
