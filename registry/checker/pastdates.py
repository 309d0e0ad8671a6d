"""Questions about another date than today: admitted within bounds, and on a large list
answered by a child process that keeps a few of those dates' indexes.

A 200,000-item index takes 25-30 s and ~150 MB to build. A worker keeps today's only; the
index of another date lives in the child, which sends back the answer (a few KB), never the
index. One child per worker, one question at a time: it uses one core at most, and the
worker's event loop never builds. Waiting is bounded (Gate): per client, in all, and in
distinct lists to build; beyond that the caller is told to come back later.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import multiprocessing
from collections import Counter, OrderedDict
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from registry.catalogue.queries import certificates as q
from registry.catalogue.queries import vocabulary as vq
from registry.catalogue.vocab import Vocabulary
from registry.checker.decide import Index, Question, run
from registry.infra.db import connect

CHILD_LISTS = 2  # indexes the child keeps (two 200,000-item lists: ~300 MB, in the child)
BUILDS_PER_CHILD = 8  # then a fresh child: every build leaves fragmented memory behind
IDLE_S = 300.0  # a child without questions for this long exits, freeing all of it
RETRY_AFTER_S = 30  # what a refused caller is told (a large build takes about that long)


class Busy(Exception):
    """Too much is waiting already: 503, try again later."""


class ClientBusy(Busy):
    """This client already has its share of questions waiting: 429."""


class Gate:
    """Bounds on waiting questions about other dates: per client, in all, and in distinct
    lists not yet built (each may cost a long build; more of them only queue up)."""

    def __init__(self, per_client: int, waiting: int, lists: int) -> None:
        self.per_client, self.waiting, self.lists = per_client, waiting, lists
        self._clients: Counter[str] = Counter()
        self._building: Counter[dt.date] = Counter()
        self.count = 0

    @contextlib.contextmanager
    def admit(self, client: str, epoch: dt.date, built: bool) -> Iterator[None]:
        if self._clients[client] >= self.per_client:
            raise ClientBusy
        new_list = not built and epoch not in self._building
        if self.count >= self.waiting or (new_list and len(self._building) >= self.lists):
            raise Busy
        self.count += 1
        self._clients[client] += 1
        if not built:
            self._building[epoch] += 1
        try:
            yield
        finally:
            self.count -= 1
            self._clients[client] -= 1
            if not self._clients[client]:
                del self._clients[client]
            if not built:
                self._building[epoch] -= 1
                if not self._building[epoch]:
                    del self._building[epoch]


class PastLists:
    """The worker's side: one child at a time, asked through a pipe. The worker mirrors which
    lists the child holds (same eviction rule), and retires the child when it has been idle
    for IDLE_S or, once idle, after BUILDS_PER_CHILD builds."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._child: _Child | None = None
        self._idle: asyncio.TimerHandle | None = None

    def holds(self, generation: int, epoch: dt.date) -> bool:
        return self._child is not None and (generation, epoch) in self._child.kept

    async def ask(self, generation: int, epoch: dt.date, op: str, arg: Any) -> Any:
        """op 'decide' (arg a Question): the verdict as JSON bytes; 'search' (arg the text):
        the codes it means."""
        if self._idle:
            self._idle.cancel()
        child = self._child
        if child is None or not child.alive:
            child = self._child = _Child(self.dsn)
        try:
            return await child.ask(generation, epoch, op, arg)
        finally:
            if not child.pending:
                if child.builds >= BUILDS_PER_CHILD or not child.alive:
                    self._retire(child)
                else:
                    loop = asyncio.get_running_loop()
                    self._idle = loop.call_later(IDLE_S, self._retire, child)

    def _retire(self, child: _Child) -> None:
        child.close()
        if child is self._child:
            self._child = None

    def close(self) -> None:
        if self._idle:
            self._idle.cancel()
        if self._child:
            self._retire(self._child)


class _Child:
    def __init__(self, dsn: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, theirs = ctx.Pipe()
        # Daemonic: ended with the worker, whatever it is doing (a build can take 30 s).
        self._proc = ctx.Process(target=_serve, args=(dsn, theirs), daemon=True)
        self._proc.start()
        theirs.close()
        self.pending: dict[int, asyncio.Future[tuple[Any, bool]]] = {}
        self.kept: OrderedDict[tuple[int, dt.date], None] = OrderedDict()
        self.builds = 0
        self.alive = True
        self._ids = itertools.count()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._conn.fileno(), self._read)

    async def ask(self, generation: int, epoch: dt.date, op: str, arg: Any) -> Any:
        n = next(self._ids)
        answer = self.pending[n] = self._loop.create_future()
        try:
            self._conn.send((n, generation, epoch, op, arg))
            result, built = await answer
        except (OSError, EOFError) as exc:
            raise Busy from exc
        finally:
            self.pending.pop(n, None)
        key = (generation, epoch)
        if key in self.kept:
            self.kept.move_to_end(key)
        else:
            _make_room(self.kept, key)
            self.kept[key] = None
        self.builds += built
        return result

    def _read(self) -> None:
        try:
            n, ok, payload, built = self._conn.recv()
        except (OSError, EOFError):  # the child died (out of memory?): a fresh one next time
            self.close()
            return
        answer = self.pending.get(n)
        if answer is None or answer.done():  # the asker gave up
            return
        if ok:
            answer.set_result((payload, built))
        else:
            answer.set_exception(RuntimeError(f"past-date child: {payload}"))

    def close(self) -> None:
        """Closing the pipe ends the child once its current question is done."""
        if not self.alive:
            return
        self.alive = False
        self._loop.remove_reader(self._conn.fileno())
        self._conn.close()
        for answer in self.pending.values():
            if not answer.done():
                answer.set_exception(Busy())
        self._proc.join(0)


def _make_room(kept: OrderedDict[tuple[int, dt.date], Any], key: tuple[int, dt.date]) -> None:
    """The child's eviction rule, mirrored by the worker: lists of an older generation go
    first, then the least recently asked, until one more fits in CHILD_LISTS."""
    for old in [k for k in kept if k[0] != key[0]]:
        del kept[old]
    while len(kept) >= CHILD_LISTS:
        kept.popitem(last=False)


# ---- in the child process -----------------------------------------------------------------


def _serve(dsn: str, conn: Connection) -> None:
    """Answer questions in order until the worker closes the pipe."""
    indexes: OrderedDict[tuple[int, dt.date], Index] = OrderedDict()
    while True:
        try:
            n, generation, epoch, op, arg = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result, built = _answer(indexes, dsn, generation, epoch, op, arg)
            conn.send((n, True, result, built))
        except Exception as exc:  # reported to the asker; the child goes on
            conn.send((n, False, f"{type(exc).__name__}: {exc}", False))


def _answer(
    indexes: OrderedDict[tuple[int, dt.date], Index],
    dsn: str,
    generation: int,
    epoch: dt.date,
    op: str,
    arg: Any,
) -> tuple[Any, bool]:
    key = (generation, epoch)
    index = indexes.get(key)
    built = index is None
    if index is None:
        _make_room(indexes, key)  # before building: never CHILD_LISTS + 1 large indexes
        certs, vocab = asyncio.run(_load(dsn, epoch))
        index = indexes[key] = Index(certs, epoch, vocab)
    else:
        indexes.move_to_end(key)
    if op == "decide":
        assert isinstance(arg, Question)
        return msgspec.json.encode(run(op, arg, index)), built
    return run(op, arg, index), built


async def _load(dsn: str, on: dt.date) -> tuple[list[Any], Vocabulary]:
    """The list in force on a date, and the vocabulary (the current one, whatever the date)."""
    conn = await connect(dsn)
    try:
        return await q.in_force(conn, on=on), await vq.current(conn)
    finally:
        await conn.close()
