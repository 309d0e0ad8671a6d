"""Crafted XLSX files from the probe report (H3), built small in memory: a few KB each."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

_CT = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    b'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    b'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)
_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
_HEADER_ROW = b'<row r="1">' + b"".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
    for col, text in (("A", "证明名称"), ("B", "状态"))
)


def xlsx(sheet: Iterable[bytes], extra: Iterable[tuple[str, Iterable[bytes]]] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, parts in [("xl/worksheets/sheet1.xml", sheet), *extra]:
            with z.open(name, "w", force_zip64=True) as f:
                for part in parts:
                    f.write(part)
    return buf.getvalue()


def dimension_bomb() -> bytes:
    """The probe's 1.5 KB file: a declared A1:XFD1048576 with rows 1 and 1048576."""
    return xlsx(
        [
            _HEAD,
            b'<dimension ref="A1:XFD1048576"/><sheetData>',
            _HEADER_ROW + b"</row>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            b"</sheetData></worksheet>",
        ]
    )


def gap_bomb() -> bytes:
    """No <dimension>: rows 1 and 1048576 only; a reader that fills the gap reads a million."""
    return xlsx(
        [
            _HEAD,
            b"<sheetData>",
            _HEADER_ROW + b"</row>",
            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            b"</sheetData></worksheet>",
        ]
    )


def wide_row() -> bytes:
    return xlsx(
        [
            _HEAD,
            b"<sheetData>",
            _HEADER_ROW + b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>',
            b"</sheetData></worksheet>",
        ]
    )


def row_bomb(rows: int = 2_700_000) -> bytes:
    """`rows` one-cell rows without a <dimension> (a few hundred KB on disk)."""

    def parts() -> Iterable[bytes]:
        yield _HEAD + b"<sheetData>" + _HEADER_ROW + b"</row>"
        block = b"<row><c><v>1</v></c></row>" * 10_000
        for _ in range((rows - 1) // 10_000):
            yield block
        yield b"<row><c><v>1</v></c></row>" * ((rows - 1) % 10_000)
        yield b"</sheetData></worksheet>"

    return xlsx(parts())


def zip_bomb(megabytes: int = 600) -> bytes:
    """A normal sheet and a shared-strings part that inflates to `megabytes` of spaces."""
    sheet = [_HEAD, b"<sheetData>", _HEADER_ROW + b"</row>", b"</sheetData></worksheet>"]
    spaces = (b" " * (1024 * 1024) for _ in range(megabytes))
    return xlsx(sheet, [("xl/sharedStrings.xml", spaces)])
