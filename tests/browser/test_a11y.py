"""Accessibility basics of the public pages, measured in a real browser (both viewports).

A check that fails because of a real defect in templates/ or static/style.css is marked
`xfail(strict=True)` in KNOWN_DEFECTS with the measured value, so it turns red (XPASS) as soon
as the defect is fixed and the mark must be removed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from conftest import OpenedPage

AUDIT_JS = (Path(__file__).parent / "a11y_audit.js").read_text(encoding="utf-8")
MIN_CONTRAST = 4.5  # WCAG AA for body text; applied to all text here, large or not

# path -> test id (ASCII, so `-k` works)
PAGES = {
    "/": "home",
    "/certificates/retained": "retained",
    "/certificates/abolished": "abolished",
    "/certificates/CY-ZM-001": "item",
    "/check?name=良民证": "check",
    "/api/docs": "api-docs",
    "/check?name=": "check-invalid",  # 400: what a blank (e.g. only spaces) question gets
}
STATUS = {"/check?name=": 400}  # 200 otherwise

VIEWPORT_NAMES = ["phone", "desktop"]

# (check, path) -> reason. Keep the measured value in the reason.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}

Audit = Callable[[str, str], Awaitable[dict[str, Any]]]


def params(check: str) -> list[Any]:
    out = []
    for viewport in VIEWPORT_NAMES:
        for path, page_id in PAGES.items():
            reason = KNOWN_DEFECTS.get((check, path))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(viewport, path, marks=marks, id=f"{viewport}-{page_id}"))
    return out


@pytest.fixture(scope="module")
async def audit(
    new_page: Callable[[str], AbstractAsyncContextManager[OpenedPage]],
) -> AsyncIterator[Audit]:
    """Each (viewport, path) is loaded and audited once; every check reads the same result."""
    results: dict[tuple[str, str], dict[str, Any]] = {}
    async with AsyncExitStack() as stack:
        pages = {v: await stack.enter_async_context(new_page(v)) for v in VIEWPORT_NAMES}

        async def run(viewport: str, path: str) -> dict[str, Any]:
            if (viewport, path) not in results:
                opened = pages[viewport]
                opened.problems.clear()
                response = await opened.page.goto(path)
                status = STATUS.get(path, 200)
                assert response is not None and response.status == status, (path, response)
                result: dict[str, Any] = await opened.page.evaluate(AUDIT_JS)
                # Chromium logs a non-200 document as a console error; that one is expected.
                expected = f"status of {status} "
                result["problems"] = [
                    p for p in opened.problems if status == 200 or expected not in p
                ]
                results[viewport, path] = result
            return results[viewport, path]

        yield run


@pytest.mark.parametrize(("viewport", "path"), params("console"))
async def test_no_console_errors(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert r["problems"] == []


@pytest.mark.parametrize(("viewport", "path"), params("lang"))
async def test_html_lang(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert r["lang"] and r["lang"].startswith("zh"), r["lang"]


@pytest.mark.parametrize(("viewport", "path"), params("h1"))
async def test_exactly_one_h1(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert len(r["h1"]) == 1, r["h1"]


@pytest.mark.parametrize(("viewport", "path"), params("labels"))
async def test_every_control_has_a_label(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert r["unlabelled"] == [], f"controls without a label on {path}: {r['unlabelled']}"


@pytest.mark.parametrize(("viewport", "path"), params("alt"))
async def test_every_img_has_alt(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert r["imgsWithoutAlt"] == [], f"img without alt on {path}: {r['imgsWithoutAlt']}"


@pytest.mark.parametrize(("viewport", "path"), params("contrast"))
async def test_text_contrast(audit: Audit, viewport: str, path: str) -> None:
    r = await audit(viewport, path)
    assert len(r["texts"]) >= 5, f"too little visible text measured on {path}: {r['texts']}"
    unmeasured = [t for t in r["texts"] if t["ratio"] is None]
    assert unmeasured == [], f"text over a background image, cannot measure: {unmeasured}"
    worst = sorted((t for t in r["texts"] if t["ratio"] < MIN_CONTRAST), key=lambda t: t["ratio"])
    report = "\n".join(
        f"  {t['ratio']:.2f}:1 {t['kind']} {t['fg']} on {t['bg']} ({t['size']}, {t['weight']})"
        f" {t['el']} «{t['text']}»"
        for t in worst[:15]
    )
    assert not worst, f"{len(worst)} text elements below {MIN_CONTRAST}:1 on {path}:\n{report}"


async def test_keyboard_search_from_home(page: Page) -> None:
    await page.goto("/")
    order: list[str] = []
    for _ in range(20):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id ? `${e.localName}#${e.id}` : `${e.localName}:${e.textContent.trim()}`; }"
        )
        order.append(focused)
        if focused.startswith("button:"):
            break
    # The skip link comes first and is visible while focused.
    assert order[0] == "a:跳到正文", order
    assert "input#name" in order, f"Tab never reached the search box: {order}"
    assert order[order.index("input#name") + 1] == "button:查一查能不能要", order

    # Shift+Tab back to the search box, type, Enter.
    await page.keyboard.press("Shift+Tab")
    await expect(page.locator("input#name")).to_be_focused()
    await page.keyboard.type("良民证")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/check"
    await expect(page.locator("h1")).to_have_text(re.compile("不得要求|可以要求"))
    await expect(page.locator("input#name")).to_have_value("良民证")


async def test_skip_link_is_visible_when_focused(page: Page) -> None:
    await page.goto("/")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    await expect(skip).to_be_focused()
    box = await skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box
