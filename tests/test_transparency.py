"""Transparency: the list's change log (HTML, JSON, Atom) and the public complaint statistics."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from registry.catalogue import transfer
from registry.catalogue.models import Status
from registry.catalogue.queries import certificates as q
from registry.infra import clock
from registry.web.invalidation import list_changed
from registry.web.state import worker

ATOM = "{http://www.w3.org/2005/Atom}"
HEADER = [zh for _, zh in transfer.COLUMNS]


async def add_complaint(
    conn,
    n: int,
    *,
    department: str | None = "CY-BM-001",
    status: str = "submitted",
    classification: str = "abolished",
    on_time: bool | None = None,
    satisfaction: str | None = None,
    certificate_name: str = "无犯罪记录证明",
) -> int:
    """A complaint written straight to the table, in the state a finished workflow leaves."""
    accepted = status not in ("submitted", "rejected")
    closed = on_time is not None
    cid: int = await conn.fetchval(
        """
        INSERT INTO complaints (
            reference, access_code_hash, department_code, department_other, certificate_name,
            demanded_on, place, description, disclosure, classification, status,
            accept_due, reply_due, accepted_at, closed_at, closed_on_time,
            followed_up_at, satisfaction)
        VALUES ($1, 'x', $2, $3, $4, current_date, 'PLACE-CANARY-7c1', 'DESC-CANARY-7c1',
                'named', $5, $6, current_date, current_date,
                CASE WHEN $7 THEN now() END, CASE WHEN $8 THEN now() END, $9,
                CASE WHEN $10::text IS NOT NULL THEN now() END, $10)
        RETURNING id
        """,
        f"TS-TEST-{n:04d}",
        department,
        "" if department else "某村委会",
        certificate_name,
        classification,
        status,
        accepted,
        closed,
        on_time,
        satisfaction,
    )
    return cid


async def seed_complaints(conn) -> None:
    n = iter(range(1, 100))
    # CY-BM-001: six cases, enough for rates.
    await add_complaint(conn, next(n))
    await add_complaint(conn, next(n), status="rejected", classification="retained_in_scope")
    for on_time, sat in (
        (True, "very_satisfied"),
        (True, "neutral"),
        (True, "unsatisfied"),
        (False, None),
    ):
        await add_complaint(conn, next(n), status="closed", on_time=on_time, satisfaction=sat)
    # CY-BM-002: two cases, too few for rates.
    for _ in range(2):
        await add_complaint(
            conn,
            next(n),
            department="CY-BM-002",
            status="closed",
            classification="unlisted",
            on_time=True,
            satisfaction="satisfied",
        )
    # A department not in the directory: grouped as 其他单位.
    await add_complaint(conn, next(n), department=None, classification="unlisted")


async def test_stats_are_empty_and_rates_null_without_complaints(client):
    body = (await client.get("/api/v1/stats")).json()
    assert body["received"] == body["closed"] == 0
    assert body["on_time_rate"] is None and body["satisfaction_rate"] is None
    assert body["by_department"] == [] and len(body["monthly"]) == 12
    assert body["monthly"][-1]["month"] == clock.today().strftime("%Y-%m")


async def test_stats_counts_and_rates(client, conn):
    await seed_complaints(conn)
    body = (await client.get("/api/v1/stats")).json()
    assert {k: body[k] for k in ("received", "accepted", "rejected", "closed")} == {
        "received": 9,
        "accepted": 6,
        "rejected": 1,
        "closed": 6,
    }
    assert body["on_time_rate"] == 0.833  # 5 of 6
    assert body["follow_up_rate"] == 0.833  # 5 of 6
    assert body["satisfaction_rate"] == 0.8  # 基本满意 counts: 4 of 5
    assert {c["classification"]: c["count"] for c in body["by_classification"]} == {
        "abolished": 5,
        "unlisted": 3,
        "retained_in_scope": 1,
    }
    deps = {d["department"]: d for d in body["by_department"]}
    assert set(deps) == {"县公安局", "县人力资源和社会保障局", "其他单位"}
    big = deps["县公安局"]
    assert (big["received"], big["closed"], big["on_time_rate"]) == (6, 4, 0.75)
    assert (big["follow_up_rate"], big["satisfaction_rate"]) == (0.75, 0.667)
    small = deps["县人力资源和社会保障局"]
    assert small["received"] == 2 and small["closed"] == 2
    assert small["on_time_rate"] is None and small["satisfaction_rate"] is None
    assert deps["其他单位"]["department_code"] is None
    month = clock.today().strftime("%Y-%m")
    assert body["monthly"][-1] == {"month": month, "received": 9, "closed": 6}

    html = (await client.get("/stats")).text
    assert '<link rel="alternate" type="application/json" href="/api/v1/stats">' in html
    assert "不足 5 件，不计算比率" in html and "75.0%" in html and "83.3%" in html
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "<script" not in html and "style=" not in html


async def test_stats_never_show_contact_description_or_typed_names(client, conn):
    cid = await add_complaint(conn, 1, certificate_name="=HYPERLINK(1) 张三 410728199001011234")
    linked = await add_complaint(conn, 2, certificate_name="良民证 李四要的")
    await conn.execute("UPDATE complaints SET certificate_code = 'CY-ZM-014' WHERE id = $1", linked)
    await conn.execute(
        "INSERT INTO complaint_contacts (complaint_id, name, phone, email)"
        " VALUES ($1, '金丝雀某某', '13987650123', 'canary-9f3a@example.org')",
        cid,
    )
    csv = await client.get("/stats/complaints.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("序号,提交日期,被投诉单位")
    assert "清单外证明（名称不公开）" in text
    assert "TS-TEST-" not in text  # a reference is half of what tracking asks for
    assert "无犯罪记录证明" in text  # the list's name for the linked complaint
    for url in ("/stats", "/api/v1/stats"):
        text += (await client.get(url)).text
    for secret in ("金丝雀", "13987650123", "canary-9f3a", "CANARY-7c1", "HYPERLINK", "张三",
                   "410728199001011234", "李四"):  # fmt: skip
        assert secret not in text


async def test_change_log_shows_the_initial_list_as_one_event(client):
    body = (await client.get("/api/v1/changes?per_page=200")).json()
    assert body["total"] == 1 and len(body["items"]) == 1
    first = body["items"][0]
    assert first["change"] == "initial" and first["change_label"] == "初始清单"
    assert first["counts"] == {"total": 173, "retained": 9, "abolished": 164}
    assert first["title"] == (
        "初始清单（长垣县证明事项清理结果（2018），2018-12-28 起生效）："
        "共 173 项，保留 9 项，取消 164 项"
    )
    assert set(first) >= {
        "code",
        "name",
        "status",
        "change",
        "valid_from",
        "recorded_at",
        "decision_doc",
        "reason",
    }
    html = (await client.get("/changes")).text
    assert html.count("<strong>初始清单</strong>") == 1 and "<strong>新增</strong>" not in html
    assert "保留 9 项，取消 164 项" in html
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'type="application/json" href="/api/v1/changes?page=1&amp;per_page=50"' in html
    feed = ET.fromstring((await client.get("/changes.atom")).content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].findtext(f"{ATOM}id", "").endswith(":initial-list")
    assert entries[0].findtext(f"{ATOM}title", "").startswith("初始清单（")


async def test_item_history_says_listed_in_the_initial_list(client):
    body = (await client.get("/api/v1/certificates/CY-ZM-001")).json()
    (v,) = body["history"]
    assert (v["change"], v["change_label"], v["change_reason"]) == ("initial", "列入初始清单", "")
    assert "changed_by" not in v
    assert "列入初始清单" in (await client.get("/certificates/CY-ZM-001")).text


async def flip(conn, code: str) -> Status:
    old = await q.get_certificate(conn, code, on=clock.today())
    assert old is not None
    table = [HEADER, *(transfer.to_cells(c) for c in await q.list_latest(conn))]
    cells = next(r for r in table if r[0] == code)
    cells[HEADER.index("状态")] = "保留" if old.status is Status.ABOLISHED else "取消"
    cells[HEADER.index("办理方式类型")] = ""  # none when retained; derived from the text if not
    cells[HEADER.index("设定依据")] = cells[HEADER.index("设定依据")] or "《某法》第一条"
    cells[HEADER.index("生效日期")] = clock.today().isoformat()
    cells[HEADER.index("决定文号")] = "长政〔2025〕9号"
    report = await transfer.import_table(conn, [HEADER, cells], apply=True, actor="test")
    assert report.applied
    return old.status


async def test_a_status_flip_and_a_correction_appear_in_the_log(client, app, conn):
    assert "长政〔2025〕9号" not in (await client.get("/changes")).text  # now cached
    was = await flip(conn, "CY-ZM-010")
    list_changed(worker(app))
    expected = ("abolished", "取消") if was is Status.RETAINED else ("restored", "恢复保留")
    first = (await client.get("/api/v1/changes")).json()["items"][0]
    assert (first["code"], first["change"], first["change_label"]) == ("CY-ZM-010", *expected)
    assert first["decision_doc"] == "长政〔2025〕9号" and first["reason"] == "导入"
    html = (await client.get("/changes")).text
    assert "长政〔2025〕9号" in html and f"<strong>{expected[1]}</strong>" in html

    # Importing the same day again with another note corrects that version.
    table = [HEADER, *(transfer.to_cells(c) for c in await q.list_latest(conn))]
    cells = next(r for r in table if r[0] == "CY-ZM-010")
    cells[HEADER.index("备注")] = "更正笔误"
    assert (await transfer.import_table(conn, [HEADER, cells], apply=True, actor="t")).applied
    items = (await client.get("/api/v1/changes?per_page=3")).json()["items"]
    assert [(i["change"], i["superseded"]) for i in items[:2]] == [
        ("corrected", False),
        (expected[0], True),
    ]
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    assert (await client.get(f"/api/v1/changes?since={tomorrow}")).json()["total"] == 0


async def test_atom_feed_is_valid_and_escapes_data(client, conn):
    row = dict.fromkeys(HEADER, "")
    row.update({"证明名称": "测试<b>&证明", "状态": "取消", "备注": "]]>"})
    report = await transfer.import_table(conn, [HEADER, list(row.values())], apply=True, actor="t")
    assert report.applied
    r = await client.get("/changes.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("tag:")
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2  # the new item and the initial list
    for e in entries:
        assert re.match(
            r"^tag:[\w.-]+,2018:(certificate-version/\d+|initial-list)$",
            e.findtext(f"{ATOM}id", ""),
        )
        assert e.findtext(f"{ATOM}updated") and e.findtext(f"{ATOM}title")
    assert entries[0].findtext(f"{ATOM}title") == "新增：测试<b>&证明（CY-ZM-174），现为取消"
    assert b"<b>" not in r.content


async def test_bad_parameters_give_the_json_error_shape(client):
    r = await client.get("/api/v1/changes?since=2024-13-01&per_page=0")
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and body["error"]
    assert [e["field"] for e in body["errors"]] == ["since", "per_page"]
    assert all(e["message"] for e in body["errors"])
    r = await client.get("/changes?page=x")
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
