"""The office's vocabulary pages: add, edit (history kept), retire, every refusal re-rendered
with the input and each field's error, and the checker rebuilt with the office's words."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import httpx

from registry.infra import clock
from registry.web.state import worker
from tests.staff_helpers import DEPT_A, csrf, login, make_user, post_form

REASON = "窗口反映群众常这样说"
LONG = "这是一个特别特别特别特别特别特别特别特别长的说法超过了三十个字"


def term_form(**over: str) -> dict[str, str]:
    return {
        "kind": "matter",
        "phrases": "落户口页面测试\n迁户口页面测试",
        "targets": "户口登记",
        "domain": "户籍管理",
        "note": "",
        "reason": REASON,
    } | over


def location(r: httpx.Response) -> str:
    return unquote(r.headers["location"])


async def add_term(sup: httpx.AsyncClient, **over: str) -> str:
    r = await post_form(sup, "/staff/vocabulary/new", term_form(**over))
    assert r.status_code == 303, r.text
    found = re.match(r"^/staff/vocabulary/(SY-O-\d{4}|MC-O-\d{4})\?msg=added$", location(r))
    assert found, location(r)  # a key, said on the page in the reader's language
    assert f"已新增 {found.group(1)}" in (await sup.get(r.headers["location"])).text
    return found.group(1)


def expected(page: str) -> str:
    return re.search(r'name="expected" value="(\d+)"', page).group(1)


def field_error(page: str, field: str) -> list[str]:
    return re.findall(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)


async def test_an_added_term_appears_in_the_list_and_its_search(sup):
    key = await add_term(sup)
    r = await sup.get("/staff/vocabulary", params={"q": key})  # the shipped entries page on
    assert r.status_code == 200 and key in r.text and "落户口页面测试、迁户口页面测试" in r.text
    found = await sup.get("/staff/vocabulary", params={"q": "迁户口页面", "kind": "matter"})
    assert key in found.text and "共 1 条" in found.text
    other = await sup.get("/staff/vocabulary", params={"q": "迁户口页面", "kind": "name"})
    assert key not in other.text
    by_domain = await sup.get("/staff/vocabulary", params={"domain": "户籍管理"})
    assert key in by_domain.text
    page = (await sup.get(f"/staff/vocabulary/{key}")).text
    assert "sup（办公室）" in page and REASON in page
    assert 'id="reason" name="reason" maxlength="500" value=""' in page  # the next change's


async def test_an_edit_is_a_new_version_and_the_history_keeps_the_old_one(sup, conn):
    key = await add_term(sup)
    page = (await sup.get(f"/staff/vocabulary/{key}")).text
    r = await post_form(
        sup,
        f"/staff/vocabulary/{key}",
        term_form(phrases="落户口页面测试\n报户口页面测试", reason="改一个说法")
        | {"expected": expected(page)},
    )
    assert r.status_code == 303 and location(r).endswith("msg=saved-new")
    page = (await sup.get(f"/staff/vocabulary/{key}")).text
    history = page.split("版本历史", 1)[1]
    assert "报户口页面测试" in history and "迁户口页面测试" in history  # both versions
    assert history.count("现行") == 1 and "改一个说法" in history
    rows = await conn.fetch("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", key)
    assert [r["action"] for r in rows] == ["thesaurus.add", "thesaurus.edit"]


async def test_a_refused_form_is_422_with_every_field_error_and_the_input_kept(sup):
    r = await post_form(
        sup,
        "/staff/vocabulary/new",
        {
            "kind": "matter",
            "phrases": LONG + "\n上\x01户口测试",
            "targets": "",
            "domain": "户籍管理",
            "reason": "",
        },
    )
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert "请修改以下 4 处" in page
    assert any("含有不可见的控制字符" in m for m in field_error(page, "phrases"))
    assert any("最多 30 个字" in m for m in field_error(page, "phrases"))
    assert field_error(page, "targets") == ["请填写规范用语"]
    assert field_error(page, "reason")
    # What was typed is kept (less the invisible character).
    assert LONG + "\n上户口测试</textarea>" in page
    assert 'value="户籍管理"' in page


async def test_a_phrase_another_entry_already_uses_is_refused_on_its_field(sup):
    key = await add_term(sup)
    r = await post_form(sup, "/staff/vocabulary/new", term_form(phrases="迁户口页面测试\n新说法测"))
    assert r.status_code == 422
    errors = field_error(html.unescape(r.text), "phrases")
    assert errors == [f"“迁户口页面测试”已在 {key} 中使用：请直接修改那一条，或换个说法"]
    assert "新说法测</textarea>" in r.text


async def test_a_stale_or_unchanged_edit_is_refused(sup):
    key = await add_term(sup)
    old = expected((await sup.get(f"/staff/vocabulary/{key}")).text)
    same = await post_form(sup, f"/staff/vocabulary/{key}", term_form() | {"expected": old})
    assert same.status_code == 422 and "与现行版本相同" in same.text
    changed = term_form(note="补充") | {"expected": old}
    assert (await post_form(sup, f"/staff/vocabulary/{key}", changed)).status_code == 303
    stale = await post_form(
        sup,
        f"/staff/vocabulary/{key}",
        term_form(note="又改", reason="我的理由") | {"expected": old},
    )
    assert stale.status_code == 409 and "刚被其他人修改" in stale.text
    assert 'value="我的理由"' in stale.text  # the reason typed is kept


async def test_retiring_needs_a_reason_and_keeps_the_history(sup, conn):
    key = await add_term(sup)
    version = expected((await sup.get(f"/staff/vocabulary/{key}")).text)
    refused = await post_form(sup, f"/staff/vocabulary/{key}/retire", {"expected": version})
    assert refused.status_code == 422 and 'id="retire-reason-error"' in refused.text
    r = await post_form(
        sup, f"/staff/vocabulary/{key}/retire", {"expected": version, "reason": "说法已不用"}
    )
    assert r.status_code == 303 and location(r).endswith("msg=retired")
    page = (await sup.get(f"/staff/vocabulary/{key}")).text
    assert "已停用" in page and "说法已不用" in page and "停用这一条" not in page
    link = f'href="/staff/vocabulary/{key}"'
    assert link not in (await sup.get("/staff/vocabulary", params={"q": key})).text
    assert link in (await sup.get("/staff/vocabulary", params={"q": key, "retired": "1"})).text
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM thesaurus_terms WHERE key = $1 AND valid_to IS NULL", key
        )
        == 0
    )


async def test_licences_are_added_edited_and_retired_the_same_way(sup):
    form = {"name": "页面测试许可证", "aliases": "测试证甲\n测试证乙", "issuer": "县测试局",
            "rule": "", "legal_basis": "", "reason": "新增证照"}  # fmt: skip
    r = await post_form(sup, "/staff/licences/new", form)
    assert r.status_code == 303
    key = re.match(r"^/staff/licences/(ZZ-O-\d{4})\?", location(r)).group(1)
    page = (await sup.get(f"/staff/licences/{key}")).text
    assert "页面测试许可证" in page
    again = await post_form(sup, "/staff/licences/new", form | {"name": "测试证乙", "aliases": ""})
    assert again.status_code == 422
    assert field_error(html.unescape(again.text), "name") == [
        f"“测试证乙”已在 {key} 中使用：请直接修改那一条，或换个说法"
    ]
    edit = form | {"rule": "窗口可查看原件", "reason": "补充规则", "expected": expected(page)}
    assert (await post_form(sup, f"/staff/licences/{key}", edit)).status_code == 303
    listed = await sup.get("/staff/licences", params={"q": "测试证甲"})
    assert key in listed.text
    page = (await sup.get(f"/staff/licences/{key}")).text
    assert "窗口可查看原件" in page and page.split("版本历史", 1)[1].count("现行") == 1
    done = await post_form(
        sup, f"/staff/licences/{key}/retire", {"expected": expected(page), "reason": "不用了"}
    )
    assert done.status_code == 303
    link = f'href="/staff/licences/{key}"'
    assert link not in (await sup.get("/staff/licences", params={"q": key})).text
    assert link in (await sup.get("/staff/licences", params={"q": key, "retired": "1"})).text


async def test_a_department_user_cannot_see_or_change_the_vocabulary(app, conn, sup):
    key = await add_term(sup)
    await make_user(conn, "depa", "department", DEPT_A)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as dep:
        assert (await login(dep, "depa")).status_code == 303
        assert (await dep.get("/staff/vocabulary")).status_code == 403
        assert (await dep.get(f"/staff/vocabulary/{key}")).status_code == 403
        dep.headers["x-csrftoken"] = await csrf(dep)
        r = await dep.post(f"/staff/vocabulary/{key}/retire", data={"reason": "x"})
        assert r.status_code == 403
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM thesaurus_terms WHERE key = $1 AND valid_to IS NULL", key
        )
        == 1
    )


async def test_the_office_navigation_links_both_pages(sup):
    page = (await sup.get("/staff/list")).text
    assert 'href="/staff/vocabulary"' in page and 'href="/staff/licences"' in page


async def test_an_office_term_reaches_the_checker_index_after_the_rebuild(app, sup):
    """The checker's decisions are the lead's; here only that the rebuilt index has the term."""
    before = await worker(app).lookup.index(worker(app).pool, clock.today())
    key = await add_term(sup, phrases="办个准生证测试", targets="生育登记")
    assert key not in {t.key for t in before.vocab.terms}
    after = await worker(app).lookup.index(worker(app).pool, clock.today())
    assert after is not before
    term = {t.key: t for t in after.vocab.terms}[key]
    assert term.phrases == ("办个准生证测试",) and term.targets == ("生育登记",)
