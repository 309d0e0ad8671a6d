"""A citizen's journey in a real browser, on a phone and on a desktop.

The journey is a chain of small steps, each taking the page where the previous one left it:
home → search → verdict → "我要投诉" → the prefilled form → receipt → tracking. A screenshot
is taken at every step (artifacts/screenshots/<viewport>-NN-*.png). The complaint steps shared
with the keyboard and staff journeys live in journey.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from journey import (
    SUBMITTED,
    Contact,
    fill_complaint,
    read_receipt,
    submit_complaint,
    track,
)
from playwright.async_api import Page, expect

from registry.infra import clock

Shot = Callable[[Page, str], Awaitable[Path]]
NO_CRIMINAL_RECORD = "无犯罪记录证明（村居出具）"

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


async def open_complaint_form(page: Page, shot: Shot, certificate: str) -> None:
    """Click the one-click complaint button: the form arrives prefilled from the verdict."""
    async with page.expect_navigation():
        await page.get_by_role("link", name=re.compile("我要投诉")).click()
    assert urlsplit(page.url).path == "/complaints/new", page.url
    await expect(page.locator("h1")).to_contain_text("投诉举报")
    await expect(page.get_by_label(re.compile("^被索要的证明"))).to_have_value(certificate)
    await assert_chinese_renders(page)
    await shot(page, "04-complaint-form")


async def file_it(page: Page, shot: Shot, contact: Contact, marker: str) -> None:
    await fill_complaint(page, contact, description=f"村委会不给开，窗口坚持要。{marker}")
    await shot(page, "05-complaint-filled")
    await submit_complaint(page)


async def tracking_shows(page: Page, shot: Shot, contact: Contact, status: str, step: str) -> None:
    fields = page.locator(".fields")
    await expect(fields).to_contain_text(status)
    await assert_chinese_renders(page, ".fields strong")
    html = await page.content()
    assert contact.leaks_in(html) == [], "the tracking page shows the complainant's contact data"
    await shot(page, step)


# --- tests -----------------------------------------------------------------------------------


async def test_abolished_certificate_in_traditional_characters(page: Page, shot: Shot) -> None:
    """The whole citizen journey, from the home page to tracking the complaint."""
    await open_home(page, shot)
    await figures_shown(page)
    await search(page, shot, "無犯罪記錄證明", "02-no-criminal-record")
    await verdict_is(page, "不得要求", NO_CRIMINAL_RECORD)
    await complain_link(page, NO_CRIMINAL_RECORD)
    await open_complaint_form(page, shot, NO_CRIMINAL_RECORD)
    contact = Contact.unique()
    await file_it(page, shot, contact, marker=uuid.uuid4().hex)
    receipt = await read_receipt(page)
    await expect(page.get_by_role("status")).to_contain_text("查询码只在这里显示一次")
    assert contact.leaks_in(await page.content()) == []
    await shot(page, "06-receipt")
    await track(page, receipt)
    await tracking_shows(page, shot, contact, SUBMITTED, "07-tracking")
    await expect(page.locator(".fields")).to_contain_text(NO_CRIMINAL_RECORD)
    await expect(page.locator(".fields")).to_contain_text("县公安局")


@pytest.mark.allow_console_errors  # Chromium logs the 422 document as a console error
async def test_complaint_form_error_keeps_what_was_typed(page: Page, shot: Shot) -> None:
    """Clearing the certificate name: 422, the message at the field, everything else kept."""
    await page.goto(f"/complaints/new?certificate_name={NO_CRIMINAL_RECORD}")
    contact = Contact.unique()
    description = f"第二次去还是要。{uuid.uuid4().hex}"
    await fill_complaint(page, contact, description=description)
    await page.get_by_label(re.compile("^被索要的证明")).fill("")
    async with page.expect_navigation() as nav:
        await page.get_by_role("button", name="提交投诉").click()
    response = await nav.value
    assert response is not None and response.status == 422, response
    assert urlsplit(page.url).path == "/complaints"

    summary = page.get_by_role("alert").filter(has_text="请修改以下")
    await expect(summary).to_be_visible()
    certificate = page.get_by_label(re.compile("^被索要的证明"))
    await expect(certificate).to_have_attribute("aria-invalid", "true")
    error = page.locator("#certificate_name-error")
    await expect(error).to_be_visible()
    assert (await error.inner_text()).strip(), "the field error has no text"
    await expect(summary.get_by_role("link")).to_have_text([await error.inner_text()])
    await shot(page, "08-complaint-error")

    await expect(page.get_by_role("combobox", name=re.compile("^索要单位"))).to_have_value(
        "CY-BM-001"
    )
    await expect(page.get_by_label("地点或窗口")).to_have_value("县政务服务中心 3 号窗口")
    await expect(page.get_by_label("办理什么事")).to_have_value("应聘保安员")
    await expect(page.get_by_label("经过（可选）")).to_have_value(description)
    await expect(page.get_by_role("radio", name=re.compile("^保密"))).to_be_checked()
    await expect(page.get_by_label("姓名")).to_have_value(contact.name)
    await expect(page.get_by_label("电话")).to_have_value(contact.phone)
    await expect(page.get_by_label(re.compile("^电子邮箱"))).to_have_value(contact.email)


@pytest.mark.allow_console_errors  # the 422 document
async def test_corrected_form_files_on_the_next_submit(page: Page) -> None:
    await page.goto(f"/complaints/new?certificate_name={NO_CRIMINAL_RECORD}")
    await fill_complaint(page, Contact.unique(), description=uuid.uuid4().hex)
    certificate = page.get_by_label(re.compile("^被索要的证明"))
    await certificate.fill("")
    await submit_complaint(page)
    await expect(certificate).to_have_attribute("aria-invalid", "true")
    await certificate.fill(NO_CRIMINAL_RECORD)
    await submit_complaint(page)
    await read_receipt(page)


async def test_retained_certificate(page: Page, shot: Shot) -> None:
    await open_home(page, shot)
    await search(page, shot, "出生医学证明", "03-birth-certificate")
    # Kept for one matter only: the page asks which, and the choice answers.
    await expect(page.locator("h1")).to_have_text("要看您办什么事")
    async with page.expect_navigation():
        await page.get_by_role("link", name=re.compile("新生儿出生登记（落户）")).click()
    await shot(page, "03-birth-certificate-matter")
    await expect(page.locator("h1")).to_have_text("可以要求（办理 新生儿出生登记（落户） 时）")
    await expect(page.locator(".answer h2 a")).to_have_text("出生医学证明")
    await assert_chinese_renders(page)
    await expect(page.get_by_role("link", name=re.compile("我要投诉"))).to_have_count(0)


# --- keyboard only -------------------------------------------------------------------------

FOCUSED_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return 'body';
  if (e.type === 'radio') return `radio:${e.value}`;
  return e.id ? `#${e.id}` : `${e.localName}:${e.textContent.trim().slice(0, 20)}`;
}"""


async def tab_to(page: Page, target: str, limit: int = 40) -> list[str]:
    """Press Tab until `target` (as FOCUSED_JS names it) has the focus; the order on the way."""
    order: list[str] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        order.append(await page.evaluate(FOCUSED_JS))
        if order[-1] == target:
            return order
    raise AssertionError(f"Tab never reached {target}: {order}")


async def choose_by_arrows(page: Page, label: str, limit: int = 60) -> None:
    """ArrowDown on the focused (closed) select until the option `label` is selected."""
    for _ in range(limit):
        text = await page.evaluate("() => document.activeElement.selectedOptions[0].text")
        if text == label:
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"ArrowDown never reached {label!r}")


async def test_keyboard_only_complaint(page: Page, shot: Shot) -> None:
    """No mouse: from the verdict to the receipt with Tab, typing, arrows, Space and Enter."""
    await page.goto("/check?name=良民证")
    await expect(page.locator("h1")).to_have_text("不得要求")
    await tab_to(page, "a:有单位向我索要这项证明，我要投诉")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/complaints/new", page.url
    prefilled = await page.get_by_label(re.compile("^被索要的证明")).input_value()
    assert prefilled, "the verdict's complaint link did not prefill the certificate"

    contact = Contact.unique()
    order = await tab_to(page, "#department")
    assert order[0] == "a:跳到正文", order
    await choose_by_arrows(page, "县公安局")
    await tab_to(page, "#place", limit=3)
    await page.keyboard.type("乡镇便民服务中心")
    await tab_to(page, "#certificate_name", limit=6)  # the date input may take several stops
    # China's today, as the form fills it in (not the machine's: they differ 16:00-24:00 UTC)
    await expect(page.get_by_label(re.compile("^哪一天"))).to_have_value(clock.today().isoformat())
    await tab_to(page, "#matter", limit=1)
    await page.keyboard.type("办理低保")
    await tab_to(page, "#description", limit=1)
    await page.keyboard.type(f"键盘填写。{uuid.uuid4().hex}")
    # Into the radio group: the focus lands on the checked one (保密); arrows move and check,
    # Space checks the focused one.
    await tab_to(page, "radio:confidential", limit=1)
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Space")
    await expect(page.get_by_role("radio", name=re.compile("^实名"))).to_be_checked()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("Space")
    await expect(page.get_by_role("radio", name=re.compile("^保密"))).to_be_checked()
    await tab_to(page, "#contact_name", limit=1)
    await page.keyboard.type(contact.name)
    await tab_to(page, "#contact_phone", limit=1)
    await page.keyboard.type(contact.phone)
    await tab_to(page, "#contact_email", limit=1)
    await page.keyboard.type(contact.email)
    await tab_to(page, "button:提交投诉", limit=1)
    await expect(page.get_by_role("combobox", name=re.compile("^索要单位"))).to_have_value(
        "CY-BM-001"
    )
    await shot(page, "09-keyboard-filled")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    receipt = await read_receipt(page)
    assert receipt.reference
    await shot(page, "10-keyboard-receipt")
