"""Route x role matrix, generated from the application's route table against POLICIES.

A route without a policy fails here (and the guard refuses it to everyone at run time)."""

from __future__ import annotations

import re

import httpx
import pytest

from registry.auth import POLICIES
from tests.staff_helpers import DEPT_A, complaint_id, csrf, file_complaint, login, make_user

ROLES = ("anonymous", "department_a", "department_b", "supervisor", "admin")
ROLE_OF = {
    "department_a": "department",
    "department_b": "department",
    "supervisor": "supervisor",
    "admin": "admin",
}


def routes(app):
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if method in ("HEAD", "OPTIONS"):
                continue
            yield route.path, method, handler


def test_every_route_has_a_documented_policy(app):
    missing = [(p, m) for p, m, h in routes(app) if h.opt.get("policy") not in POLICIES]
    assert missing == []


def test_an_app_with_an_unguarded_or_unnamed_policy_refuses_to_start():
    from litestar import Litestar, Router, get
    from litestar.exceptions import ImproperlyConfiguredException

    from registry.auth import check_policies, policy_guard

    def handler(opt: dict[str, str]):  # type: ignore[no-untyped-def]
        @get("/x", opt=opt)
        async def x() -> str:
            return "x"

        return x

    for bad in (
        [handler({"policy": "supervisor"})],  # not public, and no guard
        [handler({})],  # no policy at all
        [Router("/r", route_handlers=[handler({"policy": "nonsense"})], guards=[policy_guard])],
    ):
        with pytest.raises(ImproperlyConfiguredException):
            check_policies(Litestar(route_handlers=bad, openapi_config=None))
    guarded = Router(
        "/r", route_handlers=[handler({"policy": "supervisor"})], guards=[policy_guard]
    )
    check_policies(
        Litestar(route_handlers=[guarded, handler({"policy": "public"})], openapi_config=None)
    )


def test_policies_are_documented():
    from registry.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    for name in POLICIES:
        assert f"`{name}`" in text, name


def fill(path: str, sample: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return sample.get(m.group(1), "1" if m.group(2) == "int" else "x")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", one, path)


@pytest.fixture
async def clients(app, conn):
    await make_user(conn, "sup", "supervisor")
    await make_user(conn, "adm", "admin")
    await make_user(conn, "depa", "department", DEPT_A)
    await make_user(conn, "depb", "department", "CY-BM-002")
    out = {}
    for role, username in [
        ("anonymous", None),
        ("department_a", "depa"),
        ("department_b", "depb"),
        ("supervisor", "sup"),
        ("admin", "adm"),
    ]:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        if username:
            assert (await login(c, username)).status_code == 303
        c.headers["x-csrftoken"] = await csrf(c)
        out[role] = c
    yield out
    for c in out.values():
        await c.aclose()


async def test_route_role_matrix(app, conn, clients):
    ref = await file_complaint(clients["anonymous"])
    cid = await complaint_id(conn, ref)
    await conn.execute(
        "UPDATE complaints SET status='assigned', assigned_department=$2 WHERE id=$1", cid, DEPT_A
    )
    sample = {
        "code": "CY-ZM-001",
        "reference": ref,
        "complaint_id": str(cid),
        "action": "note",
        "filename": "retained.csv",
        "file_path": "style.css",
    }
    failures = []
    # Logout last: it ends the session the other rows need.
    for path, method, handler in sorted(routes(app), key=lambda r: r[0].endswith("/logout")):
        policy = handler.opt["policy"]
        url = fill(path, sample)
        for role in ROLES:
            r = await clients[role].request(method, url, data={} if method == "POST" else None)
            # The guard's answers: 403, or (not logged in) a redirect to the login page / 401 JSON.
            denied = (
                r.status_code == 403
                or (r.status_code == 401 and path.startswith("/api"))
                or (
                    r.status_code == 303
                    and r.headers.get("location", "").startswith("/staff/login?next")
                )
            )
            allowed_roles = POLICIES[policy]
            should_pass = not allowed_roles or (
                role != "anonymous" and ROLE_OF[role] in allowed_roles
            )
            if should_pass == denied:
                failures.append(
                    (method, path, role, policy, r.status_code, r.headers.get("location"))
                )
    assert failures == [], "\n".join(map(str, failures))


async def test_department_b_gets_404_not_403_for_a_case_of_a(clients, conn):
    """Not even the existence of another department's case leaks."""
    ref = await file_complaint(clients["anonymous"])
    cid = await complaint_id(conn, ref)
    await conn.execute(
        "UPDATE complaints SET status='assigned', assigned_department=$2 WHERE id=$1", cid, DEPT_A
    )
    assert (await clients["department_b"].get(f"/staff/complaints/{cid}")).status_code == 404
    assert (await clients["department_a"].get(f"/staff/complaints/{cid}")).status_code == 200
