"""Settings: one frozen Struct, read from the environment only at entry points."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    # Migrations connect as the schema's owner; the site as a role with row rights only.
    database_owner_url: str | None = None
    home: Path = PROJECT_ROOT / ".registry"
    secret_key: str = ""
    debug: bool = False
    pool_min: int = 1
    pool_max: int = 10
    seed_dir: Path = PROJECT_ROOT / "seed_data"
    templates_dir: Path = PROJECT_ROOT / "templates"
    migrations_dir: Path = PROJECT_ROOT / "sql" / "migrations"
    listen_for_changes: bool = True
    allowed_hosts: list[str] = []
    secure_cookies: bool = False
    # The site's address as readers see it, e.g. https://zhengming.example.gov.cn (Atom links).
    public_url: str = ""
    smtp_url: str | None = None
    # Proxies whose X-Forwarded-For is believed (rate limits count the real client then).
    trusted_proxies: str = ""
    send_outbox: bool = True
    # Housekeeping (registry/accounts/housekeeping.py) every this many seconds, 0 for never: old
    # rate-limit windows, expired staff sessions, sent mail older than outbox_keep_days.
    housekeeping_interval: int = 3600
    outbox_keep_days: int = 30
    # Days a signed 告知承诺 keeps the signer's name, ID number and phone (housekeeping erases
    # them after; the commitment itself stays for the statistics).
    commitment_retention_days: int = 730
    # (hits, seconds) per client address, shared by all workers through PostgreSQL.
    filing_limit: tuple[int, int] = (10, 600)
    tracking_limit: tuple[int, int] = (30, 600)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("REGISTRY_HOME", str(PROJECT_ROOT / ".registry")))
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            database_owner_url=env.get("DATABASE_OWNER_URL") or None,
            home=home,
            secret_key=env.get("REGISTRY_SECRET_KEY") or _local_secret(home),
            debug=env.get("REGISTRY_DEBUG", "") == "1",
            pool_min=int(env.get("REGISTRY_POOL_MIN", "1")),
            pool_max=int(env.get("REGISTRY_POOL_MAX", "10")),
            allowed_hosts=[h for h in env.get("REGISTRY_ALLOWED_HOSTS", "").split(",") if h],
            secure_cookies=env.get("REGISTRY_HTTPS", "") == "1",
            public_url=_public_url(env.get("REGISTRY_PUBLIC_URL", "")),
            smtp_url=env.get("REGISTRY_SMTP_URL") or None,
            trusted_proxies=env.get("REGISTRY_TRUSTED_PROXIES", ""),
            filing_limit=_limit(env.get("REGISTRY_FILING_LIMIT"), (10, 600)),
            tracking_limit=_limit(env.get("REGISTRY_TRACKING_LIMIT"), (30, 600)),
            housekeeping_interval=_count(env, "REGISTRY_HOUSEKEEPING_INTERVAL", 3600, 0),
            outbox_keep_days=_count(env, "REGISTRY_OUTBOX_KEEP_DAYS", 30, 1),
            commitment_retention_days=_count(env, "REGISTRY_COMMITMENT_RETENTION_DAYS", 730, 1),
        )


def _public_url(text: str) -> str:
    """Empty, or an absolute http(s) URL: a typo fails at start, not in every feed."""
    if text and not text.startswith(("https://", "http://")):
        raise ValueError(f"REGISTRY_PUBLIC_URL must start with https:// (got {text!r})")
    return text.rstrip("/")


def _count(env: Mapping[str, str], name: str, default: int, least: int) -> int:
    """A whole number of at least `least`: a typo fails at start, not an hour later."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < least:
        raise ValueError(f"{name} must be a whole number of at least {least} (got {text!r})")
    return int(text)


def _limit(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """'HITS/SECONDS', e.g. '10/600'."""
    if not text:
        return default
    hits, seconds = text.split("/")
    return int(hits), int(seconds)


def _local_secret(home: Path) -> str:
    """One key per installation, shared by its workers; set REGISTRY_SECRET_KEY on clusters."""
    path = home / "secret_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: the first worker's key wins, whole
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
