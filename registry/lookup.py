"""Per worker: checker indexes of the list in force, and encoded answers to repeat questions.
Both are dropped when the list changes (NOTIFY, see listen.py), so workers agree within a second."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from typing import Any

from registry.checker import Index
from registry.queries import certificates as q

MAX_DATES = 8
MAX_ANSWERS = 20_000


class Lookup:
    def __init__(self) -> None:
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
        return dt.date.today().isoformat().encode() + query_string

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
                certs = await q.in_force(conn, on=on)
            # Large lists take seconds to key: build off the event loop.
            ix = (
                await asyncio.to_thread(Index, certs, on) if len(certs) > 2000 else Index(certs, on)
            )
            if generation == self.generation:
                self._indexes[on] = ix
                while len(self._indexes) > MAX_DATES:
                    self._indexes.popitem(last=False)
            return ix
