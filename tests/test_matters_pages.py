"""The verdict page for every v2 verdict, the matter guide (/matters, /matter and their JSON
twins) and the home page's second way in.

The first half renders hand-built verdicts and guides through the real routes and templates
(the lookup is replaced on the test's app), so every template branch is exercised whatever the
checker answers; the second half follows the seeded list through the real checker."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from registry.catalogue.models import Certificate, Status
from registry.catalogue.queries import certificates as q
from registry.checker.decide import (
    OTHER_MATTER,
    Candidate,
    Choice,
    GuideItem,
    LicenceInfo,
    MatterGuide,
    Question,
    Verdict,
    VerdictKind,
)
from registry.checker.wording import complaint_url as complaint_link
from registry.infra import clock
from registry.web.state import worker

BIRTH = "新生儿出生登记（落户）"
POLICE = "CY-BM-001"  # 县公安局


def twin(page: str) -> str:
    m = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', page)
    assert m, "page has no JSON twin"
    return htmllib.unescape(m.group(1))


def h1(page: str) -> tuple[str, str]:
    """The page's headline: (its class attribute, its text)."""
    m = re.search(r'<h1 class="([^"]*)">(.*?)</h1>', page, re.S)
    assert m, "no classed h1"
    return m.group(1), htmllib.unescape(m.group(2)).strip()


def links(page: str) -> dict[str, str]:
    """Link text -> href (unescaped), for every <a> on the page."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    return {
        htmllib.unescape(re.sub(r"<[^>]+>", "", t)).strip(): htmllib.unescape(h) for h, t in found
    }


def check_url(name: str, matter: str | None = None, **extra: str) -> str:
    params = {"name": name, **({"matter": matter} if matter else {}), **extra}
    return "/check?" + urlencode(params)


async def cert(conn: Any, code: str) -> Certificate:
    found = await q.get_certificate(conn, code, on=clock.today())
    assert found is not None
    return found


class FakeLookup:
    """Stands in for the worker's Lookup: question methods; counts what it was asked."""

    def __init__(self, real: Any, verdict: Any = None, guides: Any = None) -> None:
        self.real, self.verdict_for, self.guides = real, verdict, guides or {}
        self.asked: list[tuple[str, Any]] = []

    async def verdict(self, pool: Any, question: Question, on: Any = None, client: str = ""):
        self.asked.append(("decide", question))
        return self.verdict_for(question)

    async def guide(self, pool: Any, text: str, on: Any = None, client: str = ""):
        self.asked.append(("guide", text))
        return [
            g for name, g in self.guides.items() if not text or text in name or text == "上户口"
        ]

    async def matter(self, pool: Any, matter: str, on: Any = None, client: str = ""):
        self.asked.append(("matter", matter))
        return self.guides.get(matter)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def fake(app: Any, **kw: Any) -> FakeLookup:
    lookup = FakeLookup(worker(app).lookup, **kw)
    worker(app).lookup = lookup
    return lookup


def birth_guide(c1: Certificate, c111: Certificate) -> MatterGuide:
    return MatterGuide(
        matter=BIRTH,
        domain="户籍管理",
        url="/matter?" + urlencode({"name": BIRTH}),
        required=[
            GuideItem(
                code=c1.code,
                name=c1.name,
                status=c1.status,
                may_require=True,
                next_step="带上医院开的出生医学证明",
                url=check_url(c1.name, BIRTH),
            )
        ],
        not_required=[
            GuideItem(
                code=c111.code,
                name=c111.name,
                status=c111.status,
                may_require=False,
                next_step="不用再开这个证明",
                url=check_url(c111.name, BIRTH),
            )
        ],
    )


# ---------------------------------------------------------------- hand-built verdicts


async def test_needs_matter_page_offers_one_plain_link_per_choice(app, client, conn):
    c1, c18 = await cert(conn, "CY-ZM-001"), await cert(conn, "CY-ZM-018")

    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=VerdictKind.NEEDS_MATTER,
            may_require=False,
            certificate=None,
            choices=[
                Choice(
                    code=c1.code,
                    name=c1.name,
                    status=c1.status,
                    matter=BIRTH,
                    may_require=True,
                    url=check_url(c1.name, BIRTH),
                ),
                Choice(
                    code=c18.code,
                    name=c18.name,
                    status=c18.status,
                    matter="补办出生医学证明",
                    may_require=False,
                    url=check_url(c18.name, "补办出生医学证明"),
                ),
            ],
            explanation="出生医学证明只在办理部分事项时可以要求，要看您办的是什么事。",
            next_step="点一下您要办的事",
            other_url=check_url(question.name, OTHER_MATTER),
            guide_url="/matters",  # no matter given: every matter
            complaint_url=None,
        )

    fake(app, verdict=answer)
    r = await client.get("/check", params={"name": "出生证明"})
    assert r.status_code == 200
    cls, text = h1(r.text)
    assert text == "要看您办什么事" and "ok" not in cls.split() and "no" not in cls.split()
    assert "可以要求（" not in r.text.split("</h1>")[0]
    found = links(r.text)
    assert found[f"办理 {BIRTH} — 可以要求 出生医学证明"] == check_url(c1.name, BIRTH)
    assert found["办理 补办出生医学证明 — 不得要求 出生证明（村居出具）（已取消）"] == check_url(
        c18.name, "补办出生医学证明"
    )
    other = [h for t, h in found.items() if t.startswith("办其他事")]
    assert other == [check_url("出生证明", OTHER_MATTER)]
    assert found["看每件事能要哪些证明"] == "/matters"
    assert "您要办的事：出生证明" not in r.text  # a certificate's name is no matter
    assert "点一下您要办的事" in r.text
    assert "我要投诉" not in r.text  # nothing to complain about before the matter is known
    assert "<script" not in r.text  # links alone


async def test_retained_headline_names_the_confirmed_matter(app, client, conn):
    c1 = await cert(conn, "CY-ZM-001")
    verdict = Verdict(
        verdict=VerdictKind.RETAINED,
        may_require=True,
        certificate=c1,
        matter=BIRTH,
        explanation="可以要求：出生医学证明在保留清单上。",
        next_step="带上医院开的出生医学证明",
        guide_url="/matter?" + urlencode({"name": BIRTH}),
        complaint_url=None,
    )
    fake(app, verdict=lambda question: verdict)
    r = await client.get("/check", params={"name": "出生证明", "matter": "上户口"})
    cls, text = h1(r.text)
    assert text == f"可以要求（办理 {BIRTH} 时）" and "ok" in cls.split()
    assert f"<title>可以要求（办理 {BIRTH} 时）" in htmllib.unescape(r.text)
    assert "《中华人民共和国母婴保健法》第二十三条" in r.text
    assert links(r.text)["看办这件事能要哪些证明"] == "/matter?" + urlencode({"name": BIRTH})
    assert f"您要办的事：{BIRTH}" in htmllib.unescape(r.text)
    assert "我要投诉" not in r.text


async def test_green_headline_only_for_a_retained_verdict(app, client, conn):
    """may_require without the retained verdict (a checker bug) is still no green answer."""
    c1 = await cert(conn, "CY-ZM-001")
    for kind in VerdictKind:
        if kind is VerdictKind.RETAINED:
            continue
        v = Verdict(
            verdict=kind,
            may_require=True,
            certificate=c1,
            explanation="x",
            complaint_url="/complaints/new",
        )
        worker(app).pages.clear()
        fake(app, verdict=lambda question, v=v: v)
        cls, text = h1((await client.get("/check", params={"name": kind.value})).text)
        assert "可以要求" not in text and "ok" not in cls.split(), kind


async def test_out_of_scope_is_neutral_and_shows_the_licence(app, client):
    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=VerdictKind.OUT_OF_SCOPE,
            may_require=False,
            certificate=None,
            licence=LicenceInfo(
                name="居民身份证",
                issuer="县公安局",
                rule="窗口可以要求出示原件核验，但不能另外要您开证明来证明身份证上已有的内容。",
                legal_basis="《中华人民共和国居民身份证法》第十四条",
            ),
            explanation="身份证是证件，不是证明事项。",
            complaint_url=complaint_link(
                question.name, question.matter or "", question.department or ""
            ),
        )

    fake(app, verdict=answer)
    r = await client.get("/check", params={"name": "身份证", "department": POLICE})
    cls, text = h1(r.text)
    assert text == "这是证件，不是证明" and {"ok", "no"}.isdisjoint(cls.split())
    for part in (
        "居民身份证",
        "县公安局",
        "出示原件核验",
        "《中华人民共和国居民身份证法》第十四条",
    ):
        assert part in r.text
    assert "身份证是证件，不是证明事项。" in r.text
    complaint = links(r.text)["可以投诉"]
    assert parse_qs(urlsplit(complaint).query)["department"] == [POLICE]
    assert 'class="button"' not in r.text.split("<form")[0]  # small text, not the big button


@pytest.mark.parametrize(
    ("kind", "step"),
    [
        (VerdictKind.ABOLISHED, "不用再开这个证明"),
        (VerdictKind.RETAINED_OTHER_MATTER, "窗口应自己向县公安局核实，不能让您跑"),
        (VerdictKind.UNLISTED, "签一份承诺书即可"),
    ],
)
async def test_refusals_show_the_next_step_and_the_complaint_button(app, client, conn, kind, step):
    c = await cert(conn, "CY-ZM-111" if kind is VerdictKind.ABOLISHED else "CY-ZM-001")

    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=kind,
            may_require=False,
            certificate=None if kind is VerdictKind.UNLISTED else c,
            candidates=[Candidate("CY-ZM-014", "无犯罪记录证明", Status.ABOLISHED, 0.6)],
            explanation="不得要求：……",
            next_step=step,
            complaint_url=complaint_link(
                question.name, question.matter or "", question.department or ""
            ),
        )

    fake(app, verdict=answer)
    r = await client.get(
        "/check", params={"name": "某证明", "matter": "结婚登记", "department": POLICE}
    )
    cls, text = h1(r.text)
    assert text == "不得要求" and "no" in cls.split()
    # The next step right under the headline, before the explanation.
    assert re.search(r"</h1>\s*<p class=\"next-step\">" + re.escape(step) + "</p>", r.text)
    button = links(r.text)["有单位向我索要这项证明，我要投诉"]
    assert parse_qs(urlsplit(button).query) == {
        "certificate_name": ["某证明"],
        "matter": ["结婚登记"],
        "department": [POLICE],
    }
    candidate = links(r.text)["无犯罪记录证明"]
    assert parse_qs(urlsplit(candidate).query) == {
        "name": ["无犯罪记录证明"],
        "matter": ["结婚登记"],
        "department": [POLICE],
    }


async def test_a_matter_typed_as_the_name_is_offered_its_guide(app, client):
    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=VerdictKind.UNLISTED,
            may_require=False,
            certificate=None,
            explanation="“上户口”是要办的事，不是证明的名称。",
            guide_url="/matters?q=上户口",
            complaint_url=None,
        )

    fake(app, verdict=answer)
    r = await client.get("/check", params={"name": "上户口"})
    assert "您要办的事：上户口" in r.text
    assert links(r.text)["看办这件事能要哪些证明"] == "/matters?q=上户口"


async def test_who_asked_is_a_department_select_carried_into_the_complaint(app, client, conn):
    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=VerdictKind.ABOLISHED,
            may_require=False,
            certificate=None,
            explanation="不得要求",
            complaint_url=complaint_link(
                question.name, question.matter or "", question.department or ""
            ),
        )

    fake(app, verdict=answer)
    blank = (await client.get("/check")).text  # the form alone
    assert 'name="department"' in blank and "谁向您要的（可选）" in blank
    assert "县公安局" in blank and '<optgroup label="乡镇、街道">' in blank
    r = await client.get("/check", params={"name": "良民证", "department": POLICE})
    assert re.search(rf'<option value="{POLICE}"\s+selected>县公安局</option>', r.text)
    button = links(r.text)["有单位向我索要这项证明，我要投诉"]
    form = (await client.get(button)).text
    assert re.search(rf'<option value="{POLICE}"\s+selected>县公安局</option>', form)
    assert 'value="良民证"' in form
    # The department is part of the parsed question, so part of the page's cache key.
    other = await client.get("/check", params={"name": "良民证", "department": "CY-BM-002"})
    assert re.search(r'<option value="CY-BM-002"\s+selected>', other.text)


async def test_a_bad_question_keeps_the_department_select(client):
    r = await client.get("/check", params={"name": "x" * 101})
    assert r.status_code == 400 and "谁向您要的（可选）" in r.text and "县公安局" in r.text


async def test_verdict_text_is_escaped(app, client):
    def answer(question: Question) -> Verdict:
        return Verdict(
            verdict=VerdictKind.NEEDS_MATTER,
            may_require=False,
            certificate=None,
            choices=[
                Choice(
                    code="X",
                    name="<b>证明</b>",
                    status=Status.RETAINED,
                    matter="<script>alert(1)</script>",
                    may_require=True,
                    url='/check?name="><script>',
                )
            ],
            explanation="<img src=x onerror=alert(1)>",
            next_step="<i>走</i>",
            complaint_url=None,
        )

    fake(app, verdict=answer)
    r = await client.get("/check", params={"name": "<x>"})
    for raw in ("<script>alert", "<img src=x", "<b>证明", "<i>走", '"><script>'):
        assert raw not in r.text


# ---------------------------------------------------------------- hand-built guides


async def test_matter_page_lists_what_may_and_may_not_be_demanded(app, client, conn):
    guide = birth_guide(await cert(conn, "CY-ZM-001"), await cert(conn, "CY-ZM-111"))
    fake(app, guides={BIRTH: guide})
    r = await client.get("/matter", params={"name": BIRTH})
    assert r.status_code == 200
    page = htmllib.unescape(r.text)
    assert f"<h1>办理 {BIRTH} 时</h1>" in page
    allowed, refused = page.split('id="refused-title"')
    assert "可以要求（1 项）" in allowed and "出生医学证明" in allowed
    assert "不得要求（1 项）" in refused and "生育服务证（新生儿出生登记）" in refused
    assert "（已取消）" in refused and "不用再开这个证明" in refused
    found = links(r.text)
    assert found["出生医学证明"] == check_url("出生医学证明", BIRTH)
    assert found["生育服务证（新生儿出生登记）"] == check_url("生育服务证（新生儿出生登记）", BIRTH)
    assert found["清单原文 CY-ZM-001"] == "/certificates/CY-ZM-001"
    assert found["清单原文 CY-ZM-111"] == "/certificates/CY-ZM-111"
    # Anything else the window asks for is answered by the checker, for this matter.
    assert f'<input type="hidden" name="matter" value="{BIRTH}">' in page
    body = (await client.get(twin(r.text))).json()
    assert body["matter"] == BIRTH and [i["code"] for i in body["required"]] == ["CY-ZM-001"]


async def test_matter_not_on_the_list_is_a_404_page_with_look_alikes(app, client, conn):
    guide = birth_guide(await cert(conn, "CY-ZM-001"), await cert(conn, "CY-ZM-111"))
    fake(app, guides={BIRTH: guide})
    r = await client.get("/matter", params={"name": "上户口"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "清单上没有" in r.text and links(r.text)[BIRTH] == guide.url
    api = await client.get("/api/v1/matter", params={"name": "上户口"})
    assert api.status_code == 404 and api.json()["status"] == 404


async def test_matters_page_links_each_matter_and_its_json_twin(app, client, conn):
    guide = birth_guide(await cert(conn, "CY-ZM-001"), await cert(conn, "CY-ZM-111"))
    lookup = fake(app, guides={BIRTH: guide})
    r = await client.get("/matters", params={"q": "上户口"})
    assert r.status_code == 200
    assert links(r.text)[BIRTH] == guide.url
    assert "可以要求：出生医学证明" in r.text and "不得要求 1 项" in r.text
    assert twin(r.text) == "/api/v1/matters?" + urlencode({"q": "上户口"})
    body = (await client.get(twin(r.text))).json()
    assert body["q"] == "上户口" and [m["matter"] for m in body["matters"]] == [BIRTH]
    # Cached on the parsed question: spaces around the words make no second lookup.
    asked = len(lookup.asked)
    again = await client.get("/matters", params={"q": "  上户口 "})
    assert again.text == r.text and len(lookup.asked) == asked
    everything = await client.get("/matters")
    assert twin(everything.text) == "/api/v1/matters"
    assert "<summary>户籍管理（1 件）</summary>" in everything.text  # one folded section a field


async def test_home_page_offers_a_second_way_in(client):
    r = await client.get("/")
    assert 'action="/matters"' in r.text and "我要办什么事" in r.text
    for word in ("上户口", "办低保", "领失业金", "开饭馆"):
        assert links(r.text)[word] == "/matters?" + urlencode({"q": word})


# ---------------------------------------------------------------- input rules (no checker)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/matters", {"q": "x" * 101}, "q"),
        ("/api/v1/matters", {"on": "2020-02-30"}, "on"),
        ("/api/v1/matter", {}, "name"),
        ("/api/v1/matter", {"name": "  "}, "name"),
        ("/api/v1/matter", {"name": "x" * 101}, "name"),
        ("/api/v1/matter", {"name": BIRTH, "on": "yesterday"}, "on"),
    ],
)
async def test_bad_matter_questions_get_the_one_error_shape(client, path, params, field):
    r = await client.get(path, params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and body["error"] and body["errors"][0]["field"] == field


@pytest.mark.parametrize("path", ["/matters?q=" + "x" * 101, "/matter", "/matter?name=a&on=x"])
async def test_bad_matter_pages_are_html_400s(client, path):
    r = await client.get(path)
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]


async def test_matters_routes_are_documented(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    ops = {p: paths[p]["get"] for p in ("/api/v1/matters", "/api/v1/matter")}
    for op in ops.values():
        assert {"200", "400", "503"} <= set(op["responses"])
    assert "404" in ops["/api/v1/matter"]["responses"]
    assert {p["name"] for p in ops["/api/v1/matters"]["parameters"]} == {"q", "on"}


# ---------------------------------------------------------------- the seeded list, real checker


async def test_needs_matter_followed_by_links_alone(client):
    r = await client.get("/check", params={"name": "出生证明"})
    assert h1(r.text)[1] == "要看您办什么事"
    found = links(r.text)
    birth = found[f"办理 {BIRTH} — 可以要求 出生医学证明"]
    chosen = await client.get(birth)
    assert h1(chosen.text) == ("verdict ok", f"可以要求（办理 {BIRTH} 时）")
    other = next(h for t, h in found.items() if t.startswith("办其他事"))
    assert h1((await client.get(other)).text)[1] == "不得要求"


async def test_an_identity_document_is_out_of_scope(client):
    r = await client.get("/check", params={"name": "身份证"})
    assert h1(r.text)[1] == "这是证件，不是证明"
    assert "居民身份证" in r.text


async def test_a_matter_typed_as_the_name_asks_back_with_its_guide(client):
    r = await client.get("/check", params={"name": "上户口"})
    assert h1(r.text)[1] == "要看您办什么事"
    found = links(r.text)
    assert found["看办这件事能要哪些证明"] == "/matters?" + urlencode({"q": "上户口"})
    assert f"办理 {BIRTH} — 可以要求 出生医学证明" in found
    assert "您要办的事：上户口" in r.text


async def test_matter_guide_from_everyday_words(client):
    r = await client.get("/matters", params={"q": "上户口"})
    href = links(r.text)[BIRTH]
    page = await client.get(href)
    assert page.status_code == 200
    allowed, refused = htmllib.unescape(page.text).split('id="refused-title"')
    assert "出生医学证明" in allowed and "出生医学证明" not in refused
    body = (await client.get("/api/v1/matters", params={"q": "上户口"})).json()
    assert BIRTH in [m["matter"] for m in body["matters"]]
    every = (await client.get("/api/v1/matters")).json()["matters"]
    assert BIRTH in [m["matter"] for m in every] and len(every) > 20


async def test_matter_guide_on_a_past_date(client):
    day = (clock.today() - dt.timedelta(days=1)).isoformat()
    r = await client.get("/matter", params={"name": BIRTH, "on": day})
    assert r.status_code == 200 and day in r.text
    assert twin(r.text) == "/api/v1/matter?" + urlencode({"name": BIRTH, "on": day})


async def test_birth_registration_guide_lists_the_abolished_birth_permit(client):
    page = await client.get("/matter", params={"name": BIRTH})
    refused = htmllib.unescape(page.text).split('id="refused-title"')[1]
    assert "生育服务证（新生儿出生登记）" in refused
