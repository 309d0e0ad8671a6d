"""The one clock: every "today", "now" and deadline is China's (Asia/Shanghai by default),
whatever the host's zone. Tests move time by replacing `utc_now`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from zoneinfo import ZoneInfo

ZONE = ZoneInfo(os.environ.get("REGISTRY_TIMEZONE") or "Asia/Shanghai")


def _system_utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


utc_now: Callable[[], dt.datetime] = _system_utc_now


def now() -> dt.datetime:
    """An aware datetime in the configured zone."""
    return utc_now().astimezone(ZONE)


def today() -> dt.date:
    return now().date()


def local(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp (UTC from PostgreSQL) shown in the configured zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZONE)
