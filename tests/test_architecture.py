"""The import rules hold (pyproject.toml [tool.importlinter], docs/architecture.md), and each
contract really catches its kind of violation: run against a copy of registry/ with one bad
import written in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
LINT = Path(sys.executable).parent / "lint-imports"


def lint(package_parent: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts on the `registry` found under package_parent
    (first on PYTHONPATH, so a copy wins over the installed package)."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    chosen = [a for c in contracts for a in ("--contract", c)]
    return subprocess.run(
        [str(LINT), str(CONFIG), "--no-cache", *chosen],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_rules_hold() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "registry", tmp_path / "registry", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def add_import(copy: Path, module: str, line: str) -> None:
    path = copy / "registry" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "line", "contract", "named"),
    [
        # A route module taking a helper from another route module.
        (
            "routes/api.py",
            "from registry.routes import complaints as _c",
            "routes-independent",
            "registry.routes.api",
        ),
        # The domain importing the web layer.
        ("complaints.py", "from registry import web as _web", "layers", "registry.complaints"),
        # SQL importing the domain.
        (
            "queries/stats.py",
            "from registry import complaints as _c",
            "layers",
            "registry.queries.stats",
        ),
        # A cycle inside one layer (sheets imports textclean), which the layers allow.
        ("textclean.py", "from registry import sheets as _s", "acyclic", ".textclean"),
        # The app <-> route cycle this contract was written for, even as a lazy import.
        (
            "routes/admin.py",
            "def _drop():\n    from registry import app as _a",
            "acyclic",
            ".routes -> .app",
        ),
    ],
)
def test_each_contract_fails_on_its_violation(
    copy: Path, module: str, line: str, contract: str, named: str
) -> None:
    add_import(copy, module, line)  # the copy is otherwise clean: test_the_import_rules_hold
    result = lint(copy, contract)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert named in result.stdout  # broken for the import written in, not something else


def test_a_new_module_must_be_placed_in_a_layer(copy: Path) -> None:
    (copy / "registry" / "unplaced.py").write_text('"""Nowhere yet."""\n', encoding="utf-8")
    result = lint(copy, "layers")
    assert result.returncode != 0, result.stdout
    assert "unplaced" in result.stdout
