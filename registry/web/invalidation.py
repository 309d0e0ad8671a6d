"""What each change makes stale in a worker: one function per NOTIFY channel (listen.py), each
taking the worker's typed state (registry.web.state.Worker).

Here, not in app.py, so that routes dropping this worker's caches after their own edit can
import it without an import cycle. Each drops only what depends on its concern: the checker's
indexes (30 s per worker on a 200,000-item list) are rebuilt for a list or vocabulary change,
never for a department or calendar edit."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from registry.infra import listen
from registry.web.state import Worker


def list_changed(worker: Worker) -> None:
    """The list or its vocabulary: the checker's indexes and answers, and every cached page
    (which shows the list)."""
    worker.pages.clear()
    worker.lookup.clear()


def departments_changed(worker: Worker) -> None:
    """Pages show department names (the verdict page's "who asked"); the checker does not."""
    worker.pages.clear()
    worker.forget_departments()


def calendar_changed(worker: Worker) -> None:
    """Only complaint deadlines use the calendar; no cached page shows one."""
    worker.forget_calendar()


def record_changed(worker: Worker) -> None:
    """Every cached page carries the official-list notice (read again per page generation)."""
    worker.pages.clear()


def everything_changed(worker: Worker) -> None:
    """After the listener (re)connects: a NOTIFY may have been missed, so whatever it was."""
    list_changed(worker)
    departments_changed(worker)
    calendar_changed(worker)
    record_changed(worker)


def handlers(worker: Worker) -> dict[str, Callable[[], None]]:
    """For listen.listen_for_changes: each channel's function, bound to this worker's state."""
    return {
        listen.LIST: partial(list_changed, worker),
        listen.DEPARTMENTS: partial(departments_changed, worker),
        listen.CALENDAR: partial(calendar_changed, worker),
        listen.RECORD: partial(record_changed, worker),
    }
