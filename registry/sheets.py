"""Spreadsheet files: CSV (UTF-8 with BOM, or GB18030) and XLSX in, CSV/XLSX out, as text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SheetError(ValueError):
    pass


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """Rows of cells as text from a CSV (UTF-8 with or without BOM, or GB18030) or XLSX."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("文件编码无法识别：请使用 UTF-8 或 GB18030 编码的 CSV")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SheetError(f"无法读取 XLSX 文件：{exc}") from exc
    sheet = wb.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append([_cell_text(v) for v in values])
    wb.close()
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def neutralise(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unneutralise(cell: str) -> str:
    """Undo the quote our export puts before formula-like cells, so export -> import is exact."""
    if cell.startswith("'") and cell[1:2] in FORMULA_START and cell[1:2]:
        return cell[1:]
    return cell


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(c) for c in r] for r in rows)
    return buf.getvalue().encode("utf-8-sig")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for r in rows:
        ws.append([neutralise(c) for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_file(path: Path) -> list[list[str]]:
    return read_table(path.read_bytes(), path.name)
