"""Map and validate chunks of raw records in worker processes while the build loads.

A build's map and validate stages are pure per record and take about as long as its load stage,
which must stay in one process (one writer per store). A :class:`MappingPool` runs them in
``workers`` processes, a chunk at a time, while the caller loads the chunks already done: on two
cores the two halves overlap instead of adding up. Chunks come back in input order, so a
parallel build writes exactly what a serial one writes. A worker also builds the search
documents of the records it accepted, so the loading process does not walk their triples again.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from multiprocessing import get_context

from mlkg.provenance import RunContext, map_one
from mlkg.records import MappedRecord, RawRecord, Verdict

logger = logging.getLogger(__name__)

ValidateFn = Callable[[Sequence[MappedRecord]], list[Verdict]]

#: prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1

#: Most worker processes a build starts: beyond this the single loading process is the limit.
MAX_WORKERS = 3


def default_workers() -> int:
    """One core for the loading process, the others (up to :data:`MAX_WORKERS`) for mapping."""
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


@cache
def default_validator() -> ValidateFn:
    """The shipped shapes, compiled once per process (compiling takes about a second)."""
    from mlkg.validation import Validator

    return Validator().validate


@dataclass
class MappedChunk:
    """One chunk's verdicts, in input order, and the seconds each stage took where it ran."""

    verdicts: list[Verdict]
    seconds: dict[str, float] = field(default_factory=dict)


def map_and_validate(
    raws: Sequence[RawRecord], context: RunContext, validate: ValidateFn
) -> MappedChunk:
    """Map then validate one chunk in this process."""
    start = time.perf_counter()
    mapped = [map_one(raw, context) for raw in raws]
    mapped_at = time.perf_counter()
    verdicts = validate(mapped)
    done = time.perf_counter()
    return MappedChunk(verdicts, {"map": mapped_at - start, "validate": done - mapped_at})


class MappingPool:
    """``workers`` processes that map and validate chunks for one load; a context manager.

    Open it before the store: the workers are forked when it opens, so they copy a process
    that holds no open store, and inherit the compiled shapes and the run's context instead of
    rebuilding them. Fork keeps scripts and notebooks that call :func:`mlkg.pipeline.build`
    working as they are (``spawn`` would re-run a script without a ``__main__`` guard in every
    worker); where fork is not the platform's safe default (anything but Linux) the pool maps
    in this process instead.
    """

    def __init__(self, context: RunContext, workers: int):
        self.context = context
        self.workers = workers if sys.platform.startswith("linux") else 0
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> MappingPool:
        if self.workers > 0:
            global _context
            _context = self.context
            default_validator()
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=get_context("fork"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            self._pool.submit(int).result()  # forks every worker now, before a store opens
        return self

    def __exit__(self, *exc: object) -> None:
        global _context
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _context = None

    def map(
        self, raw_chunks: Iterable[Sequence[RawRecord]], validate: ValidateFn | None = None
    ) -> Iterator[MappedChunk]:
        """Map and validate each chunk, yielding them in input order.

        Runs in this process without workers or with a custom ``validate`` (the workers use
        the shipped shapes); otherwise at most ``workers + 1`` chunks are in flight, so memory
        stays bounded. If a worker dies, its chunks and the rest are mapped here.
        """
        if self._pool is None or validate is not None:
            validate = validate or default_validator()
            for raws in raw_chunks:
                yield map_and_validate(raws, self.context, validate)
            return
        in_flight: deque[tuple[list[RawRecord], Future[MappedChunk] | None]] = deque()
        for raws in raw_chunks:
            batch = list(raws)
            in_flight.append((batch, self._submit(batch)))
            if len(in_flight) > self.workers:
                yield self._result(*in_flight.popleft())
        while in_flight:
            yield self._result(*in_flight.popleft())

    def _submit(self, raws: list[RawRecord]) -> Future[MappedChunk] | None:
        if self._pool is None:
            return None
        try:
            return self._pool.submit(_work, raws)
        except BrokenProcessPool:
            self._lost()
            return None

    def _result(self, raws: list[RawRecord], future: Future[MappedChunk] | None) -> MappedChunk:
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                self._lost()
        return map_and_validate(raws, self.context, default_validator())

    def _lost(self) -> None:
        """A worker died (killed, out of memory): map the rest of the run in this process."""
        if self._pool is not None:
            logger.warning("a mapping worker died; mapping the rest in this process")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# -- inside a worker process -------------------------------------------------------------------

#: The run's context, set in the parent before the workers are forked.
_context: RunContext | None = None


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the build process dies (even by SIGKILL): a worker
    waits on a queue whose other end it also holds, so it would otherwise wait forever."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        logger.warning("cannot tie the mapping worker to its parent: errno %d", ctypes.get_errno())
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _work(raws: list[RawRecord]) -> MappedChunk:
    from mlkg.search import record_documents

    assert _context is not None, "the pool sets the context before forking"
    chunk = map_and_validate(raws, _context, default_validator())
    start = time.perf_counter()
    for verdict in chunk.verdicts:
        if verdict.accepted:
            verdict.record.documents = record_documents(verdict.record, _context.iris)
    chunk.seconds["index"] = time.perf_counter() - start
    return chunk
