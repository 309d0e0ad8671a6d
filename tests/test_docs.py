"""The documents name what the code has: API paths, workflow actions, import columns (no DB)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.catalogue.transfer import COLUMNS
from registry.complaints.workflow import TRANSITIONS
from registry.infra.settings import Settings
from registry.web.app import create_app

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def api_paths() -> list[str]:
    """Every /api/v1 path in the route table, `{code:str}` written as `{code}`."""
    app = create_app(Settings())
    paths = {re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path) for r in app.routes}
    return sorted(p for p in paths if p.startswith("/api/v1"))


def test_the_route_table_has_api_paths() -> None:
    assert "/api/v1/certificates/{code}" in api_paths()


@pytest.mark.parametrize("path", api_paths())
def test_every_api_path_is_documented(path: str) -> None:
    assert f"`{path}`" in read("api.md"), path


@pytest.mark.parametrize("action", [str(a) for a in TRANSITIONS])
def test_every_workflow_action_is_documented(action: str) -> None:
    assert f"`{action}`" in read("workflow.md"), action


@pytest.mark.parametrize(("field", "header"), COLUMNS)
def test_every_import_column_is_documented(field: str, header: str) -> None:
    rows = [line for line in read("import-format.md").splitlines() if line.startswith("|")]
    assert any(f"| {header} | {field} |" in line for line in rows), (header, field)
