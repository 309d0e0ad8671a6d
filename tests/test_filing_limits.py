"""The filing limit: an exact replay answers past it and costs nothing; a filing costs one hit."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from registry.complaints import cases
from registry.infra.db import SingleConnectionPool
from registry.web.app import create_app
from tests.test_complaints import body, file, form_data, form_page

LIMIT = 3


@pytest.fixture
def app(conn, settings):  # type: ignore[no-untyped-def]
    # An hour's window: a test never straddles two windows (10/600 s would, now and then).
    limited = msgspec.structs.replace(settings, filing_limit=(LIMIT, 3600))
    return create_app(limited, pool=SingleConnectionPool(conn))


async def hits(conn) -> int:  # type: ignore[no-untyped-def]
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(hits), 0) FROM rate_limits WHERE bucket LIKE 'file:%'"
        )
    )


async def test_a_replay_past_the_limit_gets_the_original_receipt_and_costs_no_hit(client, conn):
    keys = [str(uuid.uuid4()) for _ in range(LIMIT)]
    receipts = []
    for key in keys:
        r = await file(client, body(), key)
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        receipts.append(r.json())
    assert (await file(client, body())).status_code == 429  # the limit holds for new filings
    assert await hits(conn) == LIMIT + 1
    for key, receipt in zip(keys, receipts, strict=True):
        again = await file(client, body(), key)
        assert again.status_code == 201, again.text
        assert again.json() == receipt and again.headers["idempotent-replayed"] == "true"
    assert await hits(conn) == LIMIT + 1  # replays counted nothing
    n = await conn.fetchval("SELECT count(*) FROM complaints WHERE idempotency_key = ANY($1)", keys)
    assert n == LIMIT


async def test_a_form_resubmitted_past_the_limit_shows_its_receipt(client, conn):
    _, csrf, token = await form_page(client)
    first = await client.post("/complaints", data=form_data(csrf, token))
    assert first.status_code == 303
    for _ in range(LIMIT - 1):
        assert (await file(client, body())).status_code == 201
    assert (await file(client, body())).status_code == 429
    again = await client.post("/complaints", data=form_data(csrf, token))
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert await hits(conn) == LIMIT + 1


async def test_reference_redraws_cost_no_hits(client, conn, monkeypatch):
    taken = (await file(client, body())).json()["reference"]
    draws = iter([taken, taken, taken, "TS20990101-ZZZZZ"])
    monkeypatch.setattr(cases, "new_reference", lambda today: next(draws))
    r = await file(client, body())
    assert r.status_code == 201 and r.json()["reference"] == "TS20990101-ZZZZZ"
    assert await hits(conn) == 2  # two filings, four draws for the second
    # The last filing the limit allows still files, however many draws it takes.
    draws = iter([taken, taken, "TS20990101-YYYYY"])
    r = await file(client, body())
    assert r.status_code == 201 and r.json()["reference"] == "TS20990101-YYYYY"
    assert await hits(conn) == LIMIT


async def test_a_reused_key_with_another_body_costs_a_hit_and_is_429_past_the_limit(client, conn):
    key = str(uuid.uuid4())
    assert (await file(client, body(), key)).status_code == 201
    other = await file(client, body(matter="别的事"), key)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await hits(conn) == 2
    assert (await file(client, body())).status_code == 201  # the limit reached
    past = await file(client, body(matter="别的事"), key)
    assert past.status_code == 429  # past the limit a prober learns nothing about the key
    replay = await file(client, body(), key)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
