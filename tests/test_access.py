"""Route x role matrix: every route of the application's route table, for every role, answers
exactly what MATRIX declares (the status, and the Location of a redirect), so a 500 or any
other wrong answer fails, for allowed and refused roles alike.

A route without a policy fails here (and the guard refuses it to everyone at run time); a route
without a row in MATRIX, a row for a route that is gone, or a route whose policy differs from
its row fails test_route_role_matrix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
import pytest

from registry.accounts.auth import POLICIES
from tests.staff_helpers import DEPT_A, complaint_id, csrf, file_complaint, login, make_user
from tests.verification_helpers import samples as verification_samples

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

    from registry.accounts.auth import check_policies, policy_guard

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
    from registry.infra.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    for name in POLICIES:
        assert f"`{name}`" in text, name


def fill(path: str, sample: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return sample.get(m.group(1), "1" if m.group(2) == "int" else "x")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", one, path)


# A status, or a redirect's status and its exact Location.
Answer = int | tuple[int, str]


@dataclass(frozen=True)
class Cell:
    """What one route answers each role, for an empty request (the sample path parameters of
    test_route_role_matrix, `query` appended, an empty form for POST).

    `allowed` is the answer to every role the policy admits, `roles` overrides it for single
    roles; a role the policy refuses gets the guard's answer (see `denied`)."""

    policy: str
    allowed: Answer
    roles: dict[str, Answer] = field(default_factory=dict)
    query: str = ""

    def expected(self, role: str, method: str, url: str) -> Answer:
        if role in self.roles:
            return self.roles[role]
        roles = POLICIES[self.policy]
        if not roles or (role != "anonymous" and ROLE_OF[role] in roles):
            return self.allowed
        return denied(role, method, url)


def denied(role: str, method: str, url: str) -> Answer:
    """The guard: 401 JSON under /api, else anonymous goes to the login page (back to the page
    after a GET), and a logged-in role without the right gets 403."""
    if role != "anonymous":
        return 403
    if url.startswith("/api/"):
        return 401
    return (303, f"/staff/login?next={url if method == 'GET' else ''}")


LOGIN_HOME = (302, "/staff/complaints")
TOKEN_ONLY: dict[str, Answer] = dict.fromkeys(ROLES, 401)  # department_api: no session counts
# Every route of the app, with what it answers each role. A route the table does not declare
# fails test_route_role_matrix: add its row when you add the route.
MATRIX: dict[tuple[str, str], Cell] = {
    # Public pages and files.
    ("GET", "/"): Cell("public", 200),
    ("GET", "/certificates/retained"): Cell("public", 200),
    ("GET", "/certificates/abolished"): Cell("public", 200),
    ("GET", "/certificates/{code:str}"): Cell("public", 200),
    ("GET", "/check"): Cell("public", 200, query="?name=良民证"),
    ("GET", "/matters"): Cell("public", 200, query="?q=上户口"),
    ("GET", "/matter"): Cell("public", 200, query="?name=新生儿出生登记（落户）"),
    ("GET", "/downloads/{filename:str}"): Cell("public", 200),
    ("GET", "/changes"): Cell("public", 200),
    ("GET", "/about/list"): Cell("public", 200),
    ("GET", "/certificates/{code:str}/card"): Cell("public", 200),  # 窗口出示卡
    ("GET", "/check/print"): Cell("public", 200, query="?name=良民证"),
    ("GET", "/poster"): Cell("public", 200, query="?size=a3"),
    ("GET", "/mode"): Cell("public", (303, "/")),  # 长辈版/标准版 switch; no next: home
    ("GET", "/changes.atom"): Cell("public", 200),
    ("GET", "/stats"): Cell("public", 200),
    ("GET", "/stats/complaints.csv"): Cell("public", 200),
    ("GET", "/static/{file_path:path}"): Cell("public", 200),
    ("GET", "/lang"): Cell("public", (303, "/")),  # the language switch, back to ?next=
    # The public API and its schema.
    ("GET", "/api/v1/summary"): Cell("public", 200),
    ("GET", "/api/v1/certificates"): Cell("public", 200),
    ("GET", "/api/v1/certificates/{code:str}"): Cell("public", 200),
    ("GET", "/api/v1/check"): Cell("public", 200, query="?name=良民证"),
    ("GET", "/api/v1/matters"): Cell("public", 200, query="?q=上户口"),
    ("GET", "/api/v1/matter"): Cell("public", 200, query="?name=新生儿出生登记（落户）"),
    ("GET", "/api/v1/departments"): Cell("public", 200),
    ("GET", "/api/v1/changes"): Cell("public", 200),
    ("GET", "/api/v1/stats"): Cell("public", 200),
    ("GET", "/api/v1/stats/verification"): Cell("public", 200),
    # The 协查 API for departments' systems: a department's Bearer token, never a session, so
    # every role here (cookies, no token) gets 401 (tests/test_verification_api.py uses tokens).
    ("GET", "/api/v1/verifications"): Cell("department_api", 401, roles=TOKEN_ONLY),
    ("POST", "/api/v1/verifications"): Cell("department_api", 401, roles=TOKEN_ONLY),
    ("GET", "/api/v1/verifications/{reference:str}"): Cell("department_api", 401, roles=TOKEN_ONLY),
    ("POST", "/api/v1/verifications/{reference:str}/receive"): Cell(
        "department_api", 401, roles=TOKEN_ONLY
    ),
    ("POST", "/api/v1/verifications/{reference:str}/answer"): Cell(
        "department_api", 401, roles=TOKEN_ONLY
    ),
    ("GET", "/api/v1/commitments/{reference:str}"): Cell("department_api", 401, roles=TOKEN_ONLY),
    ("POST", "/api/v1/commitments/{reference:str}/check"): Cell(
        "department_api", 401, roles=TOKEN_ONLY
    ),
    ("POST", "/api/v1/complaints"): Cell("public", 400),  # an empty body is not JSON
    ("GET", "/api/v1/complaints/{reference:str}"): Cell("public", 404),  # no access code
    ("GET", "/api/docs"): Cell("public", 200),
    ("GET", "/schema"): Cell("public", 200),
    ("GET", "/schema/openapi.json"): Cell("public", 200),
    ("GET", "/schema/{path:str}"): Cell("public", 404),  # "x" is no schema rendering
    # Complaints from the public.
    ("GET", "/complaints/new"): Cell("public", 200),
    ("POST", "/complaints"): Cell("public", 422),  # the form again, every field error shown
    ("GET", "/complaints/{reference:str}/receipt"): Cell("public", 200),
    ("GET", "/complaints/track"): Cell("public", 200),
    ("POST", "/complaints/track"): Cell("public", 404),  # no such reference and code
    ("POST", "/complaints/rate"): Cell("public", 404),  # the complainant's rating: no code
    # 告知承诺: the sample item is retained, its page says it has no commitment form (nothing to
    # sign: 404); a receipt without the signing browser's cookie shows the reference only.
    ("GET", "/certificates/{code:str}/commitment"): Cell("public", 200),
    ("GET", "/certificates/{code:str}/commitment/sign"): Cell("public", 200),
    ("POST", "/certificates/{code:str}/commitment/sign"): Cell("public", 404),
    ("GET", "/commitments/{reference:str}/receipt"): Cell("public", 200),
    ("GET", "/stats/commitments"): Cell("public", 200),
    # Staff sign-in.
    ("GET", "/staff/login"): Cell("public", 200),
    ("POST", "/staff/login"): Cell("public", 401),
    ("POST", "/staff/logout"): Cell("staff", (303, "/staff/login")),
    ("GET", "/staff"): Cell("staff", LOGIN_HOME, roles={"admin": (302, "/staff/users")}),
    # The complaint workflow: department B never learns a case of department A exists.
    ("GET", "/staff/complaints"): Cell("complaints", 200),
    ("GET", "/staff/complaints/{complaint_id:int}"): Cell(
        "complaints", 200, roles={"department_b": 404}
    ),
    # No `expected` status in the form: a stale page, compare-and-set refuses it.
    ("POST", "/staff/complaints/{complaint_id:int}/{action:str}"): Cell(
        "complaints", 409, roles={"department_b": 404}
    ),
    ("POST", "/staff/complaints/{complaint_id:int}/reveal"): Cell("supervisor", 422),  # no reason
    # The list, edited by the supervising office.
    ("GET", "/staff/list"): Cell("supervisor", 200),
    ("GET", "/staff/list/new"): Cell("supervisor", 200),
    ("POST", "/staff/list/new"): Cell("supervisor", 422),
    ("GET", "/staff/list/import"): Cell("supervisor", 200),
    ("POST", "/staff/list/import"): Cell("supervisor", 422),  # no file
    ("GET", "/staff/list/import/{batch:str}"): Cell("supervisor", 404),  # no batch "x"
    ("POST", "/staff/list/import/{batch:str}/apply"): Cell("supervisor", 404),
    ("GET", "/staff/list/{code:str}"): Cell("supervisor", 200),
    ("POST", "/staff/list/{code:str}"): Cell("supervisor", 409),  # no `expected` version
    # The checker's vocabulary, kept by the office (no entry "x": 404).
    ("GET", "/staff/vocabulary"): Cell("supervisor", 200),
    ("GET", "/staff/vocabulary/new"): Cell("supervisor", 200),
    ("POST", "/staff/vocabulary/new"): Cell("supervisor", 422),  # every field error at once
    ("GET", "/staff/vocabulary/{key:str}"): Cell("supervisor", 404),
    ("POST", "/staff/vocabulary/{key:str}"): Cell("supervisor", 404),
    ("POST", "/staff/vocabulary/{key:str}/retire"): Cell("supervisor", 404),
    ("GET", "/staff/licences"): Cell("supervisor", 200),
    ("GET", "/staff/licences/new"): Cell("supervisor", 200),
    ("POST", "/staff/licences/new"): Cell("supervisor", 422),
    ("GET", "/staff/licences/{key:str}"): Cell("supervisor", 404),
    ("POST", "/staff/licences/{key:str}"): Cell("supervisor", 404),
    ("POST", "/staff/licences/{key:str}/retire"): Cell("supervisor", 404),
    # The office: audit log, accounts, calendar.
    ("GET", "/staff/audit"): Cell("audit", 200),
    ("GET", "/staff/users"): Cell("admin", 200),
    ("POST", "/staff/users/{user_id:int}/{change:str}"): Cell(
        "admin", (303, "/staff/users?msg=saved")
    ),
    # Departments' API tokens, kept by the admin (token 1 does not exist: nothing to revoke).
    ("GET", "/staff/tokens"): Cell("admin", 200),
    ("POST", "/staff/tokens"): Cell("admin", 422),  # no department, no label
    ("POST", "/staff/tokens/{token_id:int}/revoke"): Cell(
        "admin", (303, "/staff/tokens?msg=unknown")
    ),
    # 部门核查 (协查), on a request from A to C: B never learns it exists (404, not 403); A
    # cannot receive what it sent (409: the page's state is not one to receive from), the
    # office's role cannot receive at all (422); only departments open requests.
    ("GET", "/staff/verification"): Cell("casework", 200),
    ("GET", "/staff/verification/new"): Cell("casework", 200, roles={"supervisor": 403}),
    ("POST", "/staff/verification/new"): Cell("casework", 422, roles={"supervisor": 403}),
    ("GET", "/staff/verification/{request_ref:str}"): Cell(
        "casework", 200, roles={"department_b": 404}
    ),
    ("POST", "/staff/verification/{request_ref:str}/{step:str}"): Cell(
        "casework", 409, roles={"supervisor": 422, "department_b": 404}
    ),
    ("GET", "/staff/verification-terms"): Cell("supervisor", 200),
    ("POST", "/staff/verification-terms"): Cell("supervisor", 422),  # no item, no unit
    ("GET", "/staff/verification-mailboxes"): Cell("supervisor", 200),
    ("POST", "/staff/verification-mailboxes"): Cell("supervisor", 422),  # no department
    # Signed 告知承诺: the department that took one and the office (no commitment "x"); the
    # office's forms (the sample item is retained: it has none).
    ("GET", "/staff/commitments"): Cell("casework", 200),
    ("GET", "/staff/commitments/{reference:str}"): Cell("casework", 404),
    ("POST", "/staff/commitments/{reference:str}/{action:str}"): Cell("casework", 404),
    ("GET", "/staff/commitment-forms"): Cell("supervisor", 200),
    ("GET", "/staff/commitment-forms/{code:str}"): Cell("supervisor", 404),
    ("POST", "/staff/commitment-forms/{code:str}"): Cell("supervisor", 404),
    ("GET", "/staff/calendar"): Cell("supervisor", 200),
    ("POST", "/staff/calendar"): Cell("supervisor", 422),
    ("POST", "/staff/calendar/notice"): Cell("supervisor", 422),
}


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
        "user_id": str(await conn.fetchval("SELECT id FROM users WHERE username = 'depb'")),
        "change": "unlock",
        # A 协查 request from department A to C, for receive: A sent it, B never sees it.
        "request_ref": (await verification_samples(conn))["xc_urged"],
        "step": "receive",
        "filename": "retained.csv",
        "file_path": "style.css",
    }
    table = {(method, path): handler for path, method, handler in routes(app)}
    undeclared = sorted(set(table) - set(MATRIX))
    assert undeclared == [], f"routes without a declared expectation in MATRIX: {undeclared}"
    assert sorted(set(MATRIX) - set(table)) == [], "MATRIX rows for routes that no longer exist"
    failures = []
    # Logout last: it ends the session the other rows need.
    for method, path in sorted(table, key=lambda r: r[1].endswith("/logout")):
        cell = MATRIX[method, path]
        policy = table[method, path].opt["policy"]
        if policy != cell.policy:
            failures.append((method, path, "policy", policy, "expected", cell.policy))
            continue
        url = fill(path, sample)
        for role in ROLES:
            want = cell.expected(role, method, url)
            r = await clients[role].request(
                method, url + cell.query, data={} if method == "POST" else None
            )
            got = (
                (r.status_code, r.headers.get("location"))
                if isinstance(want, tuple)
                else (r.status_code)
            )
            if got != want:
                failures.append((method, path, role, "got", got, "expected", want))
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
