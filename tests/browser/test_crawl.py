"""An in-repo "ZAP baseline": crawl the live server over HTTP and check every response.

Three crawls (anonymous from / and /staff/login; the supervisor and the 县公安局 department user
from /staff/complaints, staying under /staff/), each following every same-origin link and
redirect, at most MAX_PAGES pages and PER_SHAPE pages of one kind (item pages, filtered queues),
never /downloads/*.xlsx or logout. Logged in, the CSV downloads are fetched as well.
A complaint with unique contact canaries is filed
first (API, Idempotency-Key), so the queue and detail pages show it.

Cookies: the server here speaks plain http and runs without REGISTRY_HTTPS=1, so no cookie may
carry `Secure` (a browser would drop a Secure cookie set over http and every form would fail
its CSRF check); `test_cookie_attributes` asserts that every cookie agrees with the setting,
which also catches a cookie that forgets `secure=settings.secure_cookies`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from journey import POLICE_NAME, Contact

from registry.infra import clock

if TYPE_CHECKING:
    from conftest import StaffAccount

MAX_PAGES = 300
PER_SHAPE = 8
SKIP = [re.compile(r"^/downloads/.*\.xlsx$"), re.compile(r"^/staff/logout$")]
EXTRA = ["/stats/complaints.csv", "/downloads/all.csv", "/changes.atom", "/api/v1/stats"]
TRACEBACK = re.compile(r"Traceback|File \"[^\"]+\.py\"|asyncpg\.|postgresql://")
COOKIES_REQUIRED = {"csrftoken", "staff_session"}
ROLES = ("supervisor", "department")


@dataclass
class Fetched:
    who: str
    url: str
    status: int
    headers: httpx.Headers
    text: str

    @property
    def path(self) -> str:
        return urlsplit(self.url.split(" ")[-1]).path

    @property
    def is_html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")


@dataclass
class Form:
    method: str
    action: str
    inputs: dict[str, str] = field(default_factory=dict)


class PageParser(HTMLParser):
    """Links to follow and forms to check; nothing more of the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form((a.get("method") or "get").lower(), a.get("action", "")))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].inputs[a["name"]] = a.get("value", "")
        elif tag == "h1":
            self.h1 += 1


def parse(text: str) -> PageParser:
    p = PageParser()
    p.feed(text)
    return p


def shape(path: str, query: str) -> str:
    """Pages of one kind (item pages, filtered queues): a few of each say as much as all."""
    keys = sorted({kv.split("=")[0] for kv in query.split("&") if kv})
    return re.sub(r"[A-Z]{2}-[A-Z]{2}-\d+|\d+", "#", path) + "?" + "&".join(keys)


async def crawl(
    client: httpx.AsyncClient, who: str, seeds: list[str], under: str = "/"
) -> list[Fetched]:
    """Breadth first over same-origin links under `under`, at most PER_SHAPE pages per kind."""
    origin = str(client.base_url).rstrip("/")
    queue, seen, out = list(seeds), set(seeds), []
    shapes: dict[str, int] = {}
    while queue and len(out) < MAX_PAGES:
        target = queue.pop(0)
        r = await client.get(target)
        page = Fetched(who, target, r.status_code, r.headers, r.text)
        out.append(page)
        found = [r.headers["location"]] if r.is_redirect else []
        if page.is_html:
            found += parse(r.text).links
        for href in found:
            parts = urlsplit(urljoin(origin + target, href))
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            kind = shape(parts.path, parts.query)
            if (
                f"{parts.scheme}://{parts.netloc}" != origin
                or local in seen
                or not parts.path.startswith(under)
                or any(s.search(parts.path) for s in SKIP)
                or shapes.get(kind, 0) >= PER_SHAPE
            ):
                continue
            seen.add(local)
            shapes[kind] = shapes.get(kind, 0) + 1
            queue.append(local)
    return out


async def login(client: httpx.AsyncClient, account: StaffAccount) -> list[Fetched]:
    """Log in through the form; both responses are checked like crawled pages."""
    form = await client.get("/staff/login")
    token = parse(form.text).forms[0].inputs["_csrf_token"]
    r = await client.post(
        "/staff/login",
        data={"_csrf_token": token, "username": account.username, "password": account.password},
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff/", (r.status_code, r.text)
    return [
        Fetched(account.role, "/staff/login", form.status_code, form.headers, form.text),
        Fetched(account.role, "POST /staff/login", r.status_code, r.headers, r.text),
    ]


async def accept_and_assign(client: httpx.AsyncClient, reference: str, department: str) -> None:
    queue = await client.get("/staff/complaints")
    found = re.search(rf'href="/staff/complaints/(\d+)">{reference}<', queue.text)
    assert found, f"{reference} not in the supervisor's queue"
    token = next(f for f in parse(queue.text).forms if f.method == "post").inputs["_csrf_token"]
    for action, expected, extra in (
        ("accept", "submitted", {}),
        ("assign", "accepted", {"department": department}),
    ):
        r = await client.post(
            f"/staff/complaints/{found.group(1)}/{action}",
            data={"_csrf_token": token, "expected": expected, **extra},
        )
        assert r.status_code == 303, (action, r.status_code, r.text[:300])


@pytest.fixture(scope="module")
def canary() -> Contact:
    return Contact.unique()


@pytest.fixture(scope="module")
async def crawled(
    live_server: str, staff_accounts: dict[str, StaffAccount], canary: Contact
) -> AsyncIterator[list[Fetched]]:
    pages: list[Fetched] = []
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as api:
        departments = (await api.get("/api/v1/departments")).json()
        police = next(d["code"] for d in departments if d["name"] == POLICE_NAME)
        r = await api.post(
            "/api/v1/complaints",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={
                "department": police,
                "certificate_name": "居住证明",
                "demanded_on": clock.today().isoformat(),  # China's today: valid in any year
                "description": "爬虫测试用投诉",
                "disclosure": "confidential",
                "contact": {"name": canary.name, "phone": canary.phone, "email": canary.email},
            },
        )
        assert r.status_code == 201, r.text
        reference = r.json()["reference"]
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as anonymous:
        pages += await crawl(anonymous, "anonymous", ["/", "/staff/login", *EXTRA])
    for role in ROLES:
        async with httpx.AsyncClient(base_url=live_server, timeout=30) as staff:
            pages += await login(staff, staff_accounts[role])
            if role == "supervisor":  # route it to the department, so both see it
                await accept_and_assign(staff, reference, police)
            # The public pages were crawled anonymously; logged in, only the workspace.
            pages += await crawl(staff, role, ["/staff/complaints"], under="/staff/")
            pages += await crawl(staff, role, EXTRA, under="/-")
            assert staff.cookies.get("staff_session"), f"{role}: logged out by the crawl"
    # The canary complaint's own page was crawled by both (else the test proves nothing).
    for role in ROLES:
        assert any(
            p.who == role and re.fullmatch(r"/staff/complaints/\d+", p.path) and reference in p.text
            for p in pages
        ), f"{role} never reached the page of {reference}"
    counts = {who: sum(p.who == who for p in pages) for who in ("anonymous", *ROLES)}
    print(f"crawled {len(pages)} responses: {counts}")
    yield pages


def describe(pages: list[Fetched]) -> str:
    return "\n".join(f"  {p.who} {p.status} {p.url}" for p in pages[:20])


async def test_crawl_covers_the_site(crawled: list[Fetched]) -> None:
    paths = {p.path for p in crawled}
    for expected in ("/", "/certificates/retained", "/complaints/new", "/staff/complaints"):
        assert expected in paths, sorted(paths)
    assert any(re.fullmatch(r"/staff/complaints/\d+", p) for p in paths), sorted(paths)
    assert any(re.fullmatch(r"/certificates/CY-ZM-\d+", p) for p in paths), sorted(paths)


async def test_no_server_errors(crawled: list[Fetched]) -> None:
    bad = [p for p in crawled if p.status >= 500 or p.status in (401, 403)]
    assert bad == [], describe(bad)


async def test_security_headers_everywhere(crawled: list[Fetched]) -> None:
    bad = []
    for p in crawled:
        csp = p.headers.get("content-security-policy", "")
        if (
            "frame-ancestors 'none'" not in csp
            or p.headers.get("x-content-type-options") != "nosniff"
            or not p.headers.get("referrer-policy")
        ):
            bad.append(p)
    assert bad == [], describe(bad)


async def test_staff_pages_are_not_cached(crawled: list[Fetched]) -> None:
    bad = [
        p
        for p in crawled
        if p.who != "anonymous"
        and p.path.startswith("/staff/")
        and p.status == 200
        and "no-store" not in p.headers.get("cache-control", "")
    ]
    assert bad == [], describe(bad)


async def test_cookie_attributes(crawled: list[Fetched]) -> None:
    """HttpOnly and SameSite on every cookie; Secure never over this plain-http server."""
    seen: set[str] = set()
    problems = []
    for p in crawled:
        for header in p.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            lowered = header.lower()
            for name in jar:
                seen.add(name)
                if "httponly" not in lowered:
                    problems.append(f"{name} without HttpOnly on {p.url}")
                if "samesite=" not in lowered:
                    problems.append(f"{name} without SameSite on {p.url}")
                if "secure" in {part.strip() for part in lowered.split(";")}:
                    problems.append(f"{name} Secure over http without REGISTRY_HTTPS on {p.url}")
    assert problems == []
    assert seen >= COOKIES_REQUIRED, seen


async def test_post_forms_carry_a_csrf_token(crawled: list[Fetched]) -> None:
    bad = []
    for p in crawled:
        if not p.is_html:
            continue
        for form in parse(p.text).forms:
            token = form.inputs.get("_csrf_token", "")
            if form.method == "post" and not re.fullmatch(r"[0-9a-f]{64,}", token):
                bad.append(f"{p.who} {p.url}: form → {form.action} token={token!r}")
    assert bad == [], "\n".join(bad)


async def test_contact_canary_never_shown(crawled: list[Fetched], canary: Contact) -> None:
    leaks = [
        f"{p.who} {p.url}: {canary.leaks_in(p.text)}" for p in crawled if canary.leaks_in(p.text)
    ]
    assert leaks == [], "\n".join(leaks)
    csv = [p for p in crawled if p.path in ("/stats/complaints.csv", "/downloads/all.csv")]
    assert len(csv) >= 2 and all(p.status == 200 for p in csv), describe(csv)


async def test_html_pages_have_one_h1(crawled: list[Fetched]) -> None:
    bad = [p for p in crawled if p.is_html and p.status == 200 and parse(p.text).h1 != 1]
    assert bad == [], describe(bad)


# --- forced errors ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def client(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as c:
        yield c


def plain_error(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert not TRACEBACK.search(r.text), r.text[:2000]


@pytest.mark.parametrize(
    "path",
    ["/certificates/" + "x" * 5000, "/check?name=%ZZ", "/check?name=%E4%B8", "/no/such/page"],
    ids=["long-path", "bad-percent", "cut-utf8", "404"],
)
async def test_odd_requests_get_a_plain_page(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    plain_error(r)
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("text/html"), r.headers
        assert parse(r.text).h1 == 1, r.text[:500]


async def test_huge_complaint_body_is_refused(client: httpx.AsyncClient) -> None:
    body = "certificate_name=" + "x" * (1024 * 1024 + 10)
    r = await client.post(
        "/complaints",
        content=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    plain_error(r)
    assert r.status_code == 413, r.status_code


async def test_error_page_is_html_with_a_heading(client: httpx.AsyncClient) -> None:
    """No route raises on purpose, so the error template is checked through a 404."""
    r = await client.get(f"/certificates/CY-ZM-{uuid.uuid4().hex[:6]}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    plain_error(r)
    parsed = parse(r.text)
    assert parsed.h1 == 1
    assert "状态码 404" in r.text
