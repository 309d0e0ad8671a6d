"""One small cache for everything a worker remembers for anonymous callers: least recently
used first out, bounded in bytes (keys and values), never by entry count, so a few large
entries cannot outgrow the budget that many small ones respect."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")

# What a stored entry costs beyond its key and value: the dict slot and linked-list node of
# the OrderedDict and the object headers (measured ~150-250 bytes; rounded up).
ENTRY_OVERHEAD = 256


class BoundedCache(Generic[V]):
    """LRU within max_bytes. An entry bigger than max_entry, or whose key is longer than
    max_key (a question with absurdly long values), is not kept at all: it is answered, once.

    `generation` guards against storing stale work: take it before computing a value, pass it
    to put(); clear() (the list changed) moves it on, so a value computed from the old list
    is dropped instead of stored."""

    def __init__(
        self, max_bytes: int, max_entry: int, value_size: Callable[[V], int], *, max_key: int
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self.max_key = max_key
        self._value_size = value_size
        self._entries: OrderedDict[bytes, tuple[V, int]] = OrderedDict()
        self.nbytes = 0
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: bytes) -> bool:
        return key in self._entries

    def get(self, key: bytes) -> V | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        self._entries.move_to_end(key)
        return hit[0]

    def put(self, key: bytes, value: V, generation: int) -> bool:
        """Keep value unless the cache was cleared since `generation` or it is too big."""
        if generation != self.generation:
            return False
        size = len(key) + self._value_size(value) + ENTRY_OVERHEAD
        if size > self.max_entry or len(key) > self.max_key:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.nbytes -= old[1]
        self._entries[key] = (value, size)
        self.nbytes += size
        while self.nbytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.nbytes -= dropped
        return True

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self.nbytes = 0
