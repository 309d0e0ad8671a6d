"""registry/catalogue/xlsxrows.py gives the same cell values as openpyxl's own read-only reader."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from registry.catalogue import sheets, xlsxrows
from tests import xlsx_bombs


def both(data: bytes) -> tuple[list[list[object]], list[list[object]]]:
    def trimmed(values) -> list[object]:
        out = list(values)
        while out and out[-1] is None:
            out.pop()
        return out

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = wb.worksheets[0]
    ours = [
        trimmed(r)
        for r in xlsxrows.rows(zipfile.ZipFile(io.BytesIO(data)), sheet._worksheet_path, wb)
    ]
    sheet.reset_dimensions()
    theirs = [trimmed(r) for r in sheet.iter_rows(values_only=True)]
    wb.close()
    return ours, theirs


def test_values_match_openpyxl_on_a_workbook_excel_would_write():
    wb = Workbook()
    ws = wb.active
    ws.append(["证明名称", "状态", "生效日期", "数", "真假"])
    ws.append(["A&B <x> “引号”", "取消", dt.date(2020, 1, 2), 3, True])
    ws.append(["  两端空格  ", "保留", dt.datetime(2021, 5, 6, 7, 8), 2.5, False])
    ws["A6"] = "隔了两行"
    ws["F6"] = "=1+1"
    ws["C7"] = 1e20
    ws["B8"] = "多\n行"
    ws["AZ9"] = "远处的一格"
    buf = io.BytesIO()
    wb.save(buf)
    ours, theirs = both(buf.getvalue())
    assert ours == theirs
    assert ours[1][2] == dt.datetime(2020, 1, 2) and ours[3] == [] and ours[5][0] == "隔了两行"


def test_inline_strings_a_namespace_prefix_and_missing_refs():
    sheet = [
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<x:sheetData>"
            '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>证明名称</x:t></x:is></x:c>'
            '<x:c r="B1" t="inlineStr"><x:is><x:r><x:t>状</x:t></x:r><x:r><x:t>态</x:t></x:r>'
            '<x:rPh sb="0" eb="1"><x:t>zhuangtai</x:t></x:rPh></x:is></x:c></x:row>'
            '<x:row><x:c t="inlineStr"><x:is><x:t xml:space="preserve"> a &amp; b </x:t></x:is>'
            '</x:c><x:c t="str"><x:v>公式结果</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="5"><x:c r="C5"><x:v>1.5E3</x:v></x:c></x:row>'
            "</x:sheetData></x:worksheet>"
        ).encode()
    ]
    ours, theirs = both(xlsx_bombs.xlsx(sheet))
    assert ours == theirs
    assert ours == [
        ["证明名称", "状态"],
        [" a & b ", "公式结果", True],
        [],
        [],
        [None, None, 1500.0],
    ]


def test_a_dtd_is_refused():
    sheet = [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
    ]
    with pytest.raises(sheets.SheetError):
        sheets.read_table(xlsx_bombs.xlsx(sheet), "x.xlsx")
