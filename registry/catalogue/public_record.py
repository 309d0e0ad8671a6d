"""Whether the list in force is the county's official list or still the shipped reconstruction.

Every public page says so in one line while it is the reconstruction. The flag (list_record,
migration 0014) changes only with the list, and its trigger NOTIFYs like the list's: so it is
read once per page-cache generation, and a page rendered from the cache never carries a notice
older than the cache itself."""

from __future__ import annotations

import asyncio

from registry.catalogue.queries import imports as iq
from registry.infra.db import Pool


class ListRecord:
    """Per worker (registry.web.state.Worker.record): the flag as read for one page-cache
    generation, passed in by the caller with the pool to read it from."""

    def __init__(self) -> None:
        self.generation = -1
        self.official: bool | None = None  # None: not read yet, so the notice shows
        self.asked = False  # nobody needed it yet: a template alone does not start a read
        self._refresh: asyncio.Task[bool] | None = None

    async def ensure(self, pool: Pool, generation: int) -> bool:
        """Read the flag if the list changed since it was last read (call before rendering a
        cached page)."""
        self.asked = True
        if generation != self.generation:
            async with pool.acquire() as conn:
                official = await iq.list_official(conn)
            self.official, self.generation = official, generation
        return bool(self.official)

    def notice(self, pool: Pool, generation: int) -> bool:
        """For templates, which cannot wait: the last value read, refreshed in the background
        when the list changed since. Unknown means the notice shows."""
        if not self.asked:
            return True
        if generation != self.generation and (self._refresh is None or self._refresh.done()):
            try:
                self._refresh = asyncio.get_running_loop().create_task(
                    self.ensure(pool, generation)
                )
                self._refresh.add_done_callback(_quiet)
            except RuntimeError:  # rendered outside the event loop: keep what we know
                pass
        return not self.official


def _quiet(task: asyncio.Task[bool]) -> None:
    """A failed background read (database away) is retried on the next page; not logged."""
    if not task.cancelled():
        task.exception()
