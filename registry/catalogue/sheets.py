"""Spreadsheet files: CSV and XLSX in, within limits, as text cells; CSV/XLSX out.

Reading is bounded before and while parsing (see Limits): a 1.5 KB XLSX can declare a
16,384 x 1,048,576 sheet and a 1 MB one can hold millions of rows, and either took a worker to
gigabytes. Uploads in the browser are read in a child process as well (sheetproc.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from registry.catalogue import csvtext, xlsxrows
from registry.infra import textclean


def N_(message: str) -> str:
    """Marks a msgid, as registry.infra.i18n.N_ does: defined here so that the sheet reader's
    child process (sheetproc.py) starts without loading the catalogues' OpenCC."""
    return message


# The refusals (msgids: the import page shows them in the reader's language; the CLI in 简体).
TOO_BIG = N_("文件超过 %(n)s MB 的上限：请拆分后分批导入")
TOO_MANY_ROWS = N_("文件超过 %(n)s 行的上限（不含表头）：请拆分后分批导入")
TOO_MANY_CELLS = N_("文件超过 %(n)s 个单元格的上限：请拆分后分批导入")
UNREADABLE_XLSX = N_("无法读取 XLSX 文件：%(why)s")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MB = 1024 * 1024
_EMPTY: list[str] = []  # one shared list for every empty row: row numbers stay, memory does not


class SheetError(ValueError):
    pass


class Limits(msgspec.Struct, frozen=True):
    """What a list file may hold. The row limit leaves room for a 200,000-item list."""

    rows: int = 200_000  # data rows, the header not counted
    columns: int = 64
    cell_chars: int = 32_767  # Excel's own limit for one cell
    cells: int = 4_000_000  # non-empty cells
    text_chars: int = 100_000_000  # all cells together
    file_bytes: int = 256 * MB
    unzipped_bytes: int = 512 * MB  # an XLSX's members together, as their headers declare
    zip_members: int = 1_000


# The command line reads a file the operator chose. The browser's files are at most 1 MB, so a
# tighter budget still holds every honest upload and bounds what the worker receives.
DEFAULT = Limits()
UPLOAD = Limits(cells=1_000_000, text_chars=8_000_000, file_bytes=MB, unzipped_bytes=128 * MB)


def read_table(data: bytes, filename: str, limits: Limits = DEFAULT) -> list[list[str]]:
    """Rows of cells as text from a CSV (UTF-8, or GB18030 that reads as Chinese) or XLSX.
    Trailing empty cells are dropped; an empty row is an empty list."""
    if len(data) > limits.file_bytes:
        raise SheetError(TOO_BIG % {"n": limits.file_bytes // MB})
    counter = _Counter(limits)
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data, counter)
    try:
        text = csvtext.decode(data)
    except csvtext.EncodingRefused as exc:
        raise SheetError(str(exc)) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SheetError(N_("文件第 %(row)s 行含有 NUL 字符：这不是文本 CSV 文件") % {"row": line})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [counter.row(cells) for cells in reader]
    except csv.Error as exc:
        raise SheetError(
            N_("CSV 格式错误（第 %(row)s 行）：%(why)s") % {"row": reader.line_num, "why": exc}
        ) from None


class _Counter:
    """The row-by-row limits, the same for CSV and XLSX."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows = self.cells = self.chars = 0

    def row(self, values: Sequence[Any]) -> list[str]:
        lim = self.limits
        self.rows += 1
        if self.rows > lim.rows + 1:
            raise SheetError(TOO_MANY_ROWS % {"n": f"{lim.rows:,}"})
        end = len(values)
        while end and (values[end - 1] is None or values[end - 1] == ""):
            end -= 1
        if not end:
            return _EMPTY
        if end > lim.columns:
            raise SheetError(
                N_("第 %(row)s 行超过 %(n)s 列的上限") % {"row": self.rows, "n": lim.columns}
            )
        cells = [_cell_text(v) for v in values[:end]]
        for col, text in enumerate(cells, start=1):
            if len(text) > lim.cell_chars:
                raise SheetError(
                    N_("第 %(row)s 行第 %(col)s 列超过每格 %(n)s 个字符的上限")
                    % {"row": self.rows, "col": col, "n": f"{lim.cell_chars:,}"}
                )
            if text:
                self.cells += 1
                self.chars += len(text)
        if self.cells > lim.cells:
            raise SheetError(
                N_("文件超过 %(n)s 个非空单元格的上限：请拆分后分批导入") % {"n": f"{lim.cells:,}"}
            )
        if self.chars > lim.text_chars:
            raise SheetError(
                N_("文件超过共 %(n)s 个字符的上限：请拆分后分批导入") % {"n": f"{lim.text_chars:,}"}
            )
        return cells


def _read_xlsx(data: bytes, counter: _Counter) -> list[list[str]]:
    from openpyxl import load_workbook

    limits = counter.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_members(archive, limits)
        for member in archive.infolist():
            _prescan(archive, member, limits)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        if isinstance(exc, SheetError):
            raise
        raise SheetError(UNREADABLE_XLSX % {"why": exc}) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SheetError(UNREADABLE_XLSX % {"why": exc}) from exc
    try:
        sheet = wb.worksheets[0]
        _check_dimension(sheet.max_row, sheet.max_column, limits)
        path = getattr(sheet, "_worksheet_path", "")
        if path and hasattr(wb, "_date_formats"):
            rows: Iterable[Sequence[Any]] = xlsxrows.rows(archive, path, wb)
        else:  # another openpyxl: its own reader, three times slower
            sheet.reset_dimensions()  # rows as long as their last cell, not as declared
            rows = sheet.iter_rows(values_only=True)
        return [counter.row(values) for values in rows]
    except SheetError:
        raise
    except xlsxrows.XlsxError as exc:
        raise SheetError(str(exc)) from None
    except Exception as exc:
        raise SheetError(UNREADABLE_XLSX % {"why": exc}) from exc
    finally:
        wb.close()


def _check_members(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Zip bombs: zipfile never inflates a member past the size its header declares, so the
    declared sizes bound what openpyxl can be made to read."""
    members = archive.infolist()
    if len(members) > limits.zip_members:
        raise SheetError(
            N_("XLSX 文件有 %(n)s 个部件，超过 %(most)s 的上限")
            % {"n": f"{len(members):,}", "most": f"{limits.zip_members:,}"}
        )
    total = sum(m.file_size for m in members)
    if total > limits.unzipped_bytes:
        raise SheetError(
            N_("XLSX 文件解压后有 %(n)s MB，超过 %(most)s MB 的上限：文件可能已损坏或是恶意构造的")
            % {"n": f"{total // MB:,}", "most": f"{limits.unzipped_bytes // MB:,}"}
        )


def _check_dimension(max_row: int | None, max_column: int | None, limits: Limits) -> None:
    """The sheet's own <dimension>: refused before a single row is read."""
    if (max_row or 0) > limits.rows + 1 or (max_column or 0) > limits.columns:
        raise SheetError(
            N_(
                "表格声明的大小（%(rows)s 行、%(cols)s 列）超过上限"
                "（%(most)s 行加表头、%(most_cols)s 列）：请删除多余的行和列后重新保存"
            )
            % {
                "rows": f"{max_row or 0:,}",
                "cols": f"{max_column or 0:,}",
                "most": f"{limits.rows:,}",
                "most_cols": limits.columns,
            }
        )


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")


def _prescan(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> None:
    """Count <row> and <c> tags in every worksheet's XML as it inflates, before openpyxl
    sees the file: opening a workbook already reads each sheet without a <dimension> to its
    end, so a million-row file is refused here in a second instead of after minutes."""
    if member.is_dir():
        return
    rows = cells = 0
    tail = b""
    with archive.open(member) as f:
        first = f.read(64 * 1024)
        m = _ROOT.search(first)
        if m is None:
            return  # not a worksheet
        prefix = (m.group(1) + b":") if m.group(1) else b""
        row_tags = (b"<" + prefix + b"row ", b"<" + prefix + b"row>")
        cell_tags = (b"<" + prefix + b"c ", b"<" + prefix + b"c>")
        chunk = first
        while chunk:
            buf = tail + chunk
            # What the tail held was counted with the previous chunk.
            rows += sum(buf.count(t) - tail.count(t) for t in row_tags)
            cells += sum(buf.count(t) - tail.count(t) for t in cell_tags)
            if rows > limits.rows + 1:
                raise SheetError(TOO_MANY_ROWS % {"n": f"{limits.rows:,}"})
            if cells > limits.cells * 2:  # empty styled cells count here: a margin
                raise SheetError(TOO_MANY_CELLS % {"n": f"{limits.cells:,}"})
            tail = buf[-64:]  # longer than any tag: one cut by the chunk's end is found
            chunk = f.read(MB)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
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


def _out(text: str) -> str:
    """A cell as written: control characters stored before the importer refused them are
    dropped (XLSX cannot hold them, and the importer would refuse them on the way back)."""
    return neutralise(text if textclean.is_clean(text) else textclean.strip_bad(text))


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_out(c) for c in r] for r in rows)
    return buf.getvalue().encode("utf-8-sig")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for r in rows:
        ws.append([_out(c) for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_file(path: Path, limits: Limits = DEFAULT) -> list[list[str]]:
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise SheetError(TOO_BIG % {"n": limits.file_bytes // MB})
    return read_table(path.read_bytes(), path.name, limits)
