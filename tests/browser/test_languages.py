"""简体 / 繁體 / English on a 360 x 740 phone: the header's switch is a plain link (works without
JavaScript), keeps the page and its query, is remembered, and sets <html lang>; its links are
touch targets of at least 44 x 44 px (60 x 60 in 长辈版).

Screenshots: artifacts/screenshots/phone-lang-{zh-CN,zh-TW,en}-*.png."""

from __future__ import annotations

from urllib.parse import unquote

from playwright.async_api import Page

VERDICT = "/check?name=良民证&matter=找工作"


async def switch_to(page: Page, label: str) -> None:
    await page.locator("nav.languages a", has_text=label).click()
    await page.wait_for_load_state()


async def test_the_switch_keeps_the_page_and_its_query(phone: Page, shot):
    await phone.goto(VERDICT)
    assert await phone.get_attribute("html", "lang") == "zh-CN"
    await shot(phone, "lang-zh-CN-verdict")
    for label, tag, brand in (
        ("繁體", "zh-TW", "長垣縣證明事項清單"),
        ("English", "en", "Changyuan County"),
    ):
        await switch_to(phone, label)
        assert unquote(phone.url).endswith(VERDICT)  # the same page, the same question
        assert await phone.get_attribute("html", "lang") == tag
        assert brand in await phone.locator("header .brand").inner_text()
        await shot(phone, f"lang-{tag}-verdict")
    await phone.goto("/complaints/new")  # remembered
    assert await phone.get_attribute("html", "lang") == "en"
    assert await phone.locator("button[type=submit]").inner_text() == "Submit the complaint"
    await shot(phone, "lang-en-form")


async def test_the_language_links_are_large_enough(phone: Page):
    for setting, least in (("standard", 44), ("elder", 60)):
        await phone.goto(f"/mode?set={setting}&next=/")
        for link in await phone.locator("nav.languages a").all():
            box = await link.bounding_box()
            assert box and box["width"] >= least and box["height"] >= least, (setting, box)
