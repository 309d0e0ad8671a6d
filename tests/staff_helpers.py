"""Shared helpers for staff tests: accounts, logged-in clients, complaints in a given state."""

from __future__ import annotations

import re
import uuid

import httpx

from registry.accounts import auth
from registry.accounts.queries import users
from registry.infra import clock

PASSWORD = "correct horse battery"
DEPT_A = "CY-BM-001"
DEPT_B = "CY-BM-002"


async def make_user(conn, username: str, role: str, department: str | None = None) -> int:
    return await users.insert_user(
        conn,
        username=username,
        display_name=username,
        password_hash=auth.hash_password(PASSWORD),
        role=role,
        department_code=department,
    )


async def csrf(client: httpx.AsyncClient) -> str:
    r = await client.get("/staff/login")
    return re.search(r'name="_csrf_token" value="([^"]+)"', r.text).group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD):
    token = await csrf(client)
    return await client.post(
        "/staff/login", data={"_csrf_token": token, "username": username, "password": password}
    )


async def post_form(client: httpx.AsyncClient, url: str, data: dict[str, str]):
    page = await client.get("/staff/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    return await client.post(url, data={"_csrf_token": token, **data})


async def filed(client: httpx.AsyncClient, department: str = DEPT_A, **over) -> tuple[str, str]:
    body = {
        "department": department,
        "certificate_name": "良民证",
        "matter": "就业",
        # China's today, as the form prefills it: always a valid demand date, in any year.
        "demanded_on": clock.today().isoformat(),
        "disclosure": "confidential",
        "contact": {"name": "王五", "phone": "13712345678", "email": "canary-staff@example.org"},
    } | over
    r = await client.post(
        "/api/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert r.status_code == 201, r.text
    return r.json()["reference"], r.json()["access_code"]


async def file_complaint(client: httpx.AsyncClient, department: str = DEPT_A, **over) -> str:
    return (await filed(client, department, **over))[0]


async def complaint_id(conn, reference: str) -> int:
    return int(await conn.fetchval("SELECT id FROM complaints WHERE reference = $1", reference))
