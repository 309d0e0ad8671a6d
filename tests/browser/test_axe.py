"""axe-core (through axe-playwright-python) on every public HTML page, phone and desktop.

Every public page is run through the standard accessibility engine in each display variant
(标准版/长辈版 x 简体/繁體/English, set as cookies on the browser context) on the phone, and
with REGISTRY_AXE_ALL=1 on a desktop too (kept out of CI for its 15-minute budget). One test
per variant audits every page in one context and reports every page with a violation of impact
"serious" or "critical", with its rule id, impact, targets and help URL.

The pages are derived from the routes: `test_every_public_html_route_is_audited` fails when a
public GET route answering HTML (tests/test_access.py's MATRIX) has no page here.

Screenshots (phone only): artifacts/screenshots/phone-axe-<variant>-<page>.png.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, expect

from registry.infra import clock
from tests.test_access import MATRIX

# The phone of the issue (MIIT 适老化: a cheap phone), and a desktop.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"},
}

# Display variants: id -> (cookies set on the context, the route that sets them). The standard
# mode in 简体 needs none; a variant whose switch route is not in the app yet is skipped.
VARIANTS: dict[str, tuple[dict[str, str], str | None]] = {
    "standard-zh": ({}, None),
    "elder-zh": ({"display": "elder"}, "/mode"),
    "standard-hant": ({"lang": "zh-Hant"}, "/lang"),
    "standard-en": ({"lang": "en"}, "/lang"),
    "elder-hant": ({"display": "elder", "lang": "zh-Hant"}, "/mode"),
    "elder-en": ({"display": "elder", "lang": "en"}, "/mode"),
}
# <html lang> of each variant's language.
HTML_LANG = {"zh": "zh-CN", "hant": "zh-TW", "en": "en"}
ROUTES = {path for (method, path) in MATRIX if method == "GET"}

FAILING_IMPACTS = {"serious", "critical"}
RECEIPT_PATH = re.compile(r"^/complaints/([A-Z0-9-]+)/receipt$")


@dataclass(frozen=True)
class Target:
    """A public page: how to reach it (a path, or a step that fills a form) and its status."""

    page_id: str
    path: str
    status: int = 200
    route: str | None = None  # a route another change adds: skipped until it is in the app


# page id (ASCII, for -k) -> target. {receipt} is filled with the complaint filed for the module.
PAGES: list[Target] = [
    Target("home", "/"),
    Target("retained", "/certificates/retained"),
    Target("abolished", "/certificates/abolished"),
    Target("item", "/certificates/CY-ZM-001"),
    Target("card", "/certificates/CY-ZM-001/card", route="/certificates/{code:str}/card"),
    Target("check-print", "/check/print?name=良民证", route="/check/print"),
    Target("poster", "/poster", route="/poster"),
    Target("poster-a3", "/poster?size=a3", route="/poster"),
    Target("check-retained", "/check?name=出生医学证明&matter=落户"),
    Target("check-abolished", "/check?name=良民证"),
    Target("check-needs-matter", "/check?name=出生证明"),
    Target("check-out-of-scope", "/check?name=身份证"),
    Target("check-unlisted", "/check?name=养猫证明书"),
    Target("check-invalid", "/check?name=", 400),
    Target("matters", "/matters?q=上户口"),
    Target("matters-form", "/matters"),
    Target("matter", "/matter?name=新生儿出生登记（落户）"),
    Target("complaint-form", "/complaints/new?certificate_name=良民证"),
    Target("complaint-errors", "POST /complaints", 422),
    Target("receipt", "{receipt}"),
    Target("track-form", "/complaints/track"),
    Target("track-found", "POST /complaints/track"),
    Target("track-not-found", "POST /complaints/track (wrong code)", 404),
    Target("stats", "/stats"),
    Target("changes", "/changes"),
    Target("about-list", "/about/list"),
    Target("api-docs", "/api/docs"),
    Target("staff-login", "/staff/login"),
    Target("commitment-form", "/certificates/CY-ZM-017/commitment"),
    Target("commitment-sign", "/certificates/CY-ZM-017/commitment/sign"),
    Target("commitment-receipt", "/commitments/CN-2026-000001/receipt"),
    Target("commitment-stats", "/stats/commitments"),
    Target("not-found", "/certificates/CY-NO-999", 404),
    Target("no-such-page", "/no/such/page", 404),
]

# Public GET routes that answer something other than an HTML page.
NOT_HTML = {
    "/downloads/{filename:str}",
    "/changes.atom",
    "/stats/complaints.csv",
    "/static/{file_path:path}",
    "/schema",
    "/schema/openapi.json",
    "/schema/{path:str}",
    "/mode",  # the switches answer with a redirect
    "/lang",
}
# Route template -> the page ids above that cover it.
COVERS = {
    "/": "home",
    "/certificates/retained": "retained",
    "/certificates/abolished": "abolished",
    "/certificates/{code:str}": "item",
    "/check": "check-retained",
    "/matters": "matters",
    "/matter": "matter",
    "/changes": "changes",
    "/about/list": "about-list",
    "/stats": "stats",
    "/api/docs": "api-docs",
    "/complaints/new": "complaint-form",
    "/complaints/{reference:str}/receipt": "receipt",
    "/complaints/track": "track-form",
    "/staff/login": "staff-login",
    "/certificates/{code:str}/card": "card",
    "/check/print": "check-print",
    "/poster": "poster",
    "/certificates/{code:str}/commitment": "commitment-form",
    "/certificates/{code:str}/commitment/sign": "commitment-sign",
    "/commitments/{reference:str}/receipt": "commitment-receipt",
    "/stats/commitments": "commitment-stats",
}


def test_every_public_html_route_is_audited() -> None:
    public_get = {
        path
        for (method, path), cell in MATRIX.items()
        if method == "GET" and cell.policy == "public" and not path.startswith("/api/v1/")
    }
    missing = sorted(public_get - NOT_HTML - set(COVERS))
    assert missing == [], f"public HTML routes without an axe page here: {missing}"
    assert set(COVERS.values()) <= {t.page_id for t in PAGES}


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        lines.append(f"{v['id']} [{v['impact']}] {v['help']}\n  help: {v['helpUrl']}")
        lines.extend(f"  target: {t}" for t in targets[:8])
        if len(targets) > 8:
            lines.append(f"  … and {len(targets) - 8} more")
    return "\n".join(lines)


@dataclass(frozen=True)
class Receipt:
    path: str
    reference: str
    access_code: str


async def file_complaint(page: Page) -> Receipt:
    await page.goto("/complaints/new?certificate_name=良民证")
    await page.get_by_role("combobox", name=re.compile("^索要单位")).select_option(label="县公安局")
    await page.get_by_label("地点或窗口").fill("县政务服务中心 3 号窗口")
    await page.get_by_label(re.compile("^哪一天")).fill(clock.today().isoformat())
    await page.get_by_label("办理什么事").fill("应聘保安员")
    await page.get_by_role("radio", name=re.compile("^保密")).check()
    await page.get_by_label("姓名").fill("王测")
    await page.get_by_label("电话").fill("13900000000")
    async with page.expect_navigation():
        await page.get_by_role("button", name="提交投诉").click()
    path = page.url.split(page.url.split("/complaints/")[0], 1)[1]
    match = RECEIPT_PATH.match(path)
    assert match, page.url
    receipt = page.get_by_role("status")
    code = (await receipt.locator("code").nth(1).inner_text()).strip()
    return Receipt(path, match.group(1), code)


async def open_target(page: Page, target: Target, receipt: Receipt) -> int:
    """Loads the page (filling a form where the page is a form's answer); returns its status.
    Selectors by name, not by label: the labels change with the language."""
    if target.path == "POST /complaints":
        await page.goto("/complaints/new")
        async with page.expect_navigation() as sent:
            await page.locator("form.complaint button[type=submit]").click()
        response = await sent.value
    elif target.path.startswith("POST /complaints/track"):
        await page.goto("/complaints/track")
        await page.locator("input[name=reference]").fill(receipt.reference)
        wrong = "wrong code" in target.path
        code = "ZZZZZZZZZZ" if wrong else receipt.access_code
        await page.locator("input[name=access_code]").fill(code)
        async with page.expect_navigation() as sent:
            await page.locator("form:has(input[name=access_code]) button[type=submit]").click()
        response = await sent.value
        if not wrong:
            await expect(page.locator(".fields code")).to_have_text(receipt.reference)
    else:
        path = receipt.path if target.path == "{receipt}" else target.path
        response = await page.goto(path)
    assert response is not None, target
    await page.wait_for_load_state("load")
    return response.status


Context = Callable[[str, str], Awaitable[BrowserContext]]


@pytest.fixture(scope="module")
async def contexts(browser: Browser, live_server: str) -> AsyncIterator[Context]:
    """One browser context per (viewport, variant), its cookies set once."""
    made: dict[tuple[str, str], BrowserContext] = {}
    async with AsyncExitStack() as stack:

        async def get(viewport: str, variant: str) -> BrowserContext:
            if (viewport, variant) not in made:
                context = await browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
                stack.push_async_callback(context.close)
                context.set_default_timeout(10_000)
                cookies = [
                    {"name": k, "value": v, "url": live_server}
                    for k, v in VARIANTS[variant][0].items()
                ]
                if cookies:
                    await context.add_cookies(cookies)  # type: ignore[arg-type]
                made[viewport, variant] = context
            return made[viewport, variant]

        yield get


@pytest.fixture(scope="module")
async def receipt(contexts: Context) -> Receipt:
    context = await contexts("phone", "standard-zh")
    page = await context.new_page()
    try:
        return await file_complaint(page)
    finally:
        await page.close()


AXE = Axe()
# The rules that matter: WCAG 2.0/2.1 A and AA, and axe's best practices (the default run minus
# the AAA, deprecated and experimental rules). Passing options replaces the library's default
# {"resultTypes": ["violations"]}, so it is repeated: passes and incomplete results are not built.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Pages audited at once in a variant's context (2 cores: the server, Chromium and axe share them).
JOBS = int(os.environ.get("REGISTRY_AXE_JOBS", "2"))


async def audit(page: Page) -> list[dict[str, Any]]:
    """axe on the loaded page: its serious and critical violations."""
    results = await AXE.run(page, options=AXE_OPTIONS)
    return [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]


# In CI: every page in each mode and each language on the phone (6 variants, a screenshot of each
# page). With REGISTRY_AXE_ALL=1, every variant on the desktop too (CI's 15-minute budget).
# One test per variant, each auditing every page in one context and collecting every
# violation, so the whole matrix costs no more than the 90 runs (one test per page) it replaces.
RUNS = (
    [(vp, v) for vp in VIEWPORTS for v in VARIANTS]
    if os.environ.get("REGISTRY_AXE_ALL") == "1"
    else [("phone", v) for v in VARIANTS]
)


@pytest.mark.parametrize(("viewport", "variant"), RUNS, ids=[f"{a}-{b}" for a, b in RUNS])
async def test_axe_finds_no_serious_violation(
    contexts: Context, receipt: Receipt, viewport: str, variant: str
) -> None:
    switch = VARIANTS[variant][1]
    if switch is not None and switch not in ROUTES:
        pytest.skip(f"{variant}: {switch} is not in the app yet")
    targets = [t for t in PAGES if t.route is None or t.route in ROUTES]
    context = await contexts(viewport, variant)
    mode, language = variant.split("-")
    failures: dict[str, str] = {}
    queue = list(targets)

    async def worker() -> None:
        page = await context.new_page()
        try:
            while queue:
                target = queue.pop(0)
                try:
                    failures.update(await check(page, target))
                except Exception as e:  # every page is reported, not only the first that fails
                    failures[target.page_id] = f"{type(e).__name__}: {e}"
        finally:
            await page.close()

    async def check(page: Page, target: Target) -> dict[str, str]:
        status = await open_target(page, target, receipt)
        if status != target.status:
            return {target.page_id: f"status {status}, not {target.status} ({page.url})"}
        # The variant is the page it names (else another page would be audited under its name).
        lang, classes = await page.evaluate(
            "() => [document.documentElement.lang, document.documentElement.className]"
        )
        if lang != HTML_LANG[language] or ("elder" in classes.split()) != (mode == "elder"):
            return {target.page_id: f"<html lang={lang!r} class={classes!r}>, not {variant}"}
        violations = await audit(page)
        if viewport == "phone":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / f"{viewport}-axe-{variant}-{target.page_id}.png"
            await page.screenshot(path=str(shot), full_page=True, scale="css")
        return {target.page_id: describe(violations)} if violations else {}

    await asyncio.gather(*(worker() for _ in range(min(JOBS, len(targets)))))
    report = "\n".join(f"--- {page_id}:\n{text}" for page_id, text in sorted(failures.items()))
    assert not failures, (
        f"{len(failures)} of {len(targets)} pages ({viewport}, {variant}):\n" + report
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
async def test_each_variant_is_the_page_it_names(contexts: Context, variant: str) -> None:
    """The cookies of a variant really switch the mode and the language (else the axe runs
    above would audit the standard page under another name)."""
    switch = VARIANTS[variant][1]
    if switch is not None and switch not in ROUTES:
        pytest.skip(f"{variant}: {switch} is not in the app yet")
    context = await contexts("phone", variant)
    page = await context.new_page()
    try:
        await page.goto("/")
        html = page.locator("html")
        mode, language = variant.split("-")
        await expect(html).to_have_attribute("lang", HTML_LANG[language])
        elder = re.compile(r"\belder\b")
        if mode == "elder":
            await expect(html).to_have_class(elder)
        else:
            await expect(html).not_to_have_class(elder)
    finally:
        await page.close()


async def test_axe_reports_a_serious_violation_when_there_is_one(contexts: Context) -> None:
    """The engine is really running: an image without alt text and grey-on-white small print
    on one of our pages are reported, with the fields the failure message prints."""
    context = await contexts("phone", "standard-zh")
    page = await context.new_page()
    try:
        await page.goto("/about/list")
        await page.evaluate(
            """() => {
              const main = document.querySelector('main') || document.body;
              const img = document.createElement('img');
              img.width = 10; img.height = 10;
              const p = document.createElement('p');
              p.textContent = '灰色小字';
              // Through the CSSOM: the site's CSP refuses style attributes.
              Object.assign(p.style, {color: '#ccc', background: '#fff', fontSize: '12px'});
              main.append(img, p);
            }"""
        )
        results = await AXE.run(page)
    finally:
        await page.close()
    found = {v["id"]: v for v in results.response["violations"]}
    assert {"image-alt", "color-contrast"} <= set(found), sorted(found)
    text = describe([found["image-alt"], found["color-contrast"]])
    assert "image-alt [critical]" in text and "color-contrast [serious]" in text, text
    assert "help: https://dequeuniversity.com/" in text and "target: " in text, text
