"""A worker's memory under hostile and heavy questions (issue 10, H2 and past-date indexes).

    uv run python bench/memory.py [--part a|b|both] [--quick] [--synthetic-size N]

(a) Junk: CHECKS requests to /api/v1/check, each a new question (4 random CJK characters) with
    a random 60 KB junk parameter, then PAGES distinct pages (/certificates/abolished?q=<random>),
    against one worker on the seed list; the worker's RSS before and after. Target: < 300 MB.
(b) Other dates: on the 200,000-item synthetic list (bench/synthetic.py, loaded as bench/check.py
    does) plus 101 added items, each taking effect on its own date: 100 past dates with 100
    distinct lists (the 101st is today's). 100 questions, one per date, sent at once (each
    from its own 127.0.x.y address), while wrk asks today's /api/v1/check about 20,000
    different names (no answer cache) from 10 connections until the 100 are answered.
    Targets: worker RSS < 300 MB throughout (sampled every 0.25 s), today's p99 < 1 s. The
    statuses of the 100 are reported (200, or 503 beyond registry/pastdates.Gate's bounds).

Database: DATABASE_URL, else the embedded PostgreSQL in REGISTRY_HOME (use a scratch one). Part
(b) loads a database of its own, registry_memdates<N>, kept for later runs. Loopback only;
every server and load run is bounded and stopped. A benchmark: exits 0 unless the harness
fails, prints PASS/FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from bench import _harness as h
from bench import check as bc

TARGET_RSS_MB, TARGET_P99_MS = 300.0, 1000.0
JUNK = 60_000  # uvicorn (httptools) takes request lines of about 60 KB, not 100 KB
FIRST_DATE, STEP_DAYS = dt.date(2020, 1, 6), 7
TODAY_NAMES = 20_000


# ---------------------------------------------------------------- a small HTTP/1.1 client


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {h.HOST}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _many(port: int, paths: list[str], connections: int) -> Counter[int]:
    """GET every path over `connections` keep-alive connections; statuses counted."""
    statuses: Counter[int] = Counter()
    queue = iter(paths)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(h.HOST, port, limit=2**20)
        try:
            for path in queue:
                status, _ = await _get(reader, writer, path)
                statuses[status] += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return statuses


async def _one_each(port: int, paths: list[str]) -> tuple[list[int], list[float]]:
    """Every path at once, each on its own connection from its own 127.0.0.x address."""

    async def one(n: int, path: str) -> tuple[int, float]:
        start = time.perf_counter()
        source = f"127.0.{1 + n // 250}.{2 + n % 250}"
        reader, writer = await asyncio.open_connection(h.HOST, port, local_addr=(source, 0))
        try:
            status, _ = await _get(reader, writer, path)
        finally:
            writer.close()
        return status, time.perf_counter() - start

    done = await asyncio.gather(*(one(n, p) for n, p in enumerate(paths)))
    return [s for s, _ in done], [t for _, t in done]


# ---------------------------------------------------------------- memory


def children_rss_mb(pid: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().split(") ")[1].split()[1]) == pid
            ):
                total += bc.memory_mb(int(entry.name))["VmRSS"]
        except (OSError, IndexError, ValueError, KeyError):
            continue
    return total


class Sampler(threading.Thread):
    """The worker's RSS (and its children's) every 0.25 s, until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.worker_max, self.children_max = pid, 0.0, 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.25):
            self.worker_max = max(self.worker_max, bc.memory_mb(self.pid)["VmRSS"])
            self.children_max = max(self.children_max, children_rss_mb(self.pid))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# ---------------------------------------------------------------- part (a)


def _random_name(length: int) -> str:
    return quote("".join(chr(0x4E00 + secrets.randbelow(3000)) for _ in range(length)))


def part_a(dsn: str, checks: int, pages: int) -> bool:
    # Every check a new question (so no answer comes from the cache) with its own junk.
    junk = [f"/api/v1/check?name={_random_name(4)}&j{n}={secrets.token_hex(JUNK // 2)}"
            for n in range(checks)]  # fmt: skip
    distinct = [f"/certificates/abolished?q={_random_name(6)}" for _ in range(pages)]
    with bc.app_server(dsn) as base:
        port, pid = int(urlsplit(base).port or 0), bc.worker_pid(base)
        h.fetch(base + f"/api/v1/check?name={quote('良民证')}")
        before = bc.memory_mb(pid)["VmRSS"]
        t0 = time.perf_counter()
        got = asyncio.run(_many(port, junk, 8))
        t1 = time.perf_counter()
        after_checks = bc.memory_mb(pid)["VmRSS"]
        got_pages = asyncio.run(_many(port, distinct, 8))
        t2 = time.perf_counter()
        end = bc.memory_mb(pid)
    print(f"\n## (a) {checks:,} checks with a {JUNK // 1000} KB junk parameter, "
          f"{pages:,} distinct pages, one worker, seed list")  # fmt: skip
    print(f"checks: {dict(got)} in {t1 - t0:.0f} s; pages: {dict(got_pages)} in {t2 - t1:.0f} s")
    print(f"worker RSS: before {before:.0f} MB, after the checks {after_checks:.0f} MB, "
          f"after the pages {end['VmRSS']:.0f} MB (peak {end['VmHWM']:.0f} MB)")  # fmt: skip
    ok = end["VmHWM"] < TARGET_RSS_MB and got == Counter({200: checks})
    ok = ok and got_pages == Counter({200: pages})
    print(f"target (a): every answer 200 and peak RSS < {TARGET_RSS_MB:g} MB: "
          f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


# ---------------------------------------------------------------- part (b)


async def _dated_list(dsn: str, server: Any, size: int, dates: int) -> tuple[str, list[dt.date]]:
    """A database of its own (kept for later runs): the seed list, `size` synthetic items
    (bench/synthetic.py, loaded as bench/check.py loads them) and one item per date, so that
    `dates` dates have distinct lists. Returns the application's DSN for it."""
    from bench import synthetic
    from registry.cli import migrate_and_seed
    from registry.infra.db import connect
    from registry.infra.settings import Settings

    name = f"registry_memdates{size}"
    if server is not None:
        admin, owner, app = server.admin_dsn(), server.owner_dsn(name), server.dsn(name)
    else:  # DATABASE_URL: one role that may create databases
        admin = dsn
        owner = app = urlunsplit(urlsplit(dsn)._replace(path="/" + name))
    conn = await connect(admin)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(
                f"CREATE DATABASE {name} {'OWNER registry' if server else ''} TEMPLATE template0"
                " ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
    finally:
        await conn.close()
    await migrate_and_seed(owner, Settings.from_env(), seed=True)
    # One more than asked about: the last is today's list, the `dates` others are all past.
    days = [FIRST_DATE + dt.timedelta(days=STEP_DAYS * k) for k in range(dates + 1)]
    conn = await connect(owner)
    try:
        have = await conn.fetchval("SELECT count(*) FROM certificates WHERE code LIKE 'SYN-%'")
        if have < size:
            print(f"loading {size:,} synthetic items ...", file=sys.stderr, flush=True)
            await bc._copy(conn, synthetic.table(size))
        async with conn.transaction():
            for k, day in enumerate(days):
                code = f"DATE-{k:04d}"
                if await conn.fetchval("SELECT 1 FROM certificates WHERE code = $1", code):
                    continue
                await conn.execute("INSERT INTO certificates (code) VALUES ($1)", code)
                await conn.execute(
                    "INSERT INTO certificate_versions (code, valid_from, name, status, changed_by)"
                    " VALUES ($1, $2, $3, 'abolished', 'bench')",
                    code,
                    day,
                    f"基准测试证明{k}",
                )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return app, days[:dates]


def _today_paths(n: int) -> list[str]:
    from bench import synthetic

    names = [row[1] for row in synthetic.table(n)[1:]]
    return [f"{bc.PATH}?{urlencode({'name': name})}" for name in names]


def part_b(dsn: str, server: Any, size: int, limit: float) -> bool:
    dated, days = asyncio.run(_dated_list(dsn, server, size, 100))
    paths = [
        f"{bc.PATH}?{urlencode({'name': '无犯罪记录证明', 'on': d.isoformat()})}" for d in days
    ]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, bc.app_server(dated) as base:
        port, pid = int(urlsplit(base).port or 0), bc.worker_pid(base)
        build = bc.warm_up(base)
        after_build = bc.memory_mb(pid)["VmRSS"]
        script = bc.lua_script(_today_paths(TODAY_NAMES), Path(tmp), cache_buster=False)
        sampler = Sampler(pid)
        sampler.start()
        wrk = subprocess.Popen(
            [h.find_wrk() or "wrk", "--latency", "-t1", "-c10", f"-d{round(limit)}s", "-s",
             script, base + bc.PATH],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1)
        t0 = time.perf_counter()
        statuses, seconds = asyncio.run(asyncio.wait_for(_one_each(port, paths), limit))
        t1 = time.perf_counter()
        time.sleep(1)
        wrk.send_signal(signal.SIGINT)  # wrk reports what it measured so far
        out, _ = wrk.communicate(timeout=60)
        sampler.stop()
        end = bc.memory_mb(pid)
    today = h.parse_wrk(out)
    answered = [s for s, st in zip(seconds, statuses, strict=True) if st == 200]
    print(f"\n## (b) 100 dates, 100 distinct lists of {size:,}+ items, asked at once")
    print(f"today's index built in {build:.1f} s (child); worker RSS then {after_build:.0f} MB")
    print(f"the 100: {dict(Counter(statuses))} in {t1 - t0:.1f} s; answered ones took "
          f"{min(answered, default=0):.1f}-{max(answered, default=0):.1f} s")  # fmt: skip
    print(f"today's /api/v1/check meanwhile ({TODAY_NAMES:,} names, 10 connections, "
          f"{t1 - t0 + 2:.0f} s): {today.requests:,} answers, {today.rps:,.0f}/s, p50 "
          f"{today.p50_ms:.1f} ms, p99 {today.p99_ms:.1f} ms, errors {today.errors}")  # fmt: skip
    print(
        f"worker RSS: max {sampler.worker_max:.0f} MB while they ran, {end['VmRSS']:.0f} MB "
        f"after (peak {end['VmHWM']:.0f} MB); child processes max {sampler.children_max:.0f} MB"
    )
    ok = end["VmHWM"] < TARGET_RSS_MB and today.p99_ms < TARGET_P99_MS and not today.errors
    ok = ok and set(statuses) <= {200, 503} and 200 in statuses
    print(f"target (b): worker peak RSS < {TARGET_RSS_MB:g} MB and today's p99 < "
          f"{TARGET_P99_MS:g} ms: {'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=["a", "b", "both"], default="both")
    p.add_argument("--checks", type=int, default=20_000)
    p.add_argument("--pages", type=int, default=5_000)
    p.add_argument("--synthetic-size", type=int, default=200_000)
    p.add_argument("--limit", type=float, default=600.0, help="at most this long for (b)'s 100")
    p.add_argument("--quick", action="store_true", help="(a) 2,000 + 500; (b) a 20,000-item list")
    args = p.parse_args(argv)
    if args.quick:
        args.checks, args.pages, args.synthetic_size = 2000, 500, 20_000
    with h.embedded_database(allow_url=True) as (dsn, server):
        print(f"# bench/memory.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}")
        for k, v in h.versions(dsn).items():
            print(f"#   {k}: {v}")
        print(f"#   uvicorn {' '.join(h.UVICORN_FLAGS)}", flush=True)
        results = []
        if args.part in ("a", "both"):
            results.append(part_a(dsn, args.checks, args.pages))
        if args.part in ("b", "both"):
            results.append(part_b(dsn, server, args.synthetic_size, args.limit))
    print("\nall targets: " + ("PASS" if all(results) else "FAIL"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
