"""Shared helpers for the 告知承诺 tests: an item with a form, a canary ID number, signing."""

from __future__ import annotations

import re

import httpx

from registry.commitments.models import id_number_valid

CODE = "CY-ZM-017"  # 婚姻状况证明（村居出具）: abolished, 申请人书面承诺 (seeded form)
DEPT_A = "CY-BM-001"


def with_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    number = first17 + "10X98765432"[total % 11]
    assert id_number_valid(number)
    return number


# Never to appear on a public page, a list, an export or a log; only on the clerk's detail.
CANARY_ID = with_check_digit("41072819900307123")
CANARY_NAME = "金丝雀"
CANARY_PHONE = "13912345678"


async def form_token(client: httpx.AsyncClient, code: str = CODE) -> str:
    r = await client.get(f"/certificates/{code}/commitment/sign")
    assert r.status_code == 200, r.text[:300]
    return re.search(r'name="_csrf_token" value="([^"]+)"', r.text).group(1)


async def sign(client: httpx.AsyncClient, code: str = CODE, **over: str) -> httpx.Response:
    data = {
        "department": DEPT_A,
        "matter": "办理不动产登记",
        "name": CANARY_NAME,
        "id_number": CANARY_ID,
        "phone": CANARY_PHONE,
        "pledge": "yes",
    } | over
    token = await form_token(client, code)
    return await client.post(
        f"/certificates/{code}/commitment/sign", data={"_csrf_token": token, **data}
    )


async def signed_reference(client: httpx.AsyncClient, **over: str) -> str:
    r = await sign(client, **over)
    assert r.status_code == 303, r.text[:500]
    return r.headers["location"].split("/")[2]


async def sign_directly(conn, count: int, code: str = CODE, department: str = DEPT_A) -> list[str]:  # type: ignore[no-untyped-def]
    """count commitments signed through the query (no rate limit), for figures."""
    from registry.commitments.models import SignIn
    from registry.commitments.queries import forms, signed
    from registry.infra import clock

    form = await forms.current(conn, code, clock.today())
    assert form is not None
    signer = SignIn(department, "办理不动产登记", CANARY_NAME, CANARY_ID, "")
    return [
        await signed.sign(
            conn,
            form_id=form.id,
            code=code,
            signer=signer,
            signed_at=clock.now(),
            check_due=clock.today(),
        )
        for _ in range(count)
    ]


async def commitment_samples(conn, anonymous: httpx.AsyncClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """For the translated-pages test: one commitment signed on the page (the receipt cookie
    stays with the anonymous client), one checked 不实 by the department, and enough for the
    public figures to show the item."""
    from registry.accounts.models import Role, StaffUser
    from registry.commitments import checks

    reference = await signed_reference(anonymous)
    refs = await sign_directly(conn, 5)
    dep_id = await conn.fetchval("SELECT id FROM users WHERE username = 'depa'")
    dep = StaffUser(
        id=dep_id, username="depa", display_name="d", role=Role.DEPARTMENT, department_code=DEPT_A
    )
    checked = await conn.fetchval("SELECT id FROM commitments WHERE reference = $1", refs[0])
    form = {"result": "untrue", "note": "经核查，婚姻状况与承诺不符"}
    await checks.record_check(conn, checked, "check", dep, expected="signed", form=form)
    return {"cn_ref": reference, "cn_checked": refs[0]}
