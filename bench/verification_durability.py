"""协查 through the API survives PostgreSQL restarts: no acknowledged request or answer lost,
none duplicated, no 500.

    REGISTRY_HOME=/tmp/bench-vdur uv run python bench/verification_durability.py \
        [--clients 20] [--requests 600] [--timeout 300]

Department A's system (a Bearer token) opens requests to department B through
POST /api/v1/verifications, each with its own Idempotency-Key, retrying the same key and body on
any error, 5xx or dropped connection until it gets 201. Department B's system (its own token)
then receives and answers each acknowledged request (POST …/receive, POST …/answer with
`expected`), retrying likewise; a 409 on a retry is resolved by reading the request: if it
already holds this client's answer, the first attempt had committed (acknowledged), anything
else is a failure. Meanwhile PostgreSQL is restarted three times: `pg_ctl restart -m fast`,
`-m immediate` (a crash: recovery from WAL), `-m fast` again. Afterwards the database must hold
every acknowledged request exactly once (one per key, no orphans), each acknowledged answer
exactly as sent, one open, receive and answer event and audit row per request; no 500.

This RESTARTS the embedded PostgreSQL of REGISTRY_HOME: point REGISTRY_HOME at a scratch
directory (the script refuses the project's shared `.registry/`). DATABASE_URL is ignored.
Loopback only; bounded by --timeout; exits 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime as dt
import logging
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import _harness as h

A, B = "CY-BM-001", "CY-BM-002"
URL = "/api/v1/verifications"
RESULTS = ("confirmed", "not_confirmed", "no_record", "not_ours")
RESTARTS = (("fast", 0.2), ("immediate", 0.45), ("fast", 0.7))  # share of answers acknowledged


def form(key: str) -> dict[str, str]:
    """As tests/verification_helpers.FORM, the key as the case number: every body unique."""
    return {
        "code": "CY-ZM-010",
        "to_department": B,
        "matter": "办理低保",
        "case_ref": key,
        "question": "申请人与张四是否为父子关系",
        "applicant": "张三丰 410102199001011234",
    }


@dataclasses.dataclass
class Stats:
    target: int
    started: int = 0
    created: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> reference
    answered: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    replayed: int = 0  # 201s with idempotent-replayed: the first attempt had committed
    resolved_409: int = 0  # a retried step found already done by its first attempt
    gave_up: list[str] = dataclasses.field(default_factory=list)
    statuses: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    exceptions: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    bodies_500: list[str] = dataclasses.field(default_factory=list)
    unexpected: list[str] = dataclasses.field(default_factory=list)
    t0: float = dataclasses.field(default_factory=time.monotonic)

    def log(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.2f}s] {msg}", file=sys.stderr, flush=True)


async def call(
    client: httpx.AsyncClient, stats: Stats, method: str, url: str, deadline: float, **kw: Any
) -> httpx.Response | None:
    """Until an answer that is not an outage (503, 429, a dropped connection); None past the
    deadline."""
    for attempt in range(1, 200):
        try:
            r = await client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            stats.exceptions[type(exc).__name__] += 1
        else:
            stats.statuses[r.status_code] += 1
            if r.status_code >= 500 and r.status_code != 503:
                stats.bodies_500.append(f"{method} {url}: {r.status_code} {r.text[:300]}")
            elif r.status_code not in (429, 503):
                return r
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) * random.uniform(0.5, 1.0))
    return None


async def one(a: httpx.AsyncClient, b: httpx.AsyncClient, key: str, n: int, stats: Stats) -> None:
    deadline = time.monotonic() + 120
    r = await call(
        a, stats, "POST", URL, deadline, json=form(key), headers={"Idempotency-Key": key}
    )
    if r is None or r.status_code != 201:
        (stats.gave_up if r is None else stats.unexpected).append(
            f"{key} create: {r.status_code if r else 'timeout'} {r.text[:200] if r else ''}"
        )
        return
    ref = r.json()["reference"]
    stats.created[key] = ref
    stats.replayed += r.headers.get("idempotent-replayed") == "true"
    result, note = RESULTS[n % 4], f"答复 {key}"
    for step, body, done in [
        ("receive", {"expected": "pending"}, lambda j: j["status"] in ("received", "answered")),
        (
            "answer",
            {"result": result, "note": note, "expected": "received"},
            lambda j: (j["status"], j["result"], j["note"]) == ("answered", result, note),
        ),
    ]:
        r = await call(b, stats, "POST", f"{URL}/{ref}/{step}", deadline, json=body)
        if r is not None and r.status_code == 409:  # a retry after a commit we never heard of
            seen = await call(b, stats, "GET", f"{URL}/{ref}", deadline)
            if seen is not None and seen.status_code == 200 and done(seen.json()):
                stats.resolved_409 += 1
                continue
        if r is None or r.status_code != 200:
            (stats.gave_up if r is None else stats.unexpected).append(
                f"{key} {step}: {r.status_code if r else 'timeout'} {r.text[:200] if r else ''}"
            )
            return
    stats.answered[ref] = (result, note)


async def client_loop(base: str, tokens: dict[str, str], cid: int, run: str, stats: Stats) -> None:
    def client(token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base, timeout=15, headers={"authorization": f"Bearer {token}"}
        )

    async with client(tokens[A]) as a, client(tokens[B]) as b:
        n = 0
        while stats.started < stats.target:
            stats.started += 1
            n += 1
            await one(a, b, f"vdur-{run}-{cid:03d}-{n:05d}", n, stats)


async def drive(
    base: str, server: Any, tokens: dict[str, str], args: argparse.Namespace, run: str
) -> tuple[Stats, float, list[tuple[str, float]]]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stats = Stats(target=args.requests)
    done = asyncio.Event()
    restarts = asyncio.create_task(
        h.restart_at(server, RESTARTS, stats.answered, stats.target, stats.log, done)
    )

    async def progress() -> None:
        while not done.is_set():
            await asyncio.sleep(2)
            stats.log(f"created {len(stats.created)}, answered {len(stats.answered)}/"
                      f"{stats.target}, statuses {dict(sorted(stats.statuses.items()))}, "
                      f"errors {dict(stats.exceptions)}")  # fmt: skip

    ticker = asyncio.create_task(progress())
    t = time.perf_counter()
    loops = [client_loop(base, tokens, i, run, stats) for i in range(args.clients)]
    await asyncio.wait_for(asyncio.gather(*loops), args.timeout)
    elapsed = time.perf_counter() - t
    done.set()
    outages = await restarts
    ticker.cancel()
    return stats, elapsed, outages


async def issue_tokens(dsn: str) -> dict[str, str]:
    from registry.accounts import tokens
    from registry.infra.db import connect

    conn = await connect(dsn)  # with the project's JSON codecs (the audit row)
    try:
        return {
            d: (await tokens.issue(conn, department=d, label="durability bench", actor="bench"))[1]
            for d in (A, B)
        }
    finally:
        await conn.close()


async def verify(dsn: str, run: str, stats: Stats) -> list[tuple[str, bool, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, reference, idempotency_key, case_ref, status, result, note"
            " FROM verification_requests WHERE case_ref LIKE $1",
            f"vdur-{run}-%",
        )
        ids = [r["id"] for r in rows]
        refs = [r["reference"] for r in rows]
        events = await conn.fetch(
            "SELECT kind, count(*) AS n, count(DISTINCT request_id) AS requests"
            " FROM verification_events WHERE request_id = ANY($1) GROUP BY kind",
            ids,
        )
        audits = await conn.fetch(
            "SELECT action, count(*) AS n, count(DISTINCT entity_id) AS requests FROM audit_log"
            " WHERE entity = 'verification' AND entity_id = ANY($1) GROUP BY action",
            refs,
        )
    finally:
        await conn.close()
    by_key = collections.Counter(r["idempotency_key"] for r in rows)
    by_case = collections.Counter(r["case_ref"] for r in rows)
    db = {r["idempotency_key"]: r for r in rows}
    missing = [k for k in stats.created if k not in db]
    changed = [k for k, ref in stats.created.items() if k in db and db[k]["reference"] != ref]
    orphans = [k for k in db if k not in stats.created]
    by_ref = {r["reference"]: r for r in rows}
    lost = [
        ref
        for ref, (result, note) in stats.answered.items()
        if (by_ref[ref]["status"], by_ref[ref]["result"], by_ref[ref]["note"])
        != ("answered", result, note)
    ]
    ev = {e["kind"]: (e["n"], e["requests"]) for e in events}
    au = {a["action"]: (a["n"], a["requests"]) for a in audits}
    n = len(rows)
    n_ans = len(stats.answered)
    n500 = sum(c for code, c in stats.statuses.items() if code >= 500 and code != 503)
    return [
        ("every request created and answered (none gave up)", not stats.gave_up,
         str(stats.gave_up[:5])),
        ("no unexpected 4xx", not stats.unexpected, "\n    ".join(stats.unexpected[:5])),
        ("every acknowledged request in the database, with its acknowledged reference",
         not missing and not changed, f"missing {missing[:5]}, changed {changed[:5]}"),
        ("one request per idempotency key and per body", max(by_key.values(), default=1) == 1
         and max(by_case.values(), default=1) == 1, ""),
        ("requests of this run = acknowledged creations (no orphans)", not orphans,
         str(orphans[:5])),
        (f"every acknowledged answer stored as sent ({n_ans})", not lost, str(lost[:5])),
        ("one open/receive/answer event per request",
         ev.get("open") == (n, n) and ev.get("receive") == (n_ans, n_ans)
         and ev.get("answer") == (n_ans, n_ans), str(ev)),
        ("one audit row per step",
         au.get("verification.open") == (n, n) and au.get("verification.receive") == (n_ans, n_ans)
         and au.get("verification.answer") == (n_ans, n_ans), str(au)),
        (f"HTTP 500 responses = 0 ({n500})", n500 == 0, "\n    ".join(stats.bodies_500[:5])),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=20, help="concurrent client pairs (20)")
    p.add_argument("--requests", type=int, default=600, help="requests to open and answer (600)")
    p.add_argument("--timeout", type=float, default=300, help="abort after S seconds")
    p.add_argument("--log", type=Path, default=None, help="keep the server log here")
    args = p.parse_args(argv)

    home = h.restartable_home()
    run = uuid.uuid4().hex[:8]
    log_path = args.log or home / f"verification-durability-{run}.log"

    with h.embedded_database() as (dsn, server):
        info = h.versions(dsn)
        tokens = asyncio.run(issue_tokens(dsn))
        env = {"DATABASE_URL": dsn, "REGISTRY_HOME": str(home)}
        with h.serve(
            "registry.web.app:app_from_env", factory=True, env=env, log_path=log_path
        ) as base:
            now = dt.datetime.now(dt.UTC)
            print(f"# bench/verification_durability.py  {now:%Y-%m-%d %H:%M UTC}  run {run}")
            for k, v in info.items():
                print(f"#   {k}: {v}")
            print(f"#   {args.clients} client pairs, {args.requests} requests; "
                  f"server log {log_path}", flush=True)  # fmt: skip
            stats, elapsed, outages = asyncio.run(drive(base, server, tokens, args, run))
        checks = asyncio.run(verify(dsn, run, stats))

    modes = [m for m, _ in outages]
    checks.insert(0, ("PostgreSQL restarted -m fast, -m immediate, -m fast mid-run",
                      modes == [m for m, _ in RESTARTS], str(outages)))  # fmt: skip
    print(f"opened {len(stats.created)} and answered {len(stats.answered)} in {elapsed:.1f} s; "
          "restarts: " + ", ".join(f"-m {m} {s:.2f} s" for m, s in outages))  # fmt: skip
    print(f"responses by status {dict(sorted(stats.statuses.items()))}; "
          f"client-side errors {dict(stats.exceptions)}")  # fmt: skip
    print(f"creations acknowledged as replays {stats.replayed}; steps found already done "
          f"after a retry (409 resolved by reading) {stats.resolved_409}")  # fmt: skip
    for name, ok, detail in checks:
        print(
            f"  {'ok  ' if ok else 'FAIL'} {name}"
            + (f"\n    {detail}" if not ok and detail else "")
        )
    passed = all(ok for _, ok, _ in checks)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
