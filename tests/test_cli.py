"""The `registry` command against its own database, as an operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

DB = f"registry_cli_test_{os.getpid()}"


@pytest.fixture(scope="module")
async def cli_env(scratch_database) -> AsyncIterator[dict[str, str]]:
    async with scratch_database("cli_test") as dsn:
        env = {**os.environ, "DATABASE_URL": dsn}
        assert run(env, "seed").returncode == 0
        yield env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_export_then_import_reports_nothing_to_do(cli_env, tmp_path: Path):
    out = tmp_path / "list.csv"
    assert run(cli_env, "export", "--format", "csv", "--output", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    r = run(cli_env, "import", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "added": 0,
        "changed": 0,
        "unchanged": 173,
        "errors": [],
        "warnings": [],
    }


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_export_formats(cli_env, fmt):
    r = subprocess.run(
        [sys.executable, "-m", "registry", "export", "--format", fmt],
        env=cli_env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    if fmt == "json":
        assert len(json.loads(r.stdout)) == 173
    else:
        assert r.stdout[:2] == b"PK"


def test_bad_file_reports_rows_and_changes_nothing_even_with_apply(cli_env, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "证明名称,状态,生效日期\n新证明,保留,\n另一个,作废,\n,取消,\n第三个,取消,2024-02-30\n",
        encoding="utf-8-sig",
    )
    r = run(cli_env, "import", str(bad), "--apply", "--json", "--reason", "测试")
    assert r.returncode != 0
    errors = json.loads(r.stdout)["errors"]
    assert [e["row"] for e in errors] == [2, 3, 4, 5]
    human = run(cli_env, "import", str(bad), "--apply", "--reason", "测试")
    assert "第 3 行" in human.stdout and "没有写入" in human.stdout
    after = run(cli_env, "export", "--format", "json")
    assert len(json.loads(after.stdout)) == 173


def test_dry_run_shows_the_diff_and_writes_nothing(cli_env, tmp_path: Path):
    f = tmp_path / "new.csv"
    f.write_text("证明名称,状态,取消后办理方式\n新增的证明,取消,直接取消\n", encoding="utf-8-sig")
    r = run(cli_env, "import", str(f))
    assert r.returncode == 0 and "新增 1" in r.stdout and "dry-run" in r.stdout
    assert len(json.loads(run(cli_env, "export", "--format", "json").stdout)) == 173
    refused = run(cli_env, "import", str(f), "--apply")
    assert refused.returncode == 2 and "--reason" in refused.stderr and "公开理由" in refused.stderr
    assert run(cli_env, "import", str(f), "--apply", "--reason", "   ").returncode == 2
    assert len(json.loads(run(cli_env, "export", "--format", "json").stdout)) == 173
    r = run(cli_env, "import", str(f), "--apply", "--reason", "按县政府决定新增")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(run(cli_env, "export", "--format", "json").stdout)) == 174


async def test_official_import_marks_the_list_official_and_the_reason_is_public(
    cli_env, tmp_path: Path
):
    import asyncpg

    f = tmp_path / "official.csv"
    f.write_text(
        "证明名称,状态,取消后办理方式\n正式清单里的证明,取消,直接取消\n", encoding="utf-8-sig"
    )
    dry = run(cli_env, "import", str(f), "--official")
    assert dry.returncode == 2 and "--official" in dry.stderr
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        assert await conn.fetchval("SELECT official FROM list_record") is False
        args = ("--apply", "--official", "--reason", "县政府公布正式清单")
        r = run(cli_env, "import", str(f), *args)
        assert r.returncode == 0, r.stderr
        assert await conn.fetchval("SELECT official FROM list_record") is True
        row = await conn.fetchrow(
            "SELECT change_reason, initial FROM certificate_versions WHERE name = $1",
            "正式清单里的证明",
        )
        assert dict(row) == {"change_reason": "县政府公布正式清单", "initial": False}
        audit = await conn.fetchval(
            "SELECT actor FROM audit_log WHERE action = 'list.official' ORDER BY id DESC LIMIT 1"
        )
        assert audit == "cli"
    finally:
        await conn.close()


def test_a_dry_run_reports_an_abolished_item_it_cannot_give_a_kind(cli_env, tmp_path: Path):
    f = tmp_path / "old.csv"  # a file from before the 办理方式类型 column
    f.write_text(
        "证明名称,状态,取消后办理方式\n甲证明,取消,部门间核查\n乙证明,取消,直接取消、数据共享\n",
        encoding="utf-8-sig",
    )
    r = run(cli_env, "import", str(f), "--json")
    assert r.returncode == 0, r.stderr
    (warning,) = json.loads(r.stdout)["warnings"]
    assert warning["row"] == 3 and "办理方式类型" in warning["message"]
    human = run(cli_env, "import", str(f))
    assert "提示 1" in human.stdout and "提示：第 3 行：" in human.stdout
