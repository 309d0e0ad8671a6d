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
    assert json.loads(r.stdout) == {"added": 0, "changed": 0, "unchanged": 173, "errors": []}


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
    r = run(cli_env, "import", str(bad), "--apply", "--json")
    assert r.returncode != 0
    errors = json.loads(r.stdout)["errors"]
    assert [e["row"] for e in errors] == [2, 3, 4, 5]
    human = run(cli_env, "import", str(bad), "--apply")
    assert "第 3 行" in human.stdout and "没有写入" in human.stdout
    after = run(cli_env, "export", "--format", "json")
    assert len(json.loads(after.stdout)) == 173


def test_dry_run_shows_the_diff_and_writes_nothing(cli_env, tmp_path: Path):
    f = tmp_path / "new.csv"
    f.write_text("证明名称,状态,取消后办理方式\n新增的证明,取消,直接取消\n", encoding="utf-8-sig")
    r = run(cli_env, "import", str(f))
    assert r.returncode == 0 and "新增 1" in r.stdout and "dry-run" in r.stdout
    assert len(json.loads(run(cli_env, "export", "--format", "json").stdout)) == 173
    assert run(cli_env, "import", str(f), "--apply").returncode == 0
    assert len(json.loads(run(cli_env, "export", "--format", "json").stdout)) == 174
