"""What each change makes stale in a worker: one function per NOTIFY channel (listen.py).

Here, not in app.py, so that routes dropping this worker's caches after their own edit can
import it without an import cycle. Each drops only what depends on its concern: the checker's
indexes (30 s per worker on a 200,000-item list) are rebuilt for a list or vocabulary change,
never for a department or calendar edit."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from registry.infra import listen

# The per-worker copies kept in app.state (set where they are first read).
DEPARTMENT_KEYS = ("departments", "department_codes")  # views.departments, filing
CALENDAR_KEYS = ("calendar_overrides",)  # filing.deadlines (also resets deadlines)


def list_changed(state: Any) -> None:
    """The list or its vocabulary: the checker's indexes and answers, and every cached page
    (which shows the list)."""
    state.pages.clear()
    state.lookup.clear()


def departments_changed(state: Any) -> None:
    """Pages show department names (the verdict page's "who asked"); the checker does not."""
    state.pages.clear()
    _pop(state, DEPARTMENT_KEYS)


def calendar_changed(state: Any) -> None:
    """Only complaint deadlines use the calendar; no cached page shows one."""
    _pop(state, CALENDAR_KEYS)


def record_changed(state: Any) -> None:
    """Every cached page carries the official-list notice (read again per page generation)."""
    state.pages.clear()


def everything_changed(state: Any) -> None:
    """After the listener (re)connects: a NOTIFY may have been missed, so whatever it was."""
    list_changed(state)
    departments_changed(state)
    calendar_changed(state)
    record_changed(state)


def handlers(state: Any) -> dict[str, Callable[[], None]]:
    """For listen.listen_for_changes: each channel's function, bound to this worker's state."""
    return {
        listen.LIST: partial(list_changed, state),
        listen.DEPARTMENTS: partial(departments_changed, state),
        listen.CALENDAR: partial(calendar_changed, state),
        listen.RECORD: partial(record_changed, state),
    }


def _pop(state: Any, keys: tuple[str, ...]) -> None:
    for key in keys:
        state.pop(key, None)
