"""Schemathesis over every operation of /schema/openapi.json, against the live server.

Each operation is fuzzed once (EXAMPLES positive and EXAMPLES negative cases from
`APIOperation.as_strategy`, derandomized, no deadline, no shrinking); every response goes
through the CHECKS and the first failing example per check is kept (a failure's code says
which check it belongs to). Then one pytest test per
(operation, check) reads that result, so a schema mismatch does not hide a 5xx and each known
defect is one strict xfail in KNOWN (it turns red, XPASS, when fixed: remove the entry).

Operations are listed at collection time from the application object (no server needed); the
test `test_served_schema_is_the_app_schema` fails if the server's /schema/openapi.json differs.
Requests are plain `requests` calls, synchronous, so they do not touch pytest-asyncio's loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.infra.settings import Settings
from registry.web.app import create_app

EXAMPLES = 50
CHECKS: dict[str, Callable[..., Any]] = {
    "server_error": not_a_server_error,
    "schema": response_schema_conformance,
    "status_code": status_code_conformance,
    "content_type": content_type_conformance,
}
# Schemathesis failure codes -> which check they belong to (the checks run together).
CATEGORY = {
    "ST101": "server_error",
    "ST102": "server_error",
    "ST103": "status_code",
    "ST104": "content_type",
    "ST105": "content_type",
    "ST106": "content_type",
    "ST108": "schema",
    "ST109": "schema",
    "ST110": "schema",
    "ST111": "schema",
}
# (operation, check) -> a known defect, with an example that shows it. None known now; a new
# entry is a strict xfail, so it turns red (XPASS) as soon as the defect is fixed.
KNOWN: dict[tuple[str, str], str] = {}


def app_operations() -> list[str]:
    """What the application documents, from the app object (no database, no server)."""
    schema = create_app(Settings(secret_key="x", listen_for_changes=False)).openapi_schema
    paths = schema.to_schema()["paths"]
    return [f"{m.upper()} {path}" for path, ops in paths.items() for m in ops]


OPERATIONS = app_operations()


def params() -> list[Any]:
    out = []
    for op in OPERATIONS:
        for check in CHECKS:
            reason = KNOWN.get((op, check))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(op, check, marks=marks, id=f"{op}-{check}"))
    return out


def fuzz(operation: APIOperation, base_url: str, token: str = "") -> dict[str, str]:
    """Check name -> the first failure (reproducible curl command, status, message). With a
    token, as a department's system (the operations behind a Bearer token get past it)."""
    failures: dict[str, str] = {}
    session = requests.Session()
    if token:
        session.headers["authorization"] = f"Bearer {token}"

    def one(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, allow_redirects=False)
        try:
            case.validate_response(response, checks=list(CHECKS.values()))
        except FailureGroup as group:
            for failure in group.exceptions:
                name = CATEGORY.get(getattr(failure, "code", ""), "server_error")
                if name not in failures:
                    body = response.text[:300].replace("\n", " ")
                    failures[name] = (
                        f"{case.as_curl_command()}\n"
                        f"→ {response.status_code} {response.headers.get('content-type')}\n"
                        f"  {body}\n{getattr(failure, 'code', '?')} {failure.title}\n"
                        + "\n".join(str(failure.message).splitlines()[:8])
                    )

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run = hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(hypothesis.given(case=operation.as_strategy(generation_mode=mode))(one))
        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            # Negative mode on an operation with no input: nothing can be made invalid.
            assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


@pytest.fixture(scope="module")
def served(live_server: str) -> Any:
    return schemathesis.openapi.from_url(live_server + "/schema/openapi.json")


@pytest.fixture(scope="module")
def department_token(live_server: str, browser_database: str) -> str:
    """A department's API token, issued through the real CLI (the 协查 API needs one)."""
    done = subprocess.run(
        [sys.executable, "-m", "registry", "token", "add", "--department", "CY-BM-001",
         "--label", "schemathesis"],
        env={**os.environ, "DATABASE_URL": browser_database},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def results(
    live_server: str, served: Any, department_token: str
) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def get(label: str) -> dict[str, str]:
        if label not in cache:
            method, path = label.split(" ", 1)
            behind_token = path.startswith(("/api/v1/verifications", "/api/v1/commitments"))
            token = department_token if behind_token else ""
            cache[label] = fuzz(served[path][method], live_server, token)
        return cache[label]

    return get


def test_served_schema_is_the_app_schema(live_server: str) -> None:
    served = requests.get(live_server + "/schema/openapi.json", timeout=30).json()
    labels = [f"{m.upper()} {p}" for p, ops in served["paths"].items() for m in ops]
    assert sorted(labels) == sorted(OPERATIONS), json.dumps(labels, ensure_ascii=False)


@pytest.mark.parametrize(("operation", "check"), params())
def test_operation(results: Callable[[str], dict[str, str]], operation: str, check: str) -> None:
    failure = results(operation).get(check)
    assert failure is None, f"{operation} fails {check}:\n{failure}"
