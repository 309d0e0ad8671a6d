"""One clock in China's zone: on a UTC host at 01:00 Beijing, "today" is Beijing's date."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from registry.infra import clock

# 2026-12-01 17:00 UTC is 2026-12-02 01:00 in Beijing: the host's date is a day behind.
UTC_EVENING = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
BEIJING_DAY = "2026-12-02"


@pytest.fixture
def beijing_small_hours(monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: UTC_EVENING)
    monkeypatch.setenv("TZ", "UTC")


def test_today_is_beijing_date(beijing_small_hours):
    assert clock.today().isoformat() == BEIJING_DAY
    assert clock.now().utcoffset() == dt.timedelta(hours=8)
    assert clock.local(UTC_EVENING).hour == 1


async def test_summary_uses_beijing_date(client, beijing_small_hours):
    r = await client.get("/api/v1/summary")
    assert r.status_code == 200
    assert r.json()["as_of"] == BEIJING_DAY


async def test_complaint_demanded_today_in_beijing_is_accepted(client, beijing_small_hours):
    form = await client.get("/complaints/new")
    assert f'value="{BEIJING_DAY}"' in form.text  # the date field defaults to Beijing's today
    payload = {
        "department": "CY-BM-001",
        "certificate_name": "良民证",
        "demanded_on": BEIJING_DAY,
        "disclosure": "anonymous",
        "contact": None,
    }
    r = await client.post(
        "/api/v1/complaints", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert r.status_code == 201, r.text
    assert r.json()["reference"][2:10] == BEIJING_DAY.replace("-", "")


def test_no_host_clock_in_code():
    """Every date in the code comes from registry.infra.clock, never the host's zone."""
    host_clock = re.compile(r"date\.today\(\)|datetime\.now\(\)|datetime\.today\(\)|localtime\(")
    root = Path(__file__).resolve().parents[1] / "registry"
    offenders = [
        f"{p.relative_to(root)}:{n}"
        for p in root.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if host_clock.search(line)
    ]
    assert offenders == []
