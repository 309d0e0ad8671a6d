"""Benchmark harness: uvicorn servers, a database, wrk, and hello-world ratios.

Loopback only; every server, database and load run is bounded and stopped in a `finally`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.hello import hello_app

__all__ = ["hello_app"]

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
UVICORN_FLAGS = [
    "--workers", "1", "--loop", "uvloop", "--http", "httptools",
    "--no-access-log", "--log-level", "warning", "--host", HOST,
]  # fmt: skip
WARMUP_S = 2.0


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET: (status, lower-cased headers, body); HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@contextlib.contextmanager
def serve(
    app: str,
    *,
    factory: bool = False,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    flags: list[str] | None = None,
) -> Iterator[str]:
    """Run `uvicorn app` with UVICORN_FLAGS (or `flags`) on a free port; yield its base URL.
    The server's output goes to `log_path` when given (kept for reading tracebacks)."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, *(flags or UVICORN_FLAGS), "--port", str(port)]
    if factory:
        cmd.append("--factory")
    base = f"http://{HOST}:{port}"
    opened = open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+")  # noqa: SIM115
    with opened as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{app} did not start ({proc.returncode}):\n{log.read()}")
                try:
                    fetch(base + "/")
                    break
                except OSError:
                    time.sleep(0.2)
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# ---------------------------------------------------------------- database


@contextlib.contextmanager
def database() -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL (stopped after if we started it); migrated and
    seeded either way."""
    with embedded_database(allow_url=True) as (dsn, _server):
        yield dsn


@contextlib.contextmanager
def embedded_database(*, allow_url: bool = False) -> Iterator[tuple[str, Any]]:
    """(dsn, EmbeddedServer) for REGISTRY_HOME's embedded PostgreSQL, migrated and seeded;
    stopped after if we started it. With allow_url, DATABASE_URL wins and the server is None.
    Benches that restart PostgreSQL need the server: set REGISTRY_HOME to a scratch directory."""
    from registry.cli import migrate_and_seed
    from registry.infra.settings import Settings

    settings = Settings.from_env()
    server = None
    if settings.database_url and allow_url:
        dsn = settings.database_url
    else:
        from registry.infra import embedded_pg

        server = embedded_pg.ensure_server(settings.home)
        dsn = server.dsn()
    try:
        owner = server.owner_dsn() if server is not None else dsn
        asyncio.run(migrate_and_seed(owner, settings, seed=True))
        yield dsn, server
    finally:
        if server is not None:
            embedded_pg.release(server)


def pg_ctl(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the embedded server's pg_ctl on its data dir, as the data dir's owner (as root:
    registry-pg), with its log file; raises on failure."""
    from registry.infra import embedded_pg

    log = server.data_dir.parent / "postgres.log"
    cmd = [str(server.bin_dir / "pg_ctl"), *args, "-D", str(server.data_dir), "-l", str(log)]
    return embedded_pg._run(cmd, embedded_pg._owner(server.data_dir))


def versions(dsn: str) -> dict[str, str]:
    import asyncpg

    async def pg() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(await conn.fetchval("SELECT version()"))
        finally:
            await conn.close()

    out = {"python": platform.python_version()}
    out |= {p: version(p) for p in ("litestar", "uvicorn", "uvloop", "httptools", "asyncpg")}
    out["postgresql"] = asyncio.run(pg())
    out["loadgen"] = loadgen_name()
    out["cpus"] = str(os.cpu_count())
    return out


# ---------------------------------------------------------------- load


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors + unexpected statuses (wrk: non-2xx/3xx)


@functools.cache
def find_wrk() -> str | None:
    """wrk on PATH, installing the Debian package (once, if we are root) when missing."""
    if (wrk := shutil.which("wrk")) or os.geteuid() != 0 or not shutil.which("apt-get"):
        return wrk
    install = ["apt-get", "install", "-y", "wrk"]
    for steps in ([install], [["apt-get", "update"], install]):
        for cmd in steps:
            subprocess.run(cmd, capture_output=True, timeout=600)
        if wrk := shutil.which("wrk"):
            return wrk
    return None


def loadgen_name() -> str:
    if wrk := find_wrk():
        run = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
        return (run.stdout + run.stderr).split("[")[0].strip() or "wrk"
    return "httpx (FALLBACK: wrk unavailable; the Python client itself is the bottleneck)"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"bad wrk latency {text!r}")
    return float(m[1]) * _UNITS[m[2]]


def parse_wrk(out: str) -> Load:
    def num(pattern: str) -> str:
        m = re.search(pattern, out)
        if not m:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{out}")
        return m[1]

    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        rps=float(num(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(num(r"\n\s+50%\s+(\S+)")),
        p99_ms=_ms(num(r"\n\s+99%\s+(\S+)")),
        requests=int(num(r"(\d+) requests in")),
        errors=(sum(map(int, sock.groups())) if sock else 0) + (int(bad[1]) if bad else 0),
    )


def load(
    url: str, *, connections: int, duration: float, headers: Mapping[str, str] | None = None
) -> Load:
    """Closed-loop load from `connections` connections for `duration` seconds."""
    wrk = find_wrk()
    if wrk is None:
        return asyncio.run(_httpx_load(url, connections, duration, headers or {}))
    cmd = [wrk, "--latency", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    run = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True
    )
    return parse_wrk(run.stdout)


async def _httpx_load(url: str, connections: int, duration: float, headers: dict[str, str]) -> Load:
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # else one INFO line per request
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10, headers=headers) as client:
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal errors
            while (t0 := time.perf_counter()) < deadline:
                try:
                    r = await client.get(url)
                    errors += r.status_code >= 400
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1e3)

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Load(len(latencies) / elapsed, q[49], q[98], len(latencies), errors)


# ---------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Result:
    target: Target
    runs: list[Load] = field(default_factory=list)
    hello: list[Load] = field(default_factory=list)  # the hello run just before each run

    @staticmethod
    def _median(runs: list[Load], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    def rps(self) -> float:
        return self._median(self.runs, "rps")

    def hello_rps(self) -> float:
        return self._median(self.hello, "rps")

    def ratio(self) -> float:
        return self.rps() / self.hello_rps()

    def latency(self) -> tuple[float, float]:
        return self._median(self.runs, "p50_ms"), self._median(self.runs, "p99_ms")

    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def compare(
    hello_url: str, targets: list[Target], *, rounds: int, connections: int, duration: float
) -> list[Result]:
    """Interleave hello and each target (hello, t1, hello, t2, … × rounds) after a warm-up,
    so slow drift on a noisy machine hits both sides alike."""
    opts = {"connections": connections}
    for url, headers in [(hello_url, {}), *((t.url, t.headers) for t in targets)]:
        load(url, headers=headers, duration=WARMUP_S, **opts)
    results = [Result(t) for t in targets]
    for i in range(rounds):
        for res in results:
            res.hello.append(load(hello_url, duration=duration, **opts))
            res.runs.append(load(res.target.url, headers=res.target.headers, duration=duration,
                                 **opts))  # fmt: skip
            print(f"  round {i + 1}/{rounds} {res.target.name}: {res.runs[-1].rps:,.0f} req/s "
                  f"(hello {res.hello[-1].rps:,.0f})", file=sys.stderr, flush=True)  # fmt: skip
    return results


def table(results: list[Result]) -> str:
    rows = [("endpoint", "req/s", "p50 ms", "p99 ms", "ratio", "errors")]
    hello = [h for r in results for h in r.hello]
    if hello:
        med = Result(Target("hello", ""), runs=hello)
        p50, p99 = med.latency()
        rows.append(("hello-world (baseline)", f"{med.rps():,.0f}", f"{p50:.2f}", f"{p99:.2f}",
                     "1.00", str(med.errors())))  # fmt: skip
    for r in results:
        p50, p99 = r.latency()
        rows.append((r.target.name, f"{r.rps():,.0f}", f"{p50:.2f}", f"{p99:.2f}",
                     f"{r.ratio():.2f}", str(r.errors())))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# ---- durability runs: PostgreSQL restarted under load -----------------------------------------


def restartable_home() -> Path:
    """REGISTRY_HOME for a run that restarts its PostgreSQL: never the shared .registry/, and
    never DATABASE_URL (the run starts its own embedded server there)."""
    home = Path(os.environ.get("REGISTRY_HOME", ROOT / ".registry")).resolve()
    if home == (ROOT / ".registry").resolve():
        raise SystemExit("refusing to restart the shared .registry/: set REGISTRY_HOME=/tmp/…")
    os.environ.pop("DATABASE_URL", None)
    return home


async def restart_at(
    server: Any,
    plan: tuple[tuple[str, float], ...],
    acked: Sized,
    target: int,
    log: Callable[[str], None],
    done: asyncio.Event,
) -> list[tuple[str, float]]:
    """`pg_ctl restart -m MODE` once len(acked), what the clients have seen acknowledged so far,
    reaches each share of target in plan ((mode, share), ...); stops early when done is set.
    Returns (mode, seconds pg_ctl took)."""
    outages: list[tuple[str, float]] = []
    for mode, share in plan:
        while len(acked) < target * share:
            if done.is_set():
                return outages
            await asyncio.sleep(0.02)
        log(f"pg_ctl restart -m {mode} (acked {len(acked)})")
        t = time.monotonic()
        await asyncio.to_thread(pg_ctl, server, "restart", "-m", mode, "-w", "-t", "120")
        outages.append((mode, time.monotonic() - t))
        log(f"  pg_ctl returned after {outages[-1][1]:.2f} s (acked {len(acked)})")
    return outages
