"""Every page in every language (issue 14, item 2): each HTML page the app can show, rendered
in English and in 繁體, fails on any string left in the source language.

- English: every Chinese character must sit inside an element marked `lang="zh-…"` — the
  official names and the list's own words, which English shows as they are (and which screen
  readers then read as Chinese) — or `translate="no"`: people's own words, shown as typed.
  Anything else is an untranslated string.
- 繁體: the text converts to itself with OpenCC (s2tw, characters only, as the app converts
  list data), except inside `translate="no"` (people's own words, shown as typed) or
  `lang="zh-CN"`.

The pages come from the route table: a new HTML route fails until it is listed in PAGES."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import opencc
import pytest
from bs4 import BeautifulSoup, NavigableString, Tag

from registry.accounts.models import Role, StaffUser
from registry.catalogue import transfer
from registry.catalogue.models import Certificate, Status
from registry.catalogue.queries import certificates
from registry.complaints import workflow
from registry.web.state import worker
from tests.commitment_helpers import commitment_samples
from tests.staff_helpers import DEPT_A, complaint_id, csrf, filed, login, make_user
from tests.verification_helpers import samples as verification_samples

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "content")
to_traditional = opencc.OpenCC("s2tw")  # characters only, as the app converts list data


def marked(element: Tag, attribute: str, test) -> bool:  # type: ignore[no-untyped-def]
    """Whether the nearest ancestor carrying `attribute` passes `test`."""
    node: Tag | None = element
    while node is not None:
        value = node.get(attribute) if isinstance(node, Tag) else None
        if value is not None:
            return bool(test(value))
        node = node.parent
    return False


def texts(soup: BeautifulSoup) -> Iterator[tuple[Tag, str]]:
    """What a reader sees or hears: text, and the attributes read aloud or shown."""
    for node in soup.find_all(string=True):
        parent = node.parent
        if isinstance(node, NavigableString) and parent is not None:
            if parent.name in ("script", "style") or type(node) is not NavigableString:
                continue
            if node.strip():
                yield parent, str(node)
    for element in soup.find_all(True):
        for attribute in SEEN_ATTRIBUTES:
            if element.name == "meta" and element.get("name") != "description":
                continue
            if element.get(attribute):
                yield element, str(element[attribute])
        if element.name == "input" and element.get("type") in ("submit", "button"):
            yield element, str(element.get("value", ""))


def untranslated(html: str, tag: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element, text in texts(soup):
        if tag == "en":
            chinese = marked(element, "lang", lambda v: v.startswith("zh"))
            own = marked(element, "translate", lambda v: v == "no")
            if HAN.search(text) and not (chinese or own):
                found.append(text.strip())
        elif tag == "zh-TW":
            kept = marked(element, "translate", lambda v: v == "no") or marked(
                element, "lang", lambda v: v == "zh-CN"
            )
            again = to_traditional.convert(text)  # a page in Traditional converts to itself
            if again != text and not kept:
                changed = "".join(a for a, b in zip(text, again, strict=False) if a != b)
                found.append(f"{changed} in {text.strip()[:60]}")
    return found


# Every GET route that answers HTML, with the URL (path parameters filled in) and who may see
# it. Routes that answer something else are listed in NOT_HTML.
PAGES: dict[str, tuple[str, str]] = {
    "/": ("/", "anonymous"),
    "/certificates/retained": ("/certificates/retained", "anonymous"),
    "/certificates/abolished": ("/certificates/abolished?q=证明", "anonymous"),
    "/certificates/{code:str}": ("/certificates/CY-ZM-001", "anonymous"),
    "/certificates/{code:str}/card": ("/certificates/CY-ZM-001/card", "anonymous"),
    "/check": ("/check", "anonymous"),
    "/check/print": ("/check/print?name=良民证&matter=就业", "anonymous"),
    "/matters": ("/matters?q=上户口", "anonymous"),
    "/matter": ("/matter?name=新生儿出生登记（落户）", "anonymous"),
    "/changes": ("/changes", "anonymous"),
    "/about/list": ("/about/list", "anonymous"),
    "/poster": ("/poster?size=a4", "anonymous"),
    "/stats": ("/stats", "anonymous"),
    "/api/docs": ("/api/docs", "anonymous"),
    "/complaints/new": ("/complaints/new", "anonymous"),
    "/complaints/{reference:str}/receipt": ("/complaints/{reference}/receipt", "anonymous"),
    "/complaints/track": ("/complaints/track", "anonymous"),
    "/staff/login": ("/staff/login", "anonymous"),
    "/staff/complaints": ("/staff/complaints", "supervisor"),
    "/staff/complaints/{complaint_id:int}": ("/staff/complaints/{complaint_id}", "supervisor"),
    "/staff/list": ("/staff/list", "supervisor"),
    "/staff/list/new": ("/staff/list/new", "supervisor"),
    "/staff/list/import": ("/staff/list/import", "supervisor"),
    "/staff/list/import/{batch:str}": ("/staff/list/import/{batch}", "supervisor"),
    "/staff/list/{code:str}": ("/staff/list/CY-ZM-001", "supervisor"),
    "/staff/vocabulary": ("/staff/vocabulary", "supervisor"),
    "/staff/vocabulary/new": ("/staff/vocabulary/new", "supervisor"),
    "/staff/vocabulary/{key:str}": ("/staff/vocabulary/{vocabulary}", "supervisor"),
    "/staff/licences": ("/staff/licences", "supervisor"),
    "/staff/licences/new": ("/staff/licences/new", "supervisor"),
    "/staff/licences/{key:str}": ("/staff/licences/{licence}", "supervisor"),
    "/staff/audit": ("/staff/audit", "supervisor"),
    "/staff/users": ("/staff/users", "admin"),
    "/staff/tokens": ("/staff/tokens", "admin"),
    "/staff/calendar": ("/staff/calendar", "supervisor"),
    "/certificates/{code:str}/commitment": ("/certificates/CY-ZM-017/commitment", "anonymous"),
    "/certificates/{code:str}/commitment/sign": (
        "/certificates/CY-ZM-017/commitment/sign",
        "anonymous",
    ),
    "/commitments/{reference:str}/receipt": ("/commitments/{cn_ref}/receipt", "anonymous"),
    "/stats/commitments": ("/stats/commitments", "anonymous"),
    "/staff/commitments": ("/staff/commitments", "department"),
    "/staff/commitments/{reference:str}": ("/staff/commitments/{cn_ref}", "department"),
    "/staff/commitment-forms": ("/staff/commitment-forms", "supervisor"),
    "/staff/commitment-forms/{code:str}": ("/staff/commitment-forms/CY-ZM-017", "supervisor"),
    "/staff/verification": ("/staff/verification", "department"),
    "/staff/verification/new": ("/staff/verification/new?code=CY-ZM-010", "department"),
    "/staff/verification/{request_ref:str}": ("/staff/verification/{xc_answered}", "department"),
    "/staff/verification-terms": ("/staff/verification-terms", "supervisor"),
    "/staff/verification-mailboxes": ("/staff/verification-mailboxes", "supervisor"),
}
NOT_HTML = {
    "/downloads/{filename:str}",
    "/changes.atom",
    "/stats/complaints.csv",
    "/static/{file_path:path}",
    "/mode",
    "/lang",
    "/staff",
    "/schema",
    "/schema/openapi.json",
    "/schema/{path:str}",
}
# Further states of those pages: each verdict, a form sent back with its errors, errors.
STATES: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("verdict: retained, may require", "/check?name=出生医学证明&matter=上户口", "anonymous", None),
    ("verdict: abolished", "/check?name=良民证&matter=就业", "anonymous", None),
    ("verdict: needs a matter", "/check?name=出生证明", "anonymous", None),
    ("verdict: unlisted", "/check?name=会飞证明", "anonymous", None),
    ("verdict: a licence", "/check?name=身份证", "anonymous", None),
    ("verdict: a question with errors", "/check?name=" + "长" * 300, "anonymous", None),
    ("the list by date", "/certificates/retained?on=2018-01-01", "anonymous", None),
    ("an item as it was", "/certificates/CY-ZM-001?on=2018-12-28", "anonymous", None),
    ("an unknown item", "/certificates/CY-ZZ-999", "anonymous", None),
    ("matters: nothing found", "/matters?q=火星移民", "anonymous", None),
    ("complaint form with errors", "/complaints", "anonymous", {}),
    (
        "tracking: not found",
        "/complaints/track",
        "anonymous",
        {"reference": "X", "access_code": "Y"},
    ),
    ("tracking: a case", "/complaints/track", "anonymous", {"found": "yes"}),
    ("login refused", "/staff/login", "anonymous", {"username": "x", "password": "y"}),
    ("item form with errors", "/staff/list/new", "supervisor", {}),
    ("vocabulary form with errors", "/staff/vocabulary/new", "supervisor", {}),
    ("licence form with errors", "/staff/licences/new", "supervisor", {}),
    ("calendar form with errors", "/staff/calendar", "supervisor", {}),
    ("the department's queue", "/staff/complaints", "department", None),
    ("the department's case", "/staff/complaints/{complaint_id}", "department", None),
    ("tracking: a full timeline", "/complaints/track", "anonymous", {"found": "full"}),
    ("the office's case: a full timeline", "/staff/complaints/{full_id}", "supervisor", None),
    ("a staff page that is not there", "/staff/list/import/999999", "supervisor", None),
    ("commitment signing with errors", "/certificates/CY-ZM-017/commitment/sign", "anonymous", {}),
    ("an item with a commitment form", "/certificates/CY-ZM-017", "anonymous", None),
    ("an item without a commitment form", "/certificates/CY-ZM-001/commitment", "anonymous", None),
    ("a commitment receipt elsewhere", "/commitments/{cn_checked}/receipt", "anonymous", None),
    ("commitment lookup: not found", "/staff/commitments?ref=CN-0000-000000", "department", None),
    (
        "commitment check with errors",
        "/staff/commitments/{cn_ref}/check",
        "department",
        {"expected": "signed"},
    ),
    ("commitment checked, the office", "/staff/commitments/{cn_checked}", "supervisor", None),
    ("commitment form with errors", "/staff/commitment-forms/CY-ZM-017", "supervisor", {}),
    ("API token form with errors", "/staff/tokens", "admin", {"label": "x" * 101}),
    ("an API token issued", "/staff/tokens", "admin", {"department": DEPT_A, "label": "窗口系统"}),
    ("协查: sent, answered late", "/staff/verification?box=outgoing", "department", None),
    ("协查: the office's overdue", "/staff/verification?status=overdue", "supervisor", None),
    ("协查: to answer", "/staff/verification/{xc_to_a}", "department", None),
    ("协查: overdue, urged", "/staff/verification/{xc_urged}", "supervisor", None),
    ("协查 form with errors", "/staff/verification/new", "department", {}),
    ("协查 terms with errors", "/staff/verification-terms", "supervisor", {"unit": "hours"}),
    ("协查 mailboxes with errors", "/staff/verification-mailboxes", "supervisor", {"email": "x"}),
    (
        "协查 answer with errors",
        "/staff/verification/{xc_to_a}/answer",
        "department",
        {"expected": "received", "note": "x" * 1001},
    ),
    (
        "协查: a stale page",
        "/staff/verification/{xc_to_a}/receive",
        "department",
        {"expected": "pending"},
    ),
]


@pytest.fixture
async def people(app, conn):  # type: ignore[no-untyped-def]
    """An anonymous visitor, a department clerk, the office and an administrator, plus one of
    each record the pages show: a complaint with a timeline, an import batch, an entry of the
    checker's vocabulary and of the licences."""
    await make_user(conn, "sup", "supervisor")
    await make_user(conn, "adm", "admin")
    await make_user(conn, "depa", "department", DEPT_A)
    out: dict[str, httpx.AsyncClient] = {}
    for role, username in [
        ("anonymous", None),
        ("department", "depa"),
        ("supervisor", "sup"),
        ("admin", "adm"),
    ]:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        if username:
            assert (await login(c, username)).status_code == 303
        out[role] = c
    reference, code = await filed(
        out["anonymous"], contact={"name": "王五", "phone": "13712345678"}
    )
    cid = await complaint_id(conn, reference)
    await conn.execute(
        "UPDATE complaints SET status='assigned', assigned_department=$2 WHERE id=$1", cid, DEPT_A
    )
    # An import preview with a change, a new item and a row the importer refuses.
    item = await certificates.get_latest(conn, "CY-ZM-001")
    item.issuer = "县档案馆"
    new = Certificate(code="", name="测试新增证明", status=Status.ABOLISHED)
    csv = transfer.export_csv([item, new]) + "CY-ZM-999,,未知状态\n".encode()
    token = await csrf(out["supervisor"])
    r = await out["supervisor"].post(
        "/staff/list/import",
        data={"_csrf_token": token},
        files={"file": ("list.csv", csv, "text/csv")},
    )
    assert r.status_code == 303, r.text[:500]
    batch = r.headers["location"].rsplit("/", 1)[-1]
    samples = {
        "reference": reference,
        "code": code,
        "complaint_id": str(cid),
        "batch": batch,
        "vocabulary": await conn.fetchval(
            "SELECT min(key) FROM thesaurus_terms WHERE valid_to IS NULL"
        ),
        "licence": await conn.fetchval("SELECT min(key) FROM licences WHERE valid_to IS NULL"),
    }
    samples.update(await full_timeline(conn, out["anonymous"]))
    samples.update(await commitment_samples(conn, out["anonymous"]))
    samples.update(await verification_samples(conn))
    worker(app)  # the app has started
    yield out, samples
    for c in out.values():
        await c.aclose()


async def full_timeline(conn, anonymous: httpx.AsyncClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A second complaint taken through the workflow engine: accepted, assigned to a department,
    extended with a reason, replied, closed with a result, followed up with a comment, and an
    internal note: every timeline sentence with list data or someone's own words in it."""
    reference, code = await filed(
        anonymous,
        certificate_name="无犯罪记录证明",
        description="窗口要求开具无犯罪记录证明",
        contact={"name": "赵六", "phone": "13712345679"},
    )
    cid = await complaint_id(conn, reference)
    sup_id = await conn.fetchval("SELECT id FROM users WHERE username = 'sup'")
    dep_id = await conn.fetchval("SELECT id FROM users WHERE username = 'depa'")
    sup = StaffUser(
        id=sup_id, username="sup", display_name="s", role=Role.SUPERVISOR, department_code=None
    )
    dep = StaffUser(
        id=dep_id, username="depa", display_name="d", role=Role.DEPARTMENT, department_code=DEPT_A
    )
    A = workflow.Action
    for who, action, expected, form in [
        (sup, A.ACCEPT, "submitted", {}),
        (sup, A.ASSIGN, "accepted", {"department": DEPT_A}),
        (dep, A.EXTEND, "assigned", {"reason": "需要调取窗口录像核实"}),
        (dep, A.REPLY, "assigned", {"finding": "substantiated", "action_taken": "已约谈窗口人员"}),
        (sup, A.CLOSE, "replied", {"result": "已责令窗口改正，不再索要这个证明"}),
        (sup, A.FOLLOW_UP, "closed", {"satisfaction": "satisfied", "comment": "处理得很快"}),
        (sup, A.NOTE, "closed", {"note": "已电话回访投诉人"}),
    ]:
        await workflow.transition(conn, cid, action, who, expected=expected, form=form)
    return {"full_reference": reference, "full_code": code, "full_id": str(cid)}


def test_every_html_route_is_listed(app):
    paths = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "route_handler_map", {}) and not route.path.startswith("/api/v1")
    }
    assert paths - set(PAGES) - NOT_HTML == set(), "add the new page to PAGES"
    assert set(PAGES) - paths == set(), "PAGES lists a route that is gone"


async def fetch(people, samples, url: str, role: str, form, tag: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    client = people[role]
    url = url.format(**samples)
    headers = {"accept-language": tag}
    if form is None:
        return await client.get(url, headers=headers)
    if form.get("found") == "full":  # the tracking page of the case with a full timeline
        form = {"reference": samples["full_reference"], "access_code": samples["full_code"]}
    elif form.get("found"):  # the tracking page of the case filed above
        form = {"reference": samples["reference"], "access_code": samples["code"]}
    token = await csrf(client)
    return await client.post(url, data={"_csrf_token": token, **form}, headers=headers)


@pytest.mark.parametrize("tag", ["en", "zh-TW"])
async def test_no_page_has_an_untranslated_string(app, people, tag):
    clients, samples = people
    cases = [(path, url, role, None) for path, (url, role) in PAGES.items()]
    cases += [(name, url, role, form) for name, url, role, form in STATES]
    failures: dict[str, list[str]] = {}
    for name, url, role, form in cases:
        r = await fetch(clients, samples, url, role, form, tag)
        assert r.status_code < 500, (name, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), name
        found = untranslated(r.text, tag)
        if found:
            failures[f"{name} ({r.status_code})"] = sorted(set(found))[:12]
    report = "\n".join(f"{name}: {found}" for name, found in failures.items())
    assert not failures, f"untranslated in {tag}:\n{report}"
    # Every template took part: the pages above loaded each one (Jinja keeps what it loaded).
    loaded = {key[1] for key in worker(app).jinja.cache.keys()}  # type: ignore[union-attr]  # noqa: SIM118
    every = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")}
    assert every - loaded == set(), "templates no page above renders: add a page or a state"


def test_the_check_finds_what_it_should():
    page = """<html lang="en"><head><title>Certificates</title></head><body>
      <p>Certificate <span lang="zh-CN">居住证明</span></p><p>办理</p>
      <input placeholder="例如：居住证明"><img alt="二维码">
      <p translate="no">这是我说的话</p></body></html>"""
    assert sorted(untranslated(page, "en")) == sorted(["办理", "例如：居住证明", "二维码"])
    assert sorted(untranslated(page, "zh-TW")) == sorted(
        ["办 in 办理", "证 in 例如：居住证明", "维码 in 二维码"]
    )
    assert untranslated('<p>證明 方里鎮 社群 批准 <i lang="zh-CN">简体</i></p>', "zh-TW") == []
