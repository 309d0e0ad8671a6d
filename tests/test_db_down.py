"""When PostgreSQL cannot be reached: 503 with Retry-After, and the form keeps what was typed."""

from __future__ import annotations

import logging
import re
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest

from registry.infra import clock
from registry.web.app import create_app


class DownPool:
    @asynccontextmanager
    async def acquire(self):
        raise ConnectionRefusedError(111, "Connect call failed")
        yield  # pragma: no cover


@pytest.fixture
async def down_client(settings):
    app = create_app(settings, pool=DownPool())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def test_api_answers_503_with_retry_after_in_the_error_shape(down_client):
    r = await down_client.post(
        "/api/v1/complaints",
        json={"department": "CY-BM-001", "certificate_name": "良民证"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
    assert set(r.json()) == {"status", "error", "errors"}
    assert (await down_client.get("/api/v1/summary")).status_code == 503


async def test_form_comes_back_with_everything_typed(down_client):
    page = await down_client.get("/complaints/new?certificate_name=良民证")
    assert page.status_code == 200
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    data = {
        "_csrf_token": csrf,
        "form_token": "t" * 20,
        "department": "other",
        "department_other": "某窗口",
        "certificate_name": "良民证",
        "demanded_on": clock.today().isoformat(),  # a valid date in any year
        "description": "数据库坏了也不能丢的经过",
        "disclosure": "anonymous",
    }
    r = await down_client.post("/complaints", data=data)
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
    assert "数据库坏了也不能丢的经过" in r.text and 'value="某窗口"' in r.text
    assert "您填写的内容都还在" in r.text


async def test_pages_show_a_plain_503(down_client):
    r = await down_client.get("/certificates/retained")
    assert r.status_code == 503 and "<h1>" in r.text and "Traceback" not in r.text


async def test_an_outage_logs_one_line_per_request_without_a_traceback(down_client, caplog):
    caplog.set_level(logging.DEBUG, logger="registry")
    for _ in range(5):
        r = await down_client.get("/api/v1/summary")
        assert r.status_code == 503
    page = await down_client.get("/certificates/retained")
    assert page.status_code == 503
    records = [rec for rec in caplog.records if rec.name == "registry"]
    assert len(records) == 6, [rec.getMessage() for rec in records]
    assert all(rec.levelno == logging.WARNING and rec.exc_info is None for rec in records)
    assert "Traceback" not in caplog.text and "ConnectionRefusedError" in caplog.text
