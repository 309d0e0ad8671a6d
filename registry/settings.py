"""Settings: one frozen Struct, read from the environment only at entry points."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("REGISTRY_HOME", str(PROJECT_ROOT / ".registry")))
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            home=home,
            # A per-process random key is safe: sessions live in PostgreSQL, not in cookies.
            secret_key=env.get("REGISTRY_SECRET_KEY") or secrets.token_hex(32),
            debug=env.get("REGISTRY_DEBUG", "") == "1",
            pool_min=int(env.get("REGISTRY_POOL_MIN", "1")),
            pool_max=int(env.get("REGISTRY_POOL_MAX", "10")),
            allowed_hosts=[h for h in env.get("REGISTRY_ALLOWED_HOSTS", "").split(",") if h],
        )
