"""Filing survives PostgreSQL restarts: no acknowledged complaint lost, none duplicated, no 500.

    REGISTRY_HOME=/tmp/bench-durability uv run python bench/durability.py \
        [--clients 50] [--filings 2400] [--workers 1] [--timeout 300]

Many concurrent clients file complaints through POST /api/v1/complaints, each with its own
Idempotency-Key, and retry the same key and body on any error, 5xx or dropped connection until
they get 201. Meanwhile PostgreSQL is restarted twice: `pg_ctl restart -m fast`, then
`-m immediate` (a crash: recovery from WAL). Afterwards the database must hold every
acknowledged reference exactly once, one complaint per key, no complaint twice (each body is
unique), each with its contact, its `submitted` event and its audit row; and no response may
have been a 500 (503 during the outage is expected).

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
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import _harness as h

TODAY = dt.date.today().isoformat()


def body(key: str) -> dict[str, Any]:
    """As tests/test_complaints.py body(), with the key in the description: every body unique."""
    return {
        "department": "CY-BM-001",
        "certificate_name": "良民证",
        "matter": "就业",
        "demanded_on": TODAY,
        "place": "政务服务中心 3 号窗口",
        "description": f"窗口要求开无犯罪证明 [durability {key}]",
        "disclosure": "confidential",
        "contact": {"name": "张三", "phone": "13900001234", "email": "bench@example.org"},
    }


@dataclasses.dataclass
class Stats:
    target: int
    started: int = 0  # filings begun (keys handed out)
    acked: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> reference (201)
    replayed: int = 0  # 201s carrying idempotent-replayed: the first attempt had committed
    gave_up: list[str] = dataclasses.field(default_factory=list)
    statuses: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    exceptions: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    bodies_500: list[str] = dataclasses.field(default_factory=list)
    unexpected: list[str] = dataclasses.field(default_factory=list)  # 4xx other than 429
    retried_filings: int = 0
    max_attempts: int = 0
    events: list[str] = dataclasses.field(default_factory=list)
    t0: float = dataclasses.field(default_factory=time.monotonic)

    def log(self, msg: str) -> None:
        line = f"[{time.monotonic() - self.t0:6.2f}s] {msg}"
        self.events.append(line)
        print(line, file=sys.stderr, flush=True)


async def file_one(
    client: httpx.AsyncClient, key: str, stats: Stats, deadline: float, max_attempts: int
) -> None:
    payload = body(key)
    headers = {"Idempotency-Key": key}
    for attempt in range(1, max_attempts + 1):
        try:
            r = await client.post("/api/v1/complaints", json=payload, headers=headers)
        except httpx.HTTPError as exc:  # connection refused/reset, timeout: retry the same key
            stats.exceptions[type(exc).__name__] += 1
        else:
            stats.statuses[r.status_code] += 1
            if r.status_code == 201:
                stats.acked[key] = r.json()["reference"]
                stats.replayed += r.headers.get("idempotent-replayed") == "true"
                stats.max_attempts = max(stats.max_attempts, attempt)
                stats.retried_filings += attempt > 1
                return
            if r.status_code >= 500 and r.status_code != 503:
                stats.bodies_500.append(f"{r.status_code} {r.text[:300]}")
            elif 400 <= r.status_code < 500 and r.status_code != 429:
                stats.unexpected.append(f"{key}: {r.status_code} {r.text[:300]}")
                return  # the request itself is wrong (e.g. 422 key conflict): retrying is futile
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) * random.uniform(0.5, 1.0))
    stats.gave_up.append(key)


async def client_loop(base: str, cid: int, run: str, stats: Stats, stop_at: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        n = 0
        while stats.started < stats.target and time.monotonic() < stop_at:
            stats.started += 1
            n += 1
            key = f"dur-{run}-{cid:03d}-{n:05d}"
            await file_one(client, key, stats, min(stop_at, time.monotonic() + 90), 60)


async def drive(base: str, server: Any, args: argparse.Namespace, run: str) -> tuple[Stats, Any]:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # else one INFO line per request
    stats = Stats(target=args.filings)
    stop_at = time.monotonic() + args.timeout
    done = asyncio.Event()
    # At 25% and 60% of the target acknowledged: restart -m fast, then -m immediate.
    plan = (("fast", 0.25), ("immediate", 0.60))
    restarts = asyncio.create_task(
        h.restart_at(server, plan, stats.acked, stats.target, stats.log, done)
    )

    async def progress() -> None:
        while not done.is_set():
            await asyncio.sleep(2)
            codes = dict(sorted(stats.statuses.items()))
            stats.log(f"acked {len(stats.acked)}/{stats.target}, statuses {codes}, "
                      f"errors {dict(stats.exceptions)}")  # fmt: skip

    ticker = asyncio.create_task(progress())
    t = time.perf_counter()
    await asyncio.gather(*(client_loop(base, i, run, stats, stop_at) for i in range(args.clients)))
    elapsed = time.perf_counter() - t
    done.set()
    outages = await restarts
    ticker.cancel()
    return stats, (elapsed, outages)


async def verify(dsn: str, run: str, stats: Stats) -> list[tuple[str, bool, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, reference, idempotency_key, description FROM complaints"
            " WHERE idempotency_key LIKE $1",
            f"dur-{run}-%",
        )
        by_key_dupes = await conn.fetchval(
            "SELECT count(*) FROM (SELECT idempotency_key FROM complaints WHERE idempotency_key"
            " LIKE $1 GROUP BY 1 HAVING count(*) > 1) d",
            f"dur-{run}-%",
        )
        # Same body filed twice, whatever the key: the description carries the key.
        by_body_dupes = await conn.fetchval(
            "SELECT count(*) FROM (SELECT description FROM complaints WHERE description LIKE $1"
            " GROUP BY 1 HAVING count(*) > 1) d",
            f"%[durability dur-{run}-%",
        )
        rows_by_ref = await conn.fetch(
            "SELECT reference, count(*) AS n FROM complaints WHERE reference = ANY($1) GROUP BY 1",
            list(stats.acked.values()),
        )
        ref_counts: dict[str, int] = {r["reference"]: r["n"] for r in rows_by_ref}
        ids = [r["id"] for r in rows]
        refs = [r["reference"] for r in rows]
        contacts = await conn.fetchval(
            "SELECT count(*) FROM complaint_contacts WHERE complaint_id = ANY($1)", ids
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM complaint_events WHERE complaint_id = ANY($1)"
            " AND kind = 'submitted'",
            ids,
        )
        audits = await conn.fetchval(
            "SELECT count(*) FROM audit_log"
            " WHERE action = 'complaint.file' AND entity_id = ANY($1)",
            refs,
        )
    finally:
        await conn.close()
    db = {r["idempotency_key"]: r["reference"] for r in rows}
    missing = [k for k in stats.acked if k not in db]
    changed = [k for k, ref in stats.acked.items() if k in db and db[k] != ref]
    not_once = {ref: n for ref in stats.acked.values() if (n := ref_counts.get(ref, 0)) != 1}
    orphans = [k for k in db if k not in stats.acked]  # committed, never acknowledged
    n500 = sum(n for code, n in stats.statuses.items() if code >= 500 and code != 503)
    return [
        (f"filings acknowledged >= 2000 ({len(stats.acked)})", len(stats.acked) >= 2000, ""),
        ("every filing acknowledged (none gave up)", not stats.gave_up, str(stats.gave_up[:5])),
        ("no unexpected 4xx (e.g. 422 key conflict)", not stats.unexpected,
         "\n    ".join(stats.unexpected[:5])),
        ("every acknowledged reference in the database exactly once", not missing and not not_once,
         f"missing {missing[:5]}, counts {list(not_once.items())[:5]}"),
        ("acknowledged reference = stored reference for its key", not changed, str(changed[:5])),
        ("one complaint per idempotency key", by_key_dupes == 0, f"{by_key_dupes} keys"),
        ("no complaint stored twice (same body)", by_body_dupes == 0, f"{by_body_dupes} bodies"),
        ("complaints of this run = acknowledged filings (no orphans)",
         len(rows) == len(stats.acked), f"{len(rows)} stored, orphans {orphans[:5]}"),
        ("each with its contact, submitted event and audit row (one transaction)",
         contacts == events == audits == len(rows),
         f"{len(rows)} complaints, {contacts} contacts, {events} events, {audits} audit rows"),
        (f"HTTP 500 responses = 0 ({n500})", n500 == 0, "\n    ".join(stats.bodies_500[:5])),
    ]  # fmt: skip


def tracebacks(log_text: str, refs: list[str]) -> dict[str, str]:
    """For the 500s' reference numbers: final exception line -> one full traceback."""
    blocks = re.split(r"\n(?=(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) - )", log_text)
    out: dict[str, str] = {}
    for ref in refs:
        for block in blocks:
            if f"error {ref} on" in block:
                top = [ln for ln in block.strip().splitlines() if ln and ln[0] not in " ^"]
                exc = [ln for ln in top if re.match(r"[\w.]+(Error|Exception)\b", ln)]
                last = (exc or top)[-1]
                out.setdefault(last, block.strip())
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    p.add_argument("--filings", type=int, default=2400, help="complaints to file (2400)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    p.add_argument("--timeout", type=float, default=300, help="abort filing after S seconds")
    p.add_argument("--log", type=Path, default=None, help="keep the server log here")
    args = p.parse_args(argv)

    home = h.restartable_home()
    run = uuid.uuid4().hex[:8]
    log_path = args.log or home / f"durability-{run}.log"
    flags = list(h.UVICORN_FLAGS)
    flags[flags.index("--workers") + 1] = str(args.workers)

    with h.embedded_database() as (dsn, server):
        info = h.versions(dsn)
        env = {
            "DATABASE_URL": dsn,
            "REGISTRY_HOME": str(home),
            "REGISTRY_FILING_LIMIT": "1000000/60",
        }
        with h.serve(
            "registry.web.app:app_from_env", factory=True, env=env, log_path=log_path, flags=flags
        ) as base:
            print(f"# bench/durability.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}  run {run}")
            for k, v in info.items():
                print(f"#   {k}: {v}")
            print(f"#   {args.clients} clients, {args.filings} filings, uvicorn "
                  f"{' '.join(flags)}; server log {log_path}", flush=True)  # fmt: skip
            stats, (elapsed, outages) = asyncio.run(drive(base, server, args, run))
        checks = asyncio.run(verify(dsn, run, stats))

    restarted = {mode for mode, _ in outages}
    checks.insert(0, ("PostgreSQL restarted -m fast and -m immediate mid-run",
                      restarted == {"fast", "immediate"}, str(outages)))  # fmt: skip
    codes = dict(sorted(stats.statuses.items()))
    print(f"filed {len(stats.acked)} in {elapsed:.1f} s ({len(stats.acked) / elapsed:,.0f}/s); "
          f"restarts: " + ", ".join(f"-m {m} {s:.2f} s" for m, s in outages))  # fmt: skip
    print(f"responses by status {codes}; client-side errors {dict(stats.exceptions)}")
    print(f"filings that needed a retry {stats.retried_filings}, most attempts for one "
          f"{stats.max_attempts}, acknowledged as replays {stats.replayed}")  # fmt: skip
    for name, ok, detail in checks:
        print(
            f"  {'ok  ' if ok else 'FAIL'} {name}"
            + (f"\n    {detail}" if not ok and detail else "")
        )
    refs = [m[1] for b in stats.bodies_500 if (m := re.search(r"参考编号 ([0-9a-f]+)", b))]
    if tbs := tracebacks(log_path.read_text(errors="replace"), refs):
        print(f"server log {log_path}: the 500s end in {len(tbs)} distinct exception(s):")
        for last, tb in tbs.items():
            print(f"  --- {last}\n  " + "\n  ".join(tb.splitlines()[-30:]))
    passed = all(ok for _, ok, _ in checks)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
