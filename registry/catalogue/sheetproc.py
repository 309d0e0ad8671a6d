"""Reading a list file in a child process, with a memory cap and a deadline.

The worker's event loop never parses a file: a crafted one that slips past the limits in
sheets.py can only exhaust the child's own address space (RLIMIT_AS) or time, and the
child is killed. Run as `python -m registry.catalogue.sheetproc NAME LIMITS MEMORY`, file on stdin,
msgpack {"rows": [...]} or {"error": "..."} on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
from pathlib import Path

import msgspec

from registry.catalogue import sheets
from registry.catalogue.sheets import N_

GB = 1024 * 1024 * 1024
UPLOAD_MEMORY = 1 * GB
CLI_MEMORY = 4 * GB
CLI_SECONDS = 900.0  # openpyxl reads a 200,000-row XLSX in about a minute


class _Result(msgspec.Struct, omit_defaults=True):
    rows: list[list[str]] = []
    error: str = ""


async def read_table(
    data: bytes,
    filename: str,
    limits: sheets.Limits = sheets.UPLOAD,
    *,
    memory: int = UPLOAD_MEMORY,
    seconds: float = 60.0,
) -> list[list[str]]:
    """sheets.read_table, in a child; its refusals come back as the same SheetError."""
    if len(data) > limits.file_bytes:  # before copying it into a pipe
        raise sheets.SheetError(sheets.TOO_BIG % {"n": limits.file_bytes // sheets.MB})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry.catalogue.sheetproc",
        filename,
        msgspec.json.encode(limits).decode(),
        str(memory),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(data), seconds)
    except TimeoutError:
        raise sheets.SheetError(
            N_("文件在 %(n)s 秒内没有读完，已停止：请检查文件或拆分后分批导入")
            % {"n": f"{seconds:.0f}"}
        ) from None
    finally:
        if proc.returncode is None:  # timed out, or the request was cancelled
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    try:
        result = msgspec.msgpack.decode(out, type=_Result) if proc.returncode == 0 else None
    except msgspec.DecodeError:
        result = None
    if result is None:
        raise sheets.SheetError(
            N_("读取文件时超出了 %(n)s GB 的内存上限或意外中止：文件可能是恶意构造的")
            % {"n": memory // GB}
        )
    if result.error:
        raise sheets.SheetError(result.error)
    return result.rows


async def read_file(
    path: Path,
    limits: sheets.Limits = sheets.DEFAULT,
    *,
    memory: int = CLI_MEMORY,
    seconds: float = CLI_SECONDS,
) -> list[list[str]]:
    """A file the operator names: its size is checked before it is read into memory."""
    if (await asyncio.to_thread(path.stat)).st_size > limits.file_bytes:
        raise sheets.SheetError(sheets.TOO_BIG % {"n": limits.file_bytes // sheets.MB})
    data = await asyncio.to_thread(path.read_bytes)
    return await read_table(data, path.name, limits, memory=memory, seconds=seconds)


def _child() -> int:
    filename, limits_json, memory = sys.argv[1], sys.argv[2], int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    limits = msgspec.json.decode(limits_json, type=sheets.Limits)
    data = sys.stdin.buffer.read()
    try:
        result = _Result(rows=sheets.read_table(data, filename, limits))
    except sheets.SheetError as exc:
        result = _Result(error=str(exc))
    except MemoryError:
        result = _Result(
            error=N_("读取文件时超出了 %(n)s GB 的内存上限：文件可能有问题") % {"n": memory // GB}
        )
    sys.stdout.buffer.write(msgspec.msgpack.encode(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
