"""Per worker: checker indexes of the list, and encoded answers to repeat questions.
All dropped when the list changes (NOTIFY, see listen.py), so workers agree within a second.

Dates are mapped to epochs first: the list in force changes only on the dates some version
starts or ends, so every date from one such boundary to the next has the same list and shares
one index (most questions about "last month" are answered by today's index)."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import pickle
import tempfile
from bisect import bisect_right
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from registry.catalogue.models import Certificate
from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import vocabulary as vq
from registry.catalogue.vocab import Vocabulary
from registry.checker.decide import Index, MatterGuide, Question, Verdict, run
from registry.checker.pastdates import Busy, ClientBusy, Gate, PastLists
from registry.infra import clock
from registry.infra.cache import BoundedCache
from registry.infra.db import connect

__all__ = ["Busy", "ClientBusy", "Lookup"]

# Indexes kept per worker, by total items: for the seed list many epochs, for a 200,000-item
# list only today's (each costs ~150 MB there).
MAX_ITEMS = 250_000
CHILD_FROM = 20_000  # items from which indexes are built, and other dates answered, in a child
# Encoded answers (~1-3 KB each): 16 MB is ~8,000 questions, far more than people ask in a day.
ANSWER_BYTES = 16 * 2**20
ANSWER_KEY = 2048  # a parsed question is at most ~1 KB; nothing longer is remembered
ANSWER_ENTRY = 64 * 2**10
# Questions about another date than today that wait for an index (see pastdates.Gate).
PAST_PER_CLIENT = 2
PAST_WAITING = 16
PAST_LISTS = 2

# Every date on which the list in force may change, and how many items there are at all.
SHAPE_SQL = """
    SELECT coalesce(array_agg(d ORDER BY d), '{}') AS bounds,
           (SELECT count(*) FROM certificates) AS items
    FROM (SELECT valid_from AS d FROM certificate_versions WHERE superseded_at IS NULL
          UNION
          SELECT valid_to FROM certificate_versions
          WHERE superseded_at IS NULL AND valid_to IS NOT NULL) AS changes
"""


class Shape(NamedTuple):
    bounds: list[dt.date]
    items: int

    def epoch(self, day: dt.date) -> dt.date:
        """The last change on or before day (date.min before the first): same epoch, same list."""
        i = bisect_right(self.bounds, day)
        return self.bounds[i - 1] if i else dt.date.min


class Lookup:
    def __init__(self, dsn: str | None = None) -> None:
        self.dsn = dsn  # without one (tests' single connection) every build is in-process
        self.answers: BoundedCache[bytes] = BoundedCache(
            ANSWER_BYTES, ANSWER_ENTRY, len, max_key=ANSWER_KEY
        )
        self._indexes: OrderedDict[dt.date, Index] = OrderedDict()  # by epoch
        self._builds: dict[tuple[int, dt.date], asyncio.Future[Index]] = {}
        self._shape: asyncio.Future[Shape] | None = None
        self.gate = Gate(PAST_PER_CLIENT, PAST_WAITING, PAST_LISTS)
        self._past = PastLists(dsn) if dsn else None

    @property
    def generation(self) -> int:
        return self.answers.generation

    def clear(self) -> None:
        self.answers.clear()  # moves the generation on
        self._indexes.clear()
        self._builds.clear()
        self._shape = None

    def close(self) -> None:
        if self._past:
            self._past.close()

    @staticmethod
    def answer_key(question: Question, on: dt.date | None) -> bytes:
        """The parsed question and the date it is about (today's when not given)."""
        day = (on or clock.today()).isoformat()
        return msgspec.json.encode((day, question.name, question.matter, question.department))

    def remember(self, key: bytes, body: bytes, generation: int) -> None:
        """Keep an answer unless the list changed while it was being worked out."""
        self.answers.put(key, body, generation)

    def ready(self, on: dt.date | None) -> Index | None:
        """The index for the date when it is already in this worker's memory (else None): the
        door answers a new question from it without going through routing."""
        shape = self._shape
        if shape is None or not shape.done() or shape.cancelled() or shape.exception():
            return None
        found = shape.result()
        return self._indexes.get(found.epoch(on or clock.today()))

    async def verdict(
        self, pool: Any, question: Question, on: dt.date | None = None, client: str = ""
    ) -> Verdict:
        """Raises Busy (ClientBusy) when a question about another date would wait too long."""
        found = await self._ask(pool, on, client, "decide", question)
        if isinstance(found, bytes):
            return msgspec.json.decode(found, type=Verdict)
        assert isinstance(found, Verdict)
        return found

    async def search(
        self, pool: Any, text: str, on: dt.date | None = None, client: str = ""
    ) -> list[str]:
        """The codes a list search means; raises Busy like verdict()."""
        found = await self._ask(pool, on, client, "search", text)
        assert isinstance(found, list)
        return found

    async def guide(
        self, pool: Any, text: str, on: dt.date | None = None, client: str = ""
    ) -> list[MatterGuide]:
        """The matter guide: official matters the words mean; raises Busy like verdict()."""
        found = await self._ask(pool, on, client, "guide", text)
        assert isinstance(found, list)
        return found

    async def matter(
        self, pool: Any, matter: str, on: dt.date | None = None, client: str = ""
    ) -> MatterGuide | None:
        """One official matter's page; raises Busy like verdict()."""
        found = await self._ask(pool, on, client, "matter", matter)
        assert found is None or isinstance(found, MatterGuide)
        return found

    async def index(self, pool: Any, on: dt.date) -> Index:
        """The index for a date, in this worker, whatever the list's size (for callers that
        need the index itself; questions should use verdict())."""
        shape = await self._current_shape(pool)
        epoch = shape.epoch(on)
        return self._indexes.get(epoch) or await self._index(pool, shape, epoch)

    async def _ask(self, pool: Any, on: dt.date | None, client: str, op: str, arg: Any) -> Any:
        shape = await self._current_shape(pool)
        today = shape.epoch(clock.today())
        epoch = today if on is None else shape.epoch(on)
        index = self._indexes.get(epoch)
        if index is None and epoch == today:  # never waits behind another date's build
            index = await self._index(pool, shape, epoch)
        if index is None:
            generation = self.generation
            past = self._past if shape.items >= CHILD_FROM else None
            held = past is not None and past.holds(generation, epoch)
            with self.gate.admit(client, epoch, built=held):
                if past is not None:
                    return await past.ask(generation, epoch, op, arg)
                index = await self._index(pool, shape, epoch)
        return run(op, arg, index)

    async def _current_shape(self, pool: Any) -> Shape:
        if self._shape is None or (self._shape.done() and self._shape.exception()):
            self._shape = asyncio.ensure_future(_load_shape(pool))
        return await asyncio.shield(self._shape)

    async def _index(self, pool: Any, shape: Shape, epoch: dt.date) -> Index:
        """One build per epoch at a time, whoever asks; a caller giving up does not stop it."""
        key = (self.generation, epoch)
        build = self._builds.get(key)
        if build is None:
            build = self._builds[key] = asyncio.ensure_future(self._build(pool, shape, epoch))
            build.add_done_callback(lambda done: self._built(key, done))
        return await asyncio.shield(build)

    def _built(self, key: tuple[int, dt.date], build: asyncio.Future[Index]) -> None:
        if self._builds.get(key) is build:
            del self._builds[key]
        if not build.cancelled():
            build.exception()  # retrieved here: its askers may all have gone

    async def _build(self, pool: Any, shape: Shape, epoch: dt.date) -> Index:
        generation = self.generation
        today = shape.epoch(clock.today())
        if self.dsn and shape.items >= CHILD_FROM:
            index = await _build_in_child(self.dsn, epoch)
        else:
            async with pool.acquire() as conn:
                certs = await q.in_force(conn, on=epoch)
                vocab = await vq.current(conn)  # the office's words: the same on every date
            if epoch == today and len(certs) <= 2000:
                index = Index(certs, epoch, vocab)
            else:  # off the event loop: today's questions go on meanwhile
                index = await asyncio.to_thread(Index, certs, epoch, vocab)
        if generation == self.generation:
            self._indexes[epoch] = index
            self._evict(keep=today)
        return index

    def _evict(self, keep: dt.date) -> None:
        """Oldest first, down to MAX_ITEMS in all; today's index stays whatever its size, so
        questions about other dates can never push out the one almost everybody uses."""
        for day in list(self._indexes):
            if sum(map(len, self._indexes.values())) <= MAX_ITEMS:
                return
            if day != keep:
                del self._indexes[day]


async def _load_shape(pool: Any) -> Shape:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SHAPE_SQL)
    return Shape(list(row["bounds"]), int(row["items"]))


async def _build_in_child(dsn: str, on: dt.date) -> Index:
    """Build a large index in a fresh process and receive only the finished index. Building one
    leaves hundreds of MB of freed-but-fragmented memory behind (records, temporary key dicts,
    the pinyin phrase dictionary); in a child that all goes away when it exits. The index comes
    back through a file, read as a stream: never all of it at once as bytes in the worker."""
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    fd, name = tempfile.mkstemp(prefix="registry-index-", suffix=".pickle")
    os.close(fd)
    path = Path(name)
    try:
        await loop.run_in_executor(pool, _child_build, dsn, on, path)
        return await asyncio.to_thread(_read_index, path)
    finally:
        pool.shutdown(wait=False)
        await asyncio.to_thread(path.unlink, missing_ok=True)


def _child_build(dsn: str, on: dt.date, path: Path) -> None:
    async def load() -> tuple[list[Certificate], Vocabulary]:
        conn = await connect(dsn)
        try:
            return await q.in_force(conn, on=on), await vq.current(conn)
        finally:
            await conn.close()

    certs, vocab = asyncio.run(load())
    with path.open("wb") as f:
        pickle.dump(Index(certs, on, vocab), f, protocol=pickle.HIGHEST_PROTOCOL)


def _read_index(path: Path) -> Index:
    with path.open("rb") as f:
        index = pickle.load(f)  # our own child wrote it, to a file only we can write
    assert isinstance(index, Index)
    return index
