"""The list on paper in a real Chromium (issue 14, item 3): the 窗口出示卡 and the 公开栏海报 at A4
and A3 print to exactly one PDF page each; the QR code, decoded with zxing-cpp from a
screenshot of the print view, gives the page's permalink; printed pages carry no navigation
and no forms. Screenshots of the print views: artifacts/screenshots/*-paper-*.png."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.async_api import Page
from pypdf import PdfReader

Shot = Callable[[Page, str], Awaitable[Path]]
MM_PER_PT = 25.4 / 72


async def print_view(page: Page, path: str) -> None:
    await page.goto(path)
    await page.emulate_media(media="print")


async def pdf_pages(page: Page) -> list[tuple[float, float]]:
    """The page count and sizes (mm) of Chromium's PDF, the page's own @page size honoured."""
    body = await page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(body))
    return [
        (round(float(p.mediabox.width) * MM_PER_PT), round(float(p.mediabox.height) * MM_PER_PT))
        for p in reader.pages
    ]


async def decoded(page: Page, shot: Shot, name: str) -> list[str]:
    """Every QR code in a full-page screenshot of the print view, as text."""
    path = await shot(page, name)
    image = Image.open(path).convert("L")
    found = zxingcpp.read_barcodes(image)
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


async def visible(page: Page, selector: str) -> int:
    return await page.locator(selector).evaluate_all(
        "els => els.filter(e => e.getClientRects().length > 0).length"
    )


async def test_card_prints_on_one_a4_page_with_the_permalink(desktop: Page, shot: Shot):
    page = desktop
    await page.goto("/certificates/retained")
    first = page.locator("ol.items > li.item a").first
    href = await first.get_attribute("href")
    assert href and href.startswith("/certificates/")
    await page.goto(href)
    await page.get_by_role("link", name="打印窗口出示卡（带二维码）").click()
    await page.wait_for_load_state()
    assert page.url.endswith(href + "/card")
    await page.emulate_media(media="print")
    assert await pdf_pages(page) == [(210, 297)]
    base = page.url.split("/certificates/")[0]
    texts = await decoded(page, shot, "paper-card-print")
    assert base + href in texts
    assert base + "/complaints/new?certificate_name=" in " ".join(texts)
    assert await visible(page, "header.site nav, footer.site, form, button") == 0


async def test_poster_prints_on_one_page_at_a4_and_at_a3(desktop: Page, shot: Shot):
    page = desktop
    for size, mm in (("a4", (210, 297)), ("a3", (297, 420))):
        await print_view(page, f"/poster?size={size}")
        assert await pdf_pages(page) == [mm], size
        base = page.url.split("/poster")[0]
        texts = await decoded(page, shot, f"paper-poster-{size}-print")
        assert sorted(texts) == sorted([base + "/check", base + "/complaints/new"]), size
        assert await page.locator("ol.poster-items > li").count() == 9  # the seeded list's 9


async def test_printed_verdict_hides_navigation_and_forms(phone: Page, shot: Shot):
    page = phone
    await page.goto("/check?name=良民证")
    assert await visible(page, "header.site nav") >= 1 and await visible(page, "form") >= 1
    await page.emulate_media(media="print")
    assert await visible(page, "header.site nav, footer.site, form, button, .button") == 0
    await expect_text(page, "不得要求")
    await shot(page, "paper-check-print")
    # The printable answer: one page, and its QR code gives the verdict page's address.
    await page.emulate_media(media="screen")
    verdict_url = page.url
    await page.get_by_role("link", name="打印这个答案（带二维码），拿给窗口看").click()
    await page.wait_for_load_state()
    await page.emulate_media(media="print")
    assert len(await pdf_pages(page)) == 1
    assert await decoded(page, shot, "paper-verdict-print") == [verdict_url]


async def expect_text(page: Page, text: str) -> None:
    assert text in await page.locator("main").inner_text()


async def test_poster_of_a_long_list_still_prints_on_one_page(
    desktop: Page, shot: Shot, client, conn
):
    """200 more retained items (in this test's rolled-back transaction, rendered by the app in
    process and printed by Chromium with the live site's stylesheets): the poster sets them in
    five columns at its smallest type, prints what fits, says how many more there are, and
    stays one sheet at A4 and at A3."""
    for n in range(200):
        code = f"CY-ZZ-{n:03d}"
        name = f"测试证明{n:03d}（{'某某' * (n % 7)}情况说明）"  # 12 to 24 characters
        await conn.execute("INSERT INTO certificates (code) VALUES ($1)", code)
        await conn.execute(
            "INSERT INTO certificate_versions (code, valid_from, name, status, changed_by)"
            " VALUES ($1, '2019-01-01', $2, 'retained', 'test')",
            code,
            name,
        )
    page = desktop
    for size, mm in (("a4", (210, 297)), ("a3", (297, 420))):
        html = (await client.get(f"/poster?size={size}")).text
        assert "共 <strong>209</strong> 项" in html and 'class="poster-items dense"' in html
        printed = html.count("<li>")
        more = re.search(r"……另有 (\d+) 项没有印下", html)
        assert printed + (int(more.group(1)) if more else 0) == 209, size
        await page.goto("/about/list")  # the live site: the page's /static links resolve there
        await page.set_content(html)
        await page.emulate_media(media="print")
        assert await pdf_pages(page) == [mm], (size, printed)
        smallest = await page.locator("ol.poster-items").evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert smallest >= 6.5 * 96 / 72 - 0.05, size  # never below 6.5pt: still legible
        base = "http://testserver"
        texts = await decoded(page, shot, f"paper-poster-{size}-long-print")
        wanted = [base + "/check", base + "/complaints/new"]
        assert sorted(texts) == sorted(wanted + ([base + "/certificates/retained"] if more else []))


async def test_card_and_verdict_print_in_english_with_their_permalinks(desktop: Page, shot: Shot):
    """The printed card and answer in English: still one page, the QR code still the page's
    permalink, and what screen readers say of the code has no Chinese list names."""
    page = desktop
    await page.goto("/lang?set=en&next=/certificates/retained")
    href = await page.locator("ol.items > li.item a").first.get_attribute("href")
    assert href and href.startswith("/certificates/")
    await print_view(page, href + "/card")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await pdf_pages(page) == [(210, 297)]
    base = page.url.split("/certificates/")[0]
    assert base + href in await decoded(page, shot, "paper-card-print-en")
    titles = await page.locator("svg.qr title").evaluate_all("els => els.map(e => e.textContent)")
    assert titles[0] == "QR code: this item's page" and not any(
        re.search(r"[\u4e00-\u9fff]", t) for t in titles
    )
    await page.goto("/check?name=良民证")
    verdict_url = page.url
    await print_view(page, "/check/print?name=良民证")
    assert len(await pdf_pages(page)) == 1
    assert await decoded(page, shot, "paper-verdict-print-en") == [verdict_url]
