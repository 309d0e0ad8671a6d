"""Background tasks that must not die unseen: each runs under a supervisor that logs every
failure and starts it again with back-off; periodic work runs each round under a timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import NoReturn

import asyncpg

log = logging.getLogger("registry")
# Failures that are weather (database restarting, network, a hung peer): one log line, no
# traceback, so an outage cannot flood the log. Anything else is a bug: with traceback.
WEATHER = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def supervise(
    name: str,
    run: Callable[[], Awaitable[object]],
    *,
    first_delay: float = 0.5,
    max_delay: float = 30.0,
    healthy_after: float = 60.0,
) -> NoReturn:
    """Run run() forever. When it raises (or returns), log it and start it again after a delay
    that doubles up to max_delay, and goes back to first_delay after a run that lasted
    healthy_after seconds. Only cancellation stops it."""
    loop = asyncio.get_running_loop()
    delay = first_delay
    while True:
        started = loop.time()
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = first_delay if loop.time() - started >= healthy_after else delay
            log.warning(
                "%s failed (%s: %s); restarting in %.1f s",
                name,
                type(exc).__name__,
                str(exc)[:200],
                delay,
                exc_info=not isinstance(exc, WEATHER),
            )
        else:
            delay = first_delay if loop.time() - started >= healthy_after else delay
            log.warning("%s stopped; restarting in %.1f s", name, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def every(
    interval: float, work: Callable[[], Awaitable[object]], *, limit: float, first: float = 0
) -> NoReturn:
    """Call work() every interval seconds (the first time after `first`), each call within
    limit seconds: a hung round raises TimeoutError to the supervisor instead of stalling."""
    await asyncio.sleep(first)
    while True:
        async with asyncio.timeout(limit):
            await work()
        await asyncio.sleep(interval)


def spawn(name: str, run: Callable[[], Awaitable[object]], **backoff: float) -> asyncio.Task[None]:
    """Start run() under supervise() as a task named name."""
    return asyncio.create_task(supervise(name, run, **backoff), name=name)


async def stop(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait until each has finished."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
