"""Filing throughput: POST /api/v1/complaints vs pgbench doing a one-row INSERT, same database.

    REGISTRY_HOME=/tmp/bench-complaints uv run python bench/complaints.py \
        [--duration S] [--connections N] [--rounds R] [--quick] [--spread-addresses]

wrk posts a fixed JSON complaint with a unique Idempotency-Key per request (a Lua script:
run id + thread + random + counter) from N connections; in the same run, on the same
PostgreSQL, pgbench runs `INSERT INTO bench_t (v) VALUES (:n)` on a scratch table with the same
client count (-c N -j 2 -M prepared) for the same duration. Runs alternate (pgbench, wrk, …)
for --rounds rounds after a warm-up; **ratio = median(filings/s) / median(pgbench tps)**.
Each round also posts the same body to bench/plain_insert.py, a plain Litestar handler doing
one INSERT (the issue's yardstick: "about 0.2 here"), served with the same uvicorn settings,
and runs the app's own filing statement (queries.complaints.FILE_SQL, literal values, no
acknowledgement row) through pgbench: what PostgreSQL alone can do per filing.
Targets: ratio >= 0.15 and p99 <= 50 ms at 50 connections.

While both run, pg_stat_activity is sampled every 50 ms: what the database's sessions were
waiting for (lock, WAL sync, client) is the profile of what limits filing.

The filing rate limit (REGISTRY_FILING_LIMIT) is raised to 1000000/60 for the server. All wrk
requests come from 127.0.0.1, so they all count against ONE rate-limit row; with
--spread-addresses each request carries its own X-Forwarded-For (uvicorn trusts it from
127.0.0.1), as if every filing came from a different person.

Uses REGISTRY_HOME's embedded PostgreSQL (or DATABASE_URL); complaints it files stay in that
database, so point REGISTRY_HOME at a scratch directory. Exits 0 unless the harness fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from bench import _harness as h

TARGET_RATIO = 0.15
TARGET_P99_MS = 50.0
BODY = {  # as tests/test_complaints.py body()
    "department": "CY-BM-001",
    "certificate_name": "良民证",
    "matter": "就业",
    "demanded_on": dt.date.today().isoformat(),
    "place": "政务服务中心 3 号窗口",
    "description": "窗口要求开无犯罪证明",
    "disclosure": "confidential",
    "contact": {"name": "张三", "phone": "13900001234", "email": "bench@example.org"},
}

LUA = r"""
-- One unique Idempotency-Key per request: run id, thread, per-thread random, counter.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  math.randomseed(os.time() + tid * 7919)
  rnd = string.format("%06x", math.random(0, 16777215))
  counter = 0
  wrk.method = "POST"
  wrk.path = "/api/v1/complaints"
  wrk.body = BODY
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = PREFIX .. "-" .. tid .. "-" .. rnd .. "-" .. counter
  if SPREAD then
    local n = tid * 16777216 + counter
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
      math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format()
end
"""

PGBENCH_SQL = "\\set n random(1, 1000000000)\nINSERT INTO bench_t (v) VALUES (:n);\n"

# The app's own filing statement with the bench body's values as literals: what PostgreSQL
# alone does per filing. Without the acknowledgement row (recipient NULL): the app's outbox
# sender would otherwise send those mails during the pgbench run, on the same CPUs.
FILING_VALUES = {
    1: "'PGB-' || gen_random_uuid()", 2: "repeat('e', 64)", 3: "'CY-BM-001'", 4: "''",
    5: "'良民证'", 6: "'CY-ZM-014'", 7: "'就业'", 8: "current_date", 9: "'政务服务中心 3 号窗口'",
    10: "'窗口要求开无犯罪证明'", 11: "'confidential'", 12: "'abolished'", 13: "current_date + 1",
    14: "current_date + 21", 15: "NULL", 16: "repeat('h', 64)", 17: "'张三'",
    18: "'13900001234'", 19: "'bench@example.org'", 20: "true", 21: "'投诉已收到，等待受理。'",
    22: "NULL", 23: "NULL", 24: "NULL", 25: "'pgbench-' || gen_random_uuid()",
    26: "60", 27: "1000000",
}  # fmt: skip


def filing_pgbench_sql() -> str:
    from registry.complaints.queries.complaints import FILE_SQL

    sql = re.sub(r"\$(\d+)", lambda m: f"({FILING_VALUES[int(m[1])]})", FILE_SQL)
    return " ".join(sql.split()) + ";\n"


def lua_script(prefix: str, spread: bool) -> str:
    head = f"BODY = {json.dumps(json.dumps(BODY))}\nPREFIX = {json.dumps(prefix)}\n"
    return head + f"SPREAD = {'true' if spread else 'false'}\n" + LUA


def wrk_run(url: str, script: Path, connections: int, threads: int, duration: float) -> h.Load:
    wrk = h.find_wrk()
    if wrk is None:
        raise SystemExit("wrk is required (apt-get install wrk)")
    cmd = [wrk, "--latency", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
           "-s", str(script), url]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    for line in run.stdout.splitlines():  # which errors: socket (timeouts: wrk's is 2 s) or status
        if "Socket errors" in line or "Non-2xx" in line:
            print(f"    wrk: {line.strip()}", file=sys.stderr, flush=True)
    return h.parse_wrk(run.stdout)


def pgbench_bin(server: Any) -> str:
    if server is not None and (server.bin_dir / "pgbench").exists():
        return str(server.bin_dir / "pgbench")
    if found := shutil.which("pgbench"):
        return found
    raise SystemExit("pgbench not found")


def pgbench_run(
    pgbench: str, dsn: str, script: Path, clients: int, duration: float
) -> tuple[float, float]:
    """(tps, average latency ms) of the one-row INSERT."""
    cmd = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
           "-T", str(max(1, round(duration))), "-f", str(script), dsn]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if run.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{run.stdout}\n{run.stderr}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", run.stdout)
    if not tps or not lat:
        raise RuntimeError(f"cannot parse pgbench output:\n{run.stdout}")
    return float(tps[1]), float(lat[1])


_TICK = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        kids[int(fields[1])].append(int(stat.parent.name))
    return kids


def tree_cpu(root: int | None) -> float:
    """CPU seconds of `root` and its live descendants, plus the children it has reaped
    (cutime: PostgreSQL backends of disconnected clients end up there)."""
    if root is None:
        return 0.0
    kids, total, todo = _children(), 0.0, [root]
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if pid == root else 0)
    return total / _TICK


def uvicorn_pid(base: str) -> int | None:
    port = base.rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"uvicorn" in args
            and b"--port" in args
            and args[args.index(b"--port") + 1] == port.encode()
        ):
            return int(cmdline.parent.name)
    return None


def postmaster_pid(server: Any) -> int | None:
    try:
        return int((server.data_dir / "postmaster.pid").read_text().split()[0]) if server else None
    except (OSError, ValueError, IndexError):
        return None


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Cpu:
    """CPU seconds used during a block by the app server, PostgreSQL and the load generator."""

    def __init__(self, app_pid: int | None, pg_pid: int | None) -> None:
        self.app_pid, self.pg_pid = app_pid, pg_pid
        self.app = self.pg = self.client = self.wall = 0.0

    def __enter__(self) -> Cpu:
        self._start = (tree_cpu(self.app_pid), tree_cpu(self.pg_pid), children_cpu(),
                       time.monotonic())  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        app, pg, client, wall = (tree_cpu(self.app_pid), tree_cpu(self.pg_pid), children_cpu(),
                                 time.monotonic())  # fmt: skip
        self.app, self.pg = app - self._start[0], pg - self._start[1]
        self.client, self.wall = client - self._start[2], wall - self._start[3]


class Sampler:
    """Samples pg_stat_activity every 50 ms in a thread; counts (phase, wait) of active
    sessions. Phase is set by the caller: what is running now."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.phase = ""
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.samples: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                phase = self.phase
                rows = await conn.fetch(
                    """
                    SELECT state, wait_event_type, wait_event, left(query, 60) AS query
                    FROM pg_stat_activity
                    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                      AND datname = current_database() AND state <> 'idle'
                    """
                )
                if phase:
                    self.samples[phase] += 1
                    for r in rows:
                        what = f"{r['wait_event_type'] or 'CPU'}:{r['wait_event'] or 'running'}"
                        if r["state"] == "idle in transaction":
                            what = "idle in transaction (waiting for the app)"
                        elif r["wait_event_type"] == "Lock":
                            what += " on " + " ".join(r["query"].split())[:45]
                        self.counts[phase][what] += 1
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    def report(self, phase: str, top: int = 6) -> list[str]:
        n = max(1, self.samples[phase])
        total = sum(self.counts[phase].values())
        lines = [f"{phase}: on average {total / n:.1f} sessions busy "
                 f"(state <> idle) of those connected, {n} samples"]  # fmt: skip
        for what, c in self.counts[phase].most_common(top):
            lines.append(f"    {c / n:5.1f}  {what}")
        return lines


async def sql(dsn: str, *statements: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [await conn.fetchval(s) for s in statements]
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    p.add_argument("--connections", type=int, default=50, help="concurrent clients (50)")
    p.add_argument("--rounds", type=int, default=3, help="pgbench/wrk pairs (3)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (2, as pgbench -j 2)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    p.add_argument("--quick", action="store_true", help="duration 5, rounds 1")
    p.add_argument(
        "--spread-addresses",
        action="store_true",
        help="a different X-Forwarded-For per request (no shared rate-limit row)",
    )
    args = p.parse_args(argv)  # fmt: skip
    if args.quick:
        args.duration, args.rounds = 5.0, 1
    run_id = uuid.uuid4().hex[:8]
    prefix = f"wrk-{run_id}"
    flags = list(h.UVICORN_FLAGS)
    flags[flags.index("--workers") + 1] = str(args.workers)
    pool_max = max(10, args.connections // args.workers)

    with (
        tempfile.TemporaryDirectory() as tmp,
        h.embedded_database(allow_url=True) as (dsn, server),
        h.serve(
            "registry.web.app:app_from_env",
            factory=True,
            flags=flags,
            log_path=Path(tmp) / "server.log",
            env={"DATABASE_URL": dsn, "REGISTRY_FILING_LIMIT": "1000000/60",
                 "REGISTRY_POOL_MAX": str(pool_max)},
        ) as app,
        h.serve(
            "bench.plain_insert:app_from_env",
            factory=True,
            flags=flags,
            env={"DATABASE_URL": dsn, "REGISTRY_POOL_MAX": str(pool_max)},
        ) as plain,
    ):  # fmt: skip
        lua = Path(tmp) / "file.lua"
        lua.write_text(lua_script(prefix, args.spread_addresses))
        pgsql = Path(tmp) / "insert.sql"
        pgsql.write_text(PGBENCH_SQL)
        filing_sql = Path(tmp) / "filing.sql"
        filing_sql.write_text(filing_pgbench_sql())
        pgbench = pgbench_bin(server)
        info = h.versions(dsn)
        info["pgbench"] = subprocess.run(
            [pgbench, "--version"], capture_output=True, text=True
        ).stdout.strip()
        fsync, sync_commit = asyncio.run(sql(dsn, "SHOW fsync", "SHOW synchronous_commit"))
        # DDL as the owner: the site's role (DATABASE_URL) has row rights only.
        owner = server.owner_dsn() if server is not None else dsn
        table = "CREATE TABLE bench_t (id bigserial PRIMARY KEY, v bigint NOT NULL)"
        asyncio.run(sql(owner, "DROP TABLE IF EXISTS bench_t", table))
        print(f"# bench/complaints.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}  run {run_id}")
        for k, v in info.items():
            print(f"#   {k}: {v}")
        spread = "one X-Forwarded-For per request" if args.spread_addresses else "one address"
        print(f"#   fsync={fsync} synchronous_commit={sync_commit}; {args.connections} clients, "
              f"{args.duration:g} s x {args.rounds} rounds, 2 s warm-up each; "
              f"wrk -t{args.threads}; uvicorn {' '.join(flags)}; pool max {pool_max}; {spread}",
              flush=True)  # fmt: skip
        url = app + "/api/v1/complaints"
        wrk_runs: list[h.Load] = []
        plain_runs: list[h.Load] = []
        pg_filing_runs: list[tuple[float, float]] = []
        pg_runs: list[tuple[float, float]] = []
        wrk_cpu: list[Cpu] = []
        pg_cpu: list[Cpu] = []
        app_pid, pg_pid = uvicorn_pid(app), postmaster_pid(server)
        try:
            with Sampler(dsn) as sampler:
                pgbench_run(pgbench, dsn, pgsql, args.connections, 2)
                wrk_run(url, lua, args.connections, args.threads, 2)
                wrk_run(plain + "/api/v1/complaints", lua, args.connections, args.threads, 2)
                for i in range(args.rounds):
                    sampler.phase = "pgbench INSERT"
                    with Cpu(app_pid, pg_pid) as cpu:
                        pg_runs.append(pgbench_run(pgbench, dsn, pgsql, args.connections,
                                                   args.duration))  # fmt: skip
                    pg_cpu.append(cpu)
                    sampler.phase = "HTTP filing"
                    with Cpu(app_pid, pg_pid) as cpu:
                        wrk_runs.append(wrk_run(url, lua, args.connections, args.threads,
                                                args.duration))  # fmt: skip
                    wrk_cpu.append(cpu)
                    sampler.phase = ""
                    plain_runs.append(wrk_run(plain + "/api/v1/complaints", lua,
                                              args.connections, args.threads,
                                              args.duration))  # fmt: skip
                    pg_filing_runs.append(pgbench_run(pgbench, dsn, filing_sql, args.connections,
                                                      args.duration))  # fmt: skip
                    print(f"  round {i + 1}/{args.rounds}: filing {wrk_runs[-1].rps:,.0f}/s "
                          f"(p99 {wrk_runs[-1].p99_ms:.1f} ms), pgbench {pg_runs[-1][0]:,.0f} tps",
                          file=sys.stderr, flush=True)  # fmt: skip
            time.sleep(1)  # let the last in-flight filings commit
            stored, bad_hash = asyncio.run(sql(
                dsn,
                f"SELECT count(*) FROM complaints WHERE idempotency_key LIKE '{prefix}-%'",
                f"SELECT count(*) FROM (SELECT request_hash FROM complaints WHERE idempotency_key"
                f" LIKE '{prefix}-%' GROUP BY 1) d",
            ))  # fmt: skip
        finally:
            asyncio.run(sql(owner, "DROP TABLE IF EXISTS bench_t"))
        server_log = (Path(tmp) / "server.log").read_text(errors="replace")
        failures: collections.Counter[str] = collections.Counter()
        for block in re.split(r"\n(?=(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) - )", server_log):
            if block.startswith("ERROR") and (
                exc := re.findall(r"^[\w.]+(?:Error|Exception)\b.*$", block, re.MULTILINE)
            ):
                failures[exc[-1]] += 1

    rps = statistics.median(r.rps for r in wrk_runs)
    tps = statistics.median(t for t, _ in pg_runs)
    p50 = statistics.median(r.p50_ms for r in wrk_runs)
    p99 = statistics.median(r.p99_ms for r in wrk_runs)
    errors = sum(r.errors for r in wrk_runs)
    answered = sum(r.requests for r in wrk_runs)
    ratio = rps / tps
    plain_rps = statistics.median(r.rps for r in plain_runs)
    pg_filing = statistics.median(t for t, _ in pg_filing_runs)
    plain_p99 = statistics.median(r.p99_ms for r in plain_runs)
    print("| run | per second | p50 ms | p99 ms | errors |")
    print("|-----|-----------:|-------:|-------:|-------:|")
    for i, (r, (t, lat)) in enumerate(zip(wrk_runs, pg_runs, strict=True), 1):
        print(f"| pgbench INSERT {i} | {t:,.0f} | avg {lat:.2f} | | |")
        print(f"| POST /api/v1/complaints {i} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
              f"| {r.errors} |")  # fmt: skip
        pr = plain_runs[i - 1]
        print(f"| pgbench running the filing statement {i} | {pg_filing_runs[i - 1][0]:,.0f} "
              f"| avg {pg_filing_runs[i - 1][1]:.2f} | | |")  # fmt: skip
        print(f"| plain one-INSERT Litestar handler {i} | {pr.rps:,.0f} | {pr.p50_ms:.2f} "
              f"| {pr.p99_ms:.2f} | {pr.errors} |")  # fmt: skip
    print(f"median: filing {rps:,.0f}/s, pgbench {tps:,.0f} tps -> ratio {ratio:.3f}; "
          f"filing p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip
    print(
        f"yardstick: plain one-INSERT handler {plain_rps:,.0f}/s -> ratio "
        f"{plain_rps / tps:.3f}, p99 {plain_p99:.1f} ms; filing is {rps / plain_rps:.2f} of it"
    )
    print(
        f"PostgreSQL alone, the filing statement via pgbench: {pg_filing:,.0f}/s; "
        f"HTTP filing is {rps / pg_filing:.2f} of it"
    )
    # Warm-up filings are in the database too; wrk counts only answered requests.
    print(
        f"complaints stored by this run {stored:,} (wrk counted {answered:,} answered in the "
        f"measured runs, plus warm-up); distinct bodies {bad_hash}; non-2xx/socket errors {errors}"
    )
    if failures:
        print("server log: 5xx responses ended in " + "; ".join(
            f"{n} x {last[:160]}" for last, n in failures.most_common(5)))  # fmt: skip
    print(
        "CPU per operation, ms (app = uvicorn, pg = all PostgreSQL processes, client = "
        f"pgbench or wrk), and share of the machine's {os.cpu_count()} CPUs used:"
    )
    for name, runs, cpus in (
        ("pgbench INSERT", [t for t, _ in pg_runs], pg_cpu),
        ("HTTP filing", [r.rps for r in wrk_runs], wrk_cpu),
    ):
        for rate, c in zip(runs, cpus, strict=True):
            n = max(1.0, rate * args.duration)
            busy = (c.app + c.pg + c.client) / (c.wall * (os.cpu_count() or 1))
            print(f"  {name:15} app {1e3 * c.app / n:6.2f}  pg {1e3 * c.pg / n:6.2f}  "
                  f"client {1e3 * c.client / n:6.2f}  (app {c.app / c.wall:.2f} cores, "
                  f"pg {c.pg / c.wall:.2f}, client {c.client / c.wall:.2f}; "
                  f"{busy:.0%} of the machine)")  # fmt: skip
    print("what the database sessions were doing (mean number of sessions per sample):")
    for phase in ("pgbench INSERT", "HTTP filing"):
        print("  " + "\n  ".join(sampler.report(phase)))
    ok_ratio, ok_p99 = ratio >= TARGET_RATIO, p99 <= TARGET_P99_MS
    verdict = "PASS" if ok_ratio and ok_p99 and not errors else "FAIL"
    print(f"target: ratio >= {TARGET_RATIO} ({'ok' if ok_ratio else 'miss'}: {ratio:.3f}), "
          f"p99 <= {TARGET_P99_MS:g} ms ({'ok' if ok_p99 else 'miss'}: {p99:.1f} ms), "
          f"no errors ({errors}): {verdict}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
