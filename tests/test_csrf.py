"""CSRF tokens of staff sessions are bound to the session: a valid token minted anywhere else
(an attacker's own cookie and form pair, another session's) is refused on staff forms."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar.middleware.csrf import generate_csrf_token

from registry.accounts import auth
from tests.staff_helpers import complaint_id, file_complaint, login, make_user, post_form

SECRET = "test-secret"  # conftest's settings.secret_key, the CSRF secret of the test app


@pytest.fixture
async def jar(app):
    """Clients with a given cookie jar, closed at the end."""
    made: list[httpx.AsyncClient] = []

    def client(cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=cookies
        )
        made.append(c)
        return c

    yield client
    for c in made:
        await c.aclose()


async def logged_in(jar, conn, username: str, role: str = "supervisor") -> httpx.AsyncClient:
    await make_user(conn, username, role)
    c = jar()
    assert (await login(c, username)).status_code == 303
    return c


def form_token(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_login_sets_the_sessions_own_token(conn, jar):
    c = jar()
    before = form_token((await c.get("/staff/login")).text)
    await make_user(conn, "sup", "supervisor")
    r = await login(c, "sup")
    session = r.cookies[auth.COOKIE]
    assert r.cookies["csrftoken"] == auth.session_csrf_token(SECRET, session) != before
    page = await c.get("/staff/complaints")
    assert form_token(page.text) == r.cookies["csrftoken"]


async def test_an_attackers_own_token_pair_is_refused_with_the_victims_session(conn, jar):
    victim = await logged_in(jar, conn, "sup")
    ref = await file_complaint(victim)
    cid = await complaint_id(conn, ref)
    events = "SELECT count(*) FROM complaint_events WHERE complaint_id = $1"
    before = await conn.fetchval(events, cid)
    planted = generate_csrf_token(SECRET)  # valid for Litestar's double-submit check
    forged = jar({auth.COOKIE: victim.cookies[auth.COOKIE], "csrftoken": planted})
    r = await forged.post(
        f"/staff/complaints/{cid}/note",
        data={"_csrf_token": planted, "expected": "submitted", "note": "forged"},
    )
    assert r.status_code == 403
    assert await conn.fetchval(events, cid) == before
    r = await forged.post("/staff/logout", data={"_csrf_token": planted})
    assert r.status_code == 403
    assert (await victim.get("/staff/complaints")).status_code == 200  # still logged in


async def test_another_sessions_token_is_refused(conn, jar):
    victim = await logged_in(jar, conn, "sup")
    attacker = await logged_in(jar, conn, "sup2")
    theirs = attacker.cookies["csrftoken"]
    forged = jar({auth.COOKIE: victim.cookies[auth.COOKIE], "csrftoken": theirs})
    r = await forged.post("/staff/logout", data={"_csrf_token": theirs})
    assert r.status_code == 403
    r = await forged.post("/staff/logout", headers={"x-csrftoken": theirs})
    assert r.status_code == 403


async def test_the_pages_own_token_works(conn, jar):
    c = await logged_in(jar, conn, "sup")
    r = await post_form(c, "/staff/logout", {})
    assert r.status_code == 303 and r.headers["location"] == "/staff/login"


async def test_a_planted_cookie_is_replaced_by_the_next_staff_page(conn, jar):
    victim = await logged_in(jar, conn, "sup")
    session = victim.cookies[auth.COOKIE]
    planted = generate_csrf_token(SECRET)
    c = jar({auth.COOKIE: session, "csrftoken": planted})
    page = await c.get("/staff/complaints")
    own = auth.session_csrf_token(SECRET, session)
    assert form_token(page.text) == own and page.cookies["csrftoken"] == own
    r = await c.post("/staff/logout", data={"_csrf_token": own})
    assert r.status_code == 303


async def test_public_forms_keep_the_double_submit_token(jar):
    anonymous = jar()
    token = form_token((await anonymous.get("/complaints/track")).text)
    r = await anonymous.post(
        "/complaints/track", data={"_csrf_token": token, "reference": "X", "access_code": "Y"}
    )
    assert r.status_code == 404  # checked and not found, not refused as forged
