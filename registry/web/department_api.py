"""What the departments' API modules share (api_verification, api_commitments): the token's
department as the workflow's actor, and the error entries of their OpenAPI operations."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.datastructures import ResponseSpec

from registry.accounts import tokens
from registry.infra.errorshape import ErrorBody
from registry.web.errors import error_responses
from registry.workflow import engine

Req = Request[Any, Any, Any]
# Route options of every router behind a department's token: a Bearer token, no cookie, so
# nothing for CSRF to forge; the OpenAPI security scheme is app.py's departmentToken.
ROUTER_OPT = {"exclude_from_csrf": True, "policy": "department_api"}
SECURITY: list[dict[str, list[str]]] = [{"departmentToken": []}]


def actor(request: Req) -> engine.Actor:
    """The token's department: the same role and scope a clerk of it has on the pages."""
    token = tokens.token_of(request)
    return engine.Actor(
        name=f"token:{token.id}:{token.department}", role="department", scope=token.department
    )


def errors(*codes: int) -> dict[int, Any]:
    """The error shape's entries, 401 (no valid token) included."""
    spec = ResponseSpec(
        data_container=ErrorBody,
        description="缺少、错误或已撤销的部门接口令牌（响应头 WWW-Authenticate: Bearer）",
    )
    return {401: spec} | error_responses(*codes)
