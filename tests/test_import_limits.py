"""Crafted and careless list files (probe findings H3, M2, L6): refused quickly with a message
naming the limit, parsed off the event loop, previews paged, control characters and wrong
encodings refused, exports that survive what older imports stored."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from registry.catalogue import sheets, transfer
from registry.catalogue.queries import certificates as q
from tests import xlsx_bombs
from tests.staff_helpers import csrf

HEADER = list(transfer.HEADERS)


def row(**values: str) -> list[str]:
    return [values.get(f, "") for f, _ in transfer.COLUMNS]


async def upload(client, name: str, body: bytes) -> httpx.Response:
    token = await csrf(client)
    return await client.post(
        "/staff/list/import", data={"_csrf_token": token}, files={"file": (name, body)}
    )


def refused(data: bytes, name: str = "list.xlsx") -> tuple[str, float]:
    t0 = time.perf_counter()
    with pytest.raises(sheets.SheetError) as exc:
        sheets.read_table(data, name)
    return str(exc.value), time.perf_counter() - t0


# ---- H3: crafted XLSX files ---------------------------------------------------------------


def test_dimension_bomb_is_refused_before_reading_a_row():
    data = xlsx_bombs.dimension_bomb()
    assert len(data) < 2000
    message, seconds = refused(data)
    assert "1,048,576 行" in message and "200,000 行" in message and "64 列" in message
    assert seconds < 5


def test_row_bomb_is_refused_by_its_row_count():
    data = xlsx_bombs.row_bomb(2_700_000)
    assert len(data) < 1024 * 1024  # passes the browser's upload limit
    message, seconds = refused(data)
    assert "200,000 行的上限" in message
    assert seconds < 5


def test_a_gap_to_row_1048576_and_a_far_column_are_refused():
    assert "200,000 行的上限" in refused(xlsx_bombs.gap_bomb())[0]
    assert "64 列的上限" in refused(xlsx_bombs.wide_row())[0]


def test_csv_has_the_same_limits():
    small = sheets.Limits(rows=3, columns=4, cell_chars=10, cells=8, text_chars=40)
    lines = ["证明名称,状态"] + [f"证明{i},取消" for i in range(4)]
    with pytest.raises(sheets.SheetError, match="3 行的上限"):
        sheets.read_table("\n".join(lines).encode(), "x.csv", small)
    with pytest.raises(sheets.SheetError, match="4 列的上限"):
        sheets.read_table(b"a,b,c,d,e\n", "x.csv", small)
    with pytest.raises(sheets.SheetError, match="每格 10 个字符"):
        sheets.read_table(("证明名称,状态\n" + "长" * 11 + ",取消").encode(), "x.csv", small)
    with pytest.raises(sheets.SheetError, match="8 个非空单元格"):
        sheets.read_table(b"a,b,c\nd,e,f\ng,h,i\n", "x.csv", small)
    assert sheets.read_table(b"a,b,,\n,,,\n", "x.csv", small) == [["a", "b"], []]


async def test_zip_bomb_upload_is_refused_by_declared_size(sup):
    data = xlsx_bombs.zip_bomb(140)
    assert len(data) < 1024 * 1024
    r = await upload(sup, "bomb.xlsx", data)
    assert r.status_code == 422
    assert "解压后有 140 MB，超过 128 MB 的上限" in r.text


async def test_bombs_uploaded_in_the_browser_are_refused_quickly(sup):
    for body, words in (
        (xlsx_bombs.dimension_bomb(), "1,048,576 行"),
        (xlsx_bombs.row_bomb(2_700_000), "200,000 行的上限"),
    ):
        t0 = time.perf_counter()
        r = await upload(sup, "bomb.xlsx", body)
        assert r.status_code == 422 and words in r.text
        assert time.perf_counter() - t0 < 5


async def test_the_site_answers_while_an_upload_is_parsed(sup, client):
    """The file is read in a child process: the event loop keeps serving. (Parsed on the loop,
    a 400,000-row file held every other request for 3.2 s; this one holds a million.)"""
    body = xlsx_bombs.row_bomb(1_000_000)
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.02)
            lags.append(time.perf_counter() - t0 - 0.02)

    async def public_request() -> float:
        await asyncio.sleep(0.3)  # the upload is being read by now
        t0 = time.perf_counter()
        r = await client.get("/api/v1/summary")
        assert r.status_code == 200
        return time.perf_counter() - t0

    tick = asyncio.create_task(ticker())
    up = asyncio.create_task(upload(sup, "bomb.xlsx", body))
    answered_in = await public_request()
    r = await up
    done.set()
    await tick
    assert answered_in < 2.0
    assert max(lags) < 1.0
    assert r.status_code == 422 and "200,000 行的上限" in r.text


def cli(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return r, time.perf_counter() - t0


def test_cli_refuses_the_bombs_quickly(database_url: str, tmp_path: Path):
    # DATABASE_URL: the old importer reached the database; this one refuses before it.
    env = {**os.environ, "DATABASE_URL": database_url}
    # The same command refusing a one-line file: starting Python and the importer, which on a
    # loaded machine (two test workers, a browser) alone can take seconds. A bomb may cost
    # only a little more than that; reading its millions of rows would cost far more.
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("证明名称,状态\n测试,作废\n", encoding="utf-8")
    baseline = min(cli(env, "import", str(tiny))[1] for _ in range(2))
    for name, body, words in (
        ("dimension.xlsx", xlsx_bombs.dimension_bomb(), "1,048,576 行"),
        ("rows.xlsx", xlsx_bombs.row_bomb(2_700_000), "200,000 行的上限"),
    ):
        path = tmp_path / name
        path.write_bytes(body)
        r, seconds = cli(env, "import", str(path))
        assert r.returncode == 2 and words in r.stderr, r.stderr[-2000:]
        assert seconds < baseline + 3, (seconds, baseline)


# ---- the preview -------------------------------------------------------------------------


async def test_preview_pages_and_stored_errors_are_capped(sup, conn):
    bad = [HEADER, *(row(name=f"坏行{i}", status="作废") for i in range(1500))]
    r = await upload(sup, "bad.csv", sheets.write_csv(bad[0], bad[1:]))
    assert r.status_code == 303, r.text[:500]
    where = r.headers["location"]
    page = await sup.get(where)
    items = re.findall(r"<li>第 (\d+) 行：", page.text)
    assert items == [str(n) for n in range(2, 102)]  # the first 100 errors only
    assert "错误 <strong>1500</strong> 行" in page.text and "预览只保存前 1,000 项" in page.text
    assert f'href="{where}?page=2"' in page.text and "第 1 / 10 页" in page.text
    page10 = await sup.get(where, params={"page": 10})
    assert re.findall(r"<li>第 (\d+) 行：", page10.text)[-1] == "1001"
    stored = await conn.fetchval(
        "SELECT jsonb_array_length(report->'errors') FROM import_batches WHERE id = $1",
        int(where.rsplit("/", 1)[1]),
    )
    assert stored == 1000


async def test_a_preview_stored_before_the_caps_is_read_a_page_at_a_time(sup, conn):
    errors = [{"row": i, "message": "旧的错误"} for i in range(2, 20_002)]
    batch = await conn.fetchval(
        "INSERT INTO import_batches (uploaded_by, filename, data, report)"
        " VALUES ('sup', 'old.csv', '\\x00', $1) RETURNING id",
        {"added": [], "changed": [], "unchanged": 0, "errors": errors, "applied": False},
    )
    page = await sup.get(f"/staff/list/import/{batch}", params={"page": 3})
    assert page.status_code == 200
    assert len(re.findall(r"<li>第 \d+ 行：旧的错误", page.text)) == 100
    assert "<li>第 202 行：" in page.text and "第 3 / 200 页" in page.text
    assert "确认导入" not in page.text


# ---- the set-based importer --------------------------------------------------------------


async def test_import_statements_do_not_grow_with_the_rows(conn, monkeypatch):
    calls: list[str] = []
    for method in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
        original = getattr(type(conn), method)

        def counting(self, *args, _original=original, _name=method, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(type(conn), method, counting)

    async def statements(n: int, tag: str) -> int:
        calls.clear()
        table = [HEADER, *(row(name=f"{tag}{i}", status="取消") for i in range(n))]
        report = await transfer.import_table(conn, table, apply=True, actor="test")
        assert report.applied and len(report.added) == n
        return len(calls)

    assert await statements(20, "少量新增") == await statements(2_500, "大量新增")


# ---- M2: control characters --------------------------------------------------------------


async def test_a_control_character_is_refused_with_its_column_named(conn):
    before = await q.max_version_id(conn)
    table = [HEADER, row(name="响铃证明", status="取消", note="'=1+1 \x07bell")]
    report = await transfer.import_table(conn, table, apply=True, actor="test")
    assert [(e.row, e.message) for e in report.errors] == [
        (2, "备注含有不可见的控制字符，请删除后重试（U+0007）")
    ]
    assert not report.applied and await q.max_version_id(conn) == before


async def test_exports_survive_a_control_character_stored_before_the_fix(conn, client):
    code = await conn.fetchval(
        "UPDATE certificate_versions SET note = 'a' || chr(7) || 'b', name = name || chr(27)"
        " WHERE id = (SELECT min(id) FROM certificate_versions"
        "             WHERE valid_to IS NULL AND superseded_at IS NULL) RETURNING code"
    )
    r = await client.get("/downloads/all.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    note = [zh for _, zh in transfer.COLUMNS].index("备注")
    notes = [row[note] for row in sheet.iter_rows(values_only=True) if row[0] == code]
    assert notes == ["ab"]
    data = transfer.export_xlsx(await q.list_latest(conn))  # what `registry export` writes
    table = transfer.read_table(data, "x.xlsx")
    assert next(r for r in table if r[0] == code)[note] == "ab"
    csv_table = transfer.read_table(transfer.export_csv(await q.list_latest(conn)), "x.csv")
    report = await transfer.import_table(conn, csv_table, apply=False, actor="test")
    assert report.errors == [] and report.changed == [code]  # re-import cleans it up


# ---- L6: encodings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text", "named"),
    [
        ("big5", "name,status\r\n戶籍謄本測試,abolished\r\n", "Big5"),
        ("shift_jis", "name,status\r\n戸籍謄本の写し,abolished\r\n", "Shift-JIS"),
    ],
)
async def test_big5_and_shift_jis_are_refused(sup, encoding, text, named):
    data = text.encode(encoding)
    with pytest.raises(sheets.SheetError) as exc:
        sheets.read_table(data, "list.csv")
    assert named in str(exc.value) and "UTF-8" in str(exc.value)
    r = await upload(sup, "list.csv", data)
    assert r.status_code == 422 and named in r.text


def test_gb18030_and_utf8_with_and_without_bom_are_read():
    text = "证明名称,状态\r\n户籍证明（“无犯罪”），取消\r\n"
    for data in (text.encode("gb18030"), text.encode("utf-8"), text.encode("utf-8-sig")):
        assert sheets.read_table(data, "x.csv")[1] == ["户籍证明（“无犯罪”），取消"]


def test_a_nul_or_utf16_file_is_refused_with_a_message():
    with pytest.raises(sheets.SheetError, match="UTF-16"):
        sheets.read_table("证明名称,状态\n".encode("utf-16"), "x.csv")
    with pytest.raises(sheets.SheetError, match="第 2 行含有 NUL"):
        sheets.read_table(b"a,b\nc\x00,d\n", "x.csv")
