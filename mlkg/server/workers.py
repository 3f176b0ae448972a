"""Worker processes: parallel queries on both cores, and a timeout that really stops the work.

Pyoxigraph evaluates a query inside one Python call that cannot be interrupted, and holds the
GIL only part of the time; a thread that runs away cannot be stopped. So each job runs in a
worker process (:mod:`mlkg.server.execute`), and a job past its timeout gets its worker killed
and replaced. Answers are produced whole in the worker and sent back over a pipe before the
HTTP response starts, so a client never gets a 200 with a cut body.

A :class:`WorkerPool` of ``reader`` workers answers queries (``MLKG_WORKERS`` of them, default
one per CPU); a pool of one ``writer`` serialises updates. Requests beyond the free workers
wait up to ``queue_timeout`` and then get 503.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import mlkg
from mlkg.config import Settings
from mlkg.server.errors import HttpError, ServiceUnavailable
from mlkg.server.execute import Job, Outcome

logger = logging.getLogger(__name__)

#: A worker's program (not ``-m``: its classes must pickle as ``mlkg.server.execute.*``).
_WORKER_MAIN = "from mlkg.server.execute import main; main()"
#: Seconds to wait for a worker to exit after its pipe closes, before killing it.
_EXIT_GRACE = 2.0


@dataclass(eq=False)  # identity semantics: workers live in a set
class Worker:
    process: subprocess.Popen
    connection: Connection

    def kill(self) -> None:
        self.connection.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(_EXIT_GRACE)

    def stop(self) -> None:
        """Close the pipe (the worker exits after its current job); kill it if it lingers."""
        self.connection.close()
        try:
            self.process.wait(_EXIT_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()


class WorkerPool:
    """``size`` worker processes of one role; :meth:`run` sends a job to a free one.

    Each worker is a fresh interpreter (:func:`mlkg.server.execute.main`) talking over a socket
    pair: not a fork, since the server has threads whose locks a fork would copy in whatever
    state they were, and not multiprocessing's spawn, which re-imports the caller's main script.
    """

    def __init__(self, settings: Settings, *, size: int, role: str):
        self.settings = settings
        self.size = size
        self.role = role
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> Worker:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        package_root = str(Path(mlkg.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(theirs.fileno()), self.role],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        connection = Connection(ours.detach())
        connection.send(self.settings)
        worker = Worker(process, connection)
        with self._lock:
            self._all.add(worker)
        return worker

    def run(
        self, job: Job, *, timeout: float, queue_timeout: float, what: str = "query"
    ) -> Outcome:
        """Run ``job`` on a free worker and return its complete outcome.

        Raises:
            ServiceUnavailable: no worker became free within ``queue_timeout``, or the job ran
                past ``timeout`` (its worker is then killed and replaced).
            HttpError: the worker died (500).
        """
        if self._closed:
            raise ServiceUnavailable("the server is shutting down")
        try:
            worker = self._idle.get(timeout=queue_timeout)
        except queue.Empty:
            raise ServiceUnavailable(
                f"all {self.size} {self.role} workers stayed busy for {queue_timeout:g} s "
                "(MLKG_QUEUE_TIMEOUT); try again later",
                headers={"Retry-After": "5"},
            ) from None
        healthy = False
        try:
            worker.connection.send(job)
            if not worker.connection.poll(timeout):
                raise ServiceUnavailable(
                    f"the {what} ran longer than the {timeout:g} s limit (MLKG_QUERY_TIMEOUT) "
                    "and was stopped; make it more selective (LIMIT, more specific patterns)"
                )
            outcome = worker.connection.recv()
            healthy = True
            return outcome
        except (EOFError, OSError) as exc:
            raise HttpError(f"the {self.role} worker died while running the {what}") from exc
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and start another in the background, so the answer is not delayed."""
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if self._closed:
            return

        def start() -> None:
            if not self._closed:
                self._idle.put(self._start())

        threading.Thread(target=start, name="mlkg-worker-restart", daemon=True).start()

    def pids(self) -> list[int]:
        """Process ids of the live workers (for ``/-/status`` and tests)."""
        with self._lock:
            return sorted(w.process.pid for w in self._all)

    def close(self) -> None:
        """Stop every worker: close their pipes (they exit), kill those that do not."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.connection.close()
        for worker in workers:
            worker.stop()
