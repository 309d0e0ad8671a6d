"""A citizen's journey in a real browser, on a phone and on a desktop.

The journey is a chain of small steps, each taking the page where the previous one left it, so
the next ones (complaint form → receipt → tracking) can be appended after `complain_link`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, expect

Shot = Callable[[Page, str], Awaitable[Path]]

# Draws two different Chinese characters in the element's own computed font and compares the
# pixels. Real glyphs differ; without a CJK font both are the same .notdef box ("tofu") or
# nothing at all, so the check genuinely fails when the font is missing (verified by running
# Chromium with a fontconfig that leaves out fonts-wqy-microhei).
CJK_RENDERS_JS = """([selector, a, b, family]) => {
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const font = `${style.fontWeight} 32px ${family || style.fontFamily}`;
  const draw = (ch) => {
    const c = document.createElement('canvas');
    c.width = 48; c.height = 48;
    const ctx = c.getContext('2d');
    ctx.font = font;
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#000';
    ctx.fillText(ch, 4, 4);
    return Array.from(ctx.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3));
  };
  const pa = draw(a), pb = draw(b);
  const inked = (p) => p.filter((v) => v > 0).length;
  const differs = pa.some((v, i) => v !== pb[i]);
  return {font, inkA: inked(pa), inkB: inked(pb), differs};
}"""


async def assert_chinese_renders(page: Page, selector: str = "h1") -> None:
    text = (await page.locator(selector).first.inner_text()).strip()
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    a, b = cjk[0], next(ch for ch in cjk if ch != cjk[0])
    r = await page.evaluate(CJK_RENDERS_JS, [selector, a, b, None])
    assert r["inkA"] > 20 and r["inkB"] > 20 and r["differs"], (
        f"{a!r} and {b!r} in {selector} render as the same box or nothing ({r}):"
        " is fonts-wqy-microhei installed?"
    )
    # Which font Chromium really used for the text, from the DevTools protocol.
    cdp = await page.context.new_cdp_session(page)
    try:
        doc = await cdp.send("DOM.getDocument", {"depth": -1})
        await cdp.send("CSS.enable")
        node = await cdp.send(
            "DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": selector}
        )
        fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    finally:
        await cdp.detach()
    families = {f["familyName"] for f in fonts["fonts"]}
    assert any("WenQuanYi" in f or "CJK" in f for f in families), families


# --- the journey, step by step ---------------------------------------------------------------


async def open_home(page: Page, shot: Shot) -> None:
    response = await page.goto("/")
    assert response is not None and response.status == 200
    await expect(page.locator("h1")).to_have_text("清单之外，一律不得索要")
    await assert_chinese_renders(page)
    await shot(page, "01-home")


async def figures_shown(page: Page) -> None:
    figures = page.get_by_role("region", name="清理结果")
    await expect(figures).to_be_visible()
    numbers = [n.strip() for n in await figures.locator(".num").all_inner_texts()]
    assert numbers == ["173", "164", "9", "94.8%"], numbers
    # The sentence in the hero says the same.
    hero = await page.locator(".hero").inner_text()
    assert re.search(r"审查证明事项\s*173\s*项.*取消\s*164\s*项.*保留\s*9\s*项", hero), hero


async def search(page: Page, shot: Shot, name: str, step: str) -> None:
    box = page.get_by_role("searchbox", name=re.compile("证明"))
    await box.fill(name)
    await shot(page, f"{step}-typed")
    async with page.expect_navigation():
        await box.press("Enter")
    assert urlsplit(page.url).path == "/check"
    assert parse_qs(urlsplit(page.url).query)["name"] == [name]
    await shot(page, f"{step}-verdict")


async def verdict_is(page: Page, verdict: str, certificate: str) -> None:
    await expect(page.locator("h1")).to_have_text(verdict)
    await expect(page.locator(".answer h2 a")).to_have_text(certificate)
    await assert_chinese_renders(page)


async def complain_link(page: Page, certificate: str) -> str:
    link = page.get_by_role("link", name=re.compile("我要投诉"))
    await expect(link).to_be_visible()
    href = await link.get_attribute("href")
    assert href is not None and href.startswith("/complaints/new?certificate_name="), href
    assert parse_qs(urlsplit(href).query)["certificate_name"] == [certificate]
    return href


# --- tests -----------------------------------------------------------------------------------


async def test_abolished_certificate_in_traditional_characters(page: Page, shot: Shot) -> None:
    await open_home(page, shot)
    await figures_shown(page)
    await search(page, shot, "無犯罪記錄證明", "02-no-criminal-record")
    await verdict_is(page, "不得要求", "无犯罪记录证明（村居出具）")
    await complain_link(page, "无犯罪记录证明（村居出具）")
    # Next: follow the link → complaint form → receipt → tracking.


async def test_retained_certificate(page: Page, shot: Shot) -> None:
    await open_home(page, shot)
    await search(page, shot, "出生医学证明", "03-birth-certificate")
    await verdict_is(page, "可以要求", "出生医学证明")
    await expect(page.get_by_role("link", name=re.compile("我要投诉"))).to_have_count(0)
