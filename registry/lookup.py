"""Per worker: checker indexes of the list in force, and encoded answers to repeat questions.
Both are dropped when the list changes (NOTIFY, see listen.py), so workers agree within a second."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import pickle
import tempfile
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from registry import clock
from registry.checker import Index
from registry.db import connect
from registry.models import Certificate
from registry.queries import certificates as q

# Indexes kept per worker, by total items: for the seed list many dates, for a 200,000-item
# list only the latest (each costs ~150 MB there).
MAX_ITEMS = 250_000
MAX_ANSWERS = 20_000
CHILD_FROM = 20_000  # items from which an index is built in a child process


class Lookup:
    def __init__(self, dsn: str | None = None) -> None:
        self.dsn = dsn  # without one (tests' single connection) every build is in-process
        self.generation = 0
        self._indexes: OrderedDict[dt.date, Index] = OrderedDict()
        self._lock = asyncio.Lock()
        self.answers: dict[bytes, bytes] = {}

    def clear(self) -> None:
        self.generation += 1
        self._indexes.clear()
        self.answers.clear()

    @staticmethod
    def answer_key(query_string: bytes) -> bytes:
        """Answers depend on the question and, without on=, on today's list."""
        return clock.today().isoformat().encode() + query_string

    def remember(self, key: bytes, body: bytes, generation: int) -> None:
        """Keep an answer unless the list changed while it was being worked out."""
        if generation != self.generation:
            return
        if len(self.answers) >= MAX_ANSWERS:
            self.answers.clear()
        self.answers[key] = body

    async def index(self, pool: Any, on: dt.date) -> Index:
        """The index for a date, built once; one build at a time so a burst waits for it."""
        ix = self._indexes.get(on)
        if ix is not None:
            return ix
        async with self._lock:
            ix = self._indexes.get(on)
            if ix is not None:
                return ix
            generation = self.generation
            async with pool.acquire() as conn:
                large = bool(self.dsn) and await q.count_certificates(conn, on=on) >= CHILD_FROM
                certs = None if large else await q.in_force(conn, on=on)
            if certs is None:
                ix = await _build_in_child(str(self.dsn), on)
            elif len(certs) > 2000:  # seconds of keying: off the event loop
                ix = await asyncio.to_thread(Index, certs, on)
            else:
                ix = Index(certs, on)
            if generation == self.generation:
                self._indexes[on] = ix
                self._evict(keep=clock.today())
            return ix

    def _evict(self, keep: dt.date) -> None:
        """Oldest first, down to MAX_ITEMS in all; today's index stays whatever its size, so
        questions about other dates can never push out the one almost everybody uses."""
        for day in list(self._indexes):
            if sum(map(len, self._indexes.values())) <= MAX_ITEMS:
                return
            if day != keep:
                del self._indexes[day]


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
    async def load() -> list[Certificate]:
        conn = await connect(dsn)
        try:
            return await q.in_force(conn, on=on)
        finally:
            await conn.close()

    with path.open("wb") as f:
        pickle.dump(Index(asyncio.run(load()), on), f, protocol=pickle.HIGHEST_PROTOCOL)


def _read_index(path: Path) -> Index:
    with path.open("rb") as f:
        index = pickle.load(f)  # our own child wrote it, to a file only we can write
    assert isinstance(index, Index)
    return index
