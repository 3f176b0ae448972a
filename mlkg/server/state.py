"""The running server's state: settings, limits and the worker pools, one per app.

With an external store (``MLKG_STORE_URL``) there are no workers: a
:class:`mlkg.server.remote.RemoteExecutor` proxies every job to the store instead.

Views reach it with :func:`server_state`. Other parts of the web app (UI, resource pages) run
queries through :meth:`ServerState.select` / :meth:`ServerState.query`, so every read gets the
same snapshot isolation, timeout and row cap as the endpoint.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import current_app

from mlkg.config import Settings
from mlkg.server.execute import GraphReadJob, GraphWriteJob, Outcome, QueryJob, UpdateJob
from mlkg.server.settings import ServerSettings
from mlkg.server.workers import WorkerPool

EXTENSION = "mlkg"


class ServerState:
    """Settings plus lazily started worker pools (readers for queries, one writer)."""

    def __init__(self, settings: Settings, limits: ServerSettings):
        self.settings = settings
        self.limits = limits
        self._lock = threading.Lock()
        self._readers: WorkerPool | None = None
        self._writer: WorkerPool | None = None

    def start(self) -> None:
        """Start the workers now rather than on the first request."""
        self._pool("reader")
        if self.settings.update_token:
            self._pool("writer")

    def _pool(self, role: str) -> WorkerPool:
        if self.settings.remote:
            return self._remote()  # type: ignore[return-value]
        with self._lock:
            if role == "reader":
                if self._readers is None:
                    self._readers = WorkerPool(self.settings, size=self.limits.workers, role=role)
                return self._readers
            if self._writer is None:
                self._writer = WorkerPool(self.settings, size=1, role=role)
            return self._writer

    def _remote(self):
        """An external store (``MLKG_STORE_URL``): jobs are proxied to it, no workers."""
        from mlkg.server.remote import RemoteExecutor

        with self._lock:
            if self._readers is None:
                self._readers = RemoteExecutor(self.settings, size=self.limits.workers)  # type: ignore[assignment]
            return self._readers

    def query(self, job: QueryJob | GraphReadJob, *, what: str = "query") -> Outcome:
        """Run a read on a reader worker, with the query timeout and the queue timeout."""
        return self._pool("reader").run(
            job,
            timeout=self.limits.query_timeout,
            queue_timeout=self.limits.queue_timeout,
            what=what,
        )

    def write(self, job: UpdateJob | GraphWriteJob, *, what: str = "update") -> Outcome:
        """Run a write on the writer worker (one at a time), with the same timeouts."""
        return self._pool("writer").run(
            job,
            timeout=self.limits.query_timeout,
            queue_timeout=self.limits.queue_timeout,
            what=what,
        )

    def select(self, sparql: str, *, max_rows: int | None = None) -> dict[str, Any]:
        """Run a SELECT/ASK on the current snapshot; SPARQL JSON results as a dict.

        The dict has ``"truncated": True`` when the row cap cut it. Errors raise
        :class:`mlkg.server.errors.HttpError` with the status an endpoint would answer.
        """
        from mlkg.server.errors import HttpError

        json_type = "application/sparql-results+json"
        job = QueryJob(
            query=sparql,
            base_iri=None,
            default_graph=None,
            named_graphs=None,
            results_type=json_type,
            boolean_type=json_type,
            graph_type=None,
            max_rows=max_rows or self.limits.max_result_rows,
        )
        outcome = self.query(job)
        if outcome.status >= 400:
            raise HttpError(outcome.message or "error", status=outcome.status)
        return json.loads(outcome.body)

    def worker_pids(self) -> dict[str, list[int]]:
        with self._lock:
            pools = {"readers": self._readers, "writer": self._writer}
        return {name: pool.pids() for name, pool in pools.items() if pool is not None}

    def close(self) -> None:
        with self._lock:
            pools = [p for p in (self._readers, self._writer) if p is not None]
            self._readers = self._writer = None
        for pool in pools:
            pool.close()


def server_state() -> ServerState:
    return current_app.extensions[EXTENSION]
