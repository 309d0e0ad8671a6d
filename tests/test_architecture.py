"""The import rules hold (pyproject.toml [tool.importlinter], docs/architecture.md), and each
contract really catches its kind of violation: run against a copy of registry/ with one bad
import written in."""

from __future__ import annotations

import json
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
    assert "4 kept, 0 broken" in result.stdout


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
            "web/routes/api.py",
            "from registry.web.routes.public import complaints as _c",
            "routes-independent",
            "registry.web.routes.api",
        ),
        # A staff page importing a public one.
        (
            "web/routes/staff/workspace.py",
            "from registry.web.routes.public import tracking as _t",
            "routes-independent",
            "registry.web.routes.staff.workspace",
        ),
        # The domain importing the web layer.
        (
            "complaints/cases.py",
            "from registry.web import rendering as _r",
            "layers",
            "registry.complaints.cases",
        ),
        # The list importing the checker (a feature above it).
        (
            "catalogue/transfer.py",
            "from registry.checker import decide as _d",
            "layers",
            "registry.catalogue.transfer",
        ),
        # Infrastructure importing a feature.
        (
            "infra/audit.py",
            "from registry.accounts import models as _m",
            "layers",
            "registry.infra.audit",
        ),
        # The pure decision reaching for the database.
        ("checker/decide.py", "import asyncpg as _pg", "pure-checker", "registry.checker.decide"),
        # A cycle inside one feature.
        (
            "catalogue/csvtext.py",
            "from registry.catalogue import sheets as _s",
            "acyclic",
            ".csvtext",
        ),
        # The app <-> route cycle this contract was written for, even as a lazy import.
        (
            "web/routes/staff/admin.py",
            "def _drop():\n    from registry.web import app as _a",
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


SQL_RULE = """
import grimp, json
graph = grimp.build_graph("registry")
sql = sorted(m for m in graph.modules if ".queries." in m)
def allowed(t):
    # models and vocab are the data types (vocab: the thesaurus and licence records)
    return ".queries" in t or t.endswith((".models", ".vocab")) or t.startswith("registry.infra.")
wrong = sorted(
    f"{m} -> {t}"
    for m in sql
    for t in graph.find_modules_directly_imported_by(m)
    if t.startswith("registry.") and not allowed(t)
)
print(json.dumps({"sql": len(sql), "wrong": wrong}))
"""


def sql_rule(package_parent: Path) -> dict[str, object]:
    """Every registry/<feature>/queries/ module is SQL the code owns: it may use other SQL, the
    data types (models) and infrastructure, never the rules that call it."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    out = subprocess.run(
        [sys.executable, "-c", SQL_RULE],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def test_sql_modules_import_only_sql_models_and_infrastructure() -> None:
    result = sql_rule(ROOT)
    assert result["sql"] >= 10  # checked against the real modules, not an empty set
    assert result["wrong"] == []


def test_the_sql_rule_catches_a_query_importing_the_rules(copy: Path) -> None:
    add_import(copy, "complaints/queries/stats.py", "from registry.complaints import cases as _c")
    result = sql_rule(copy)
    assert result["wrong"] == ["registry.complaints.queries.stats -> registry.complaints.cases"]


def test_no_module_is_over_400_lines() -> None:
    """Small modules (design §5): a newcomer reads one file for one feature."""
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "registry").rglob("*.py")
    }
    assert len(sizes) > 50
    assert {p: n for p, n in sizes.items() if n > 400} == {}
