"""The server's jobs run on an external SPARQL store instead of worker processes.

When ``MLKG_STORE_URL`` is set, ``mlkg serve`` keeps no snapshots and starts no workers: each
query is proxied to the store's endpoint (:class:`mlkg.remote_store.RemoteStore`) from the HTTP
thread, and the answer is re-read and re-written by mlkg, so the endpoint keeps its contract:
the formats mlkg negotiates, the row cap with its truncation marker (a result the store itself
reports as partial is marked the same way), 400 with the store's message for a query that does
not parse, 503 past the timeout (the store is told nothing; give it its own timeout, e.g.
``oxigraph serve --timeout-s``), and updates only with the bearer token. ``MLKG_WORKERS`` bounds
how many requests go to the store at once; the rest wait up to ``MLKG_QUEUE_TIMEOUT``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import requests
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    parse,
    parse_query_results,
)

from mlkg.config import Settings
from mlkg.errors import QueryError, StoreError
from mlkg.remote_store import (
    GRAPH_ACCEPT,
    PARTIAL_HEADERS,
    RESULTS_ACCEPT,
    RemoteConfig,
    RemoteStore,
    StoreTimeoutError,
    prologue,
    query_form,
)
from mlkg.server.errors import ServiceUnavailable
from mlkg.server.execute import (
    GraphReadJob,
    GraphWriteJob,
    Job,
    Outcome,
    QueryJob,
    UpdateJob,
)
from mlkg.server.results import render_boolean, render_solutions, render_triples

logger = logging.getLogger(__name__)


class RemoteExecutor:
    """Stands in for :class:`mlkg.server.workers.WorkerPool`: same ``run``, ``pids``, ``close``."""

    def __init__(self, settings: Settings, *, size: int):
        self.settings = settings
        self.size = size
        self.store = RemoteStore(
            RemoteConfig.from_settings(settings),
            base_iri=settings.base_iri,
            read_only=not settings.update_token,
            recover=False,  # a build may be writing: its journal is not ours to undo
        )
        self._slots = threading.BoundedSemaphore(size)

    def run(
        self, job: Job, *, timeout: float, queue_timeout: float, what: str = "query"
    ) -> Outcome:
        """Run ``job`` on the store and return its complete outcome.

        Raises:
            ServiceUnavailable: ``size`` requests were already running on the store for
                ``queue_timeout`` seconds.
        """
        if not self._slots.acquire(timeout=queue_timeout):
            raise ServiceUnavailable(
                f"all {self.size} connections to the store stayed busy for {queue_timeout:g} s "
                "(MLKG_QUEUE_TIMEOUT); try again later",
                headers={"Retry-After": "5"},
            )
        started = time.monotonic()
        try:
            outcome = self._run(job, timeout)
        except QueryError as exc:
            kind = "update" if isinstance(job, UpdateJob) else "query"
            outcome = Outcome.error(400, f"SPARQL {kind} syntax error: {exc}")
        except StoreTimeoutError:
            outcome = _too_long(what, timeout)
        except StoreError as exc:
            outcome = Outcome.error(502, str(exc))
        finally:
            self._slots.release()
        if time.monotonic() - started > timeout and outcome.status < 400:
            return _too_long(what, timeout)
        return outcome

    def _run(self, job: Job, timeout: float) -> Outcome:
        if isinstance(job, QueryJob):
            return self._query(job, timeout)
        if isinstance(job, GraphReadJob):
            return self._read_graph(job, timeout)
        if isinstance(job, UpdateJob):
            text = _base(job.base_iri) + prologue() + job.update
            self.store.post_update(text, timeout=timeout)
            return Outcome(204)
        return self._write_graph(job, timeout)

    # -- reads -------------------------------------------------------------------------------

    def _query(self, job: QueryJob, timeout: float) -> Outcome:
        form = query_form(job.query)
        wanted = {
            "SELECT": (job.results_type, "SELECT query results"),
            "ASK": (job.boolean_type, "an ASK query's boolean result"),
        }.get(form, (job.graph_type, "a CONSTRUCT/DESCRIBE query's graph"))
        if wanted[0] is None:
            return Outcome.error(406, f"none of the formats in Accept can carry {wanted[1]}")
        if job.default_graph is not None or job.named_graphs is not None:
            dataset = [("default-graph-uri", g) for g in job.default_graph or ()]
            dataset += [("named-graph-uri", g) for g in job.named_graphs or ()]
        else:
            dataset = self.store.union_dataset(job.query)
        text = _base(job.base_iri) + prologue() + job.query
        accept = RESULTS_ACCEPT if form in ("SELECT", "ASK") else GRAPH_ACCEPT
        response = self.store.post_query(
            text, accept=accept, dataset=dataset, timeout=timeout, stream=True
        )
        with response:
            return _render(response, form, job.results_type or job.boolean_type or "", job)

    def _read_graph(self, job: GraphReadJob, timeout: float) -> Outcome:
        gsp = self.store.config.gsp_url
        if gsp:
            params = {"graph": job.graph} if job.graph is not None else {"default": ""}
            response = self.store.request(
                "GET",
                gsp,
                what="graph read",
                params=params,
                headers={"Accept": GRAPH_ACCEPT},
                timeout=timeout,
                stream=True,
                ok_statuses=(404,),
            )
            with response:
                if response.status_code == 404:
                    return Outcome.error(404, f"no graph <{job.graph}> in the store")
                return _render_graph(response, job.media_type, job.max_rows)
        if job.graph is not None:
            graph = NamedNode(job.graph)
            if not self.store.contains_graph(graph):
                return Outcome.error(404, f"no graph <{job.graph}> in the store")
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
        else:
            query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        response = self.store.post_query(query, accept=GRAPH_ACCEPT, timeout=timeout, stream=True)
        with response:
            return _render_graph(response, job.media_type, job.max_rows)

    # -- writes ------------------------------------------------------------------------------

    def _write_graph(self, job: GraphWriteJob, timeout: float) -> Outcome:
        name = job.graph
        if job.create:
            name = self.settings.iris.resource(f"graph/store/{uuid.uuid4()}").value
        graph = DefaultGraph() if name is None else NamedNode(name)
        existed = name is None or self.store.contains_graph(graph)  # type: ignore[arg-type]
        if job.method == "DELETE":
            if not existed:
                return Outcome.error(404, f"no graph <{name}> in the store")
            target = "DEFAULT" if name is None else f"GRAPH {graph}"
            self.store.post_update(f"CLEAR SILENT {target}" if name is None else f"DROP {target}")
            return Outcome(204)
        try:
            quads = job.quads_in(graph)
        except SyntaxError as exc:
            return Outcome.error(400, f"cannot parse the RDF payload: {exc}")
        operations = []
        if job.method == "PUT":
            operations.append(
                "CLEAR SILENT DEFAULT" if name is None else f"DROP SILENT GRAPH {graph}"
            )
        if quads:
            triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
            block = triples if name is None else f"GRAPH {graph} {{\n{triples}\n}}"
            operations.append(f"INSERT DATA {{\n{block}\n}}")
        elif name is not None and not existed:
            operations.append(f"CREATE SILENT GRAPH {graph}")
        if operations:
            self.store.post_update(" ;\n".join(operations), timeout=timeout)
        headers = {"Location": name} if job.create and name else {}
        return Outcome(204 if existed else 201, headers=headers)

    def pids(self) -> list[int]:
        return []

    def close(self) -> None:
        self.store.close()


def _too_long(what: str, timeout: float) -> Outcome:
    return Outcome.error(
        503,
        f"the {what} ran longer than the {timeout:g} s limit (MLKG_QUERY_TIMEOUT) and was "
        "stopped; make it more selective (LIMIT, more specific patterns)",
    )


def _base(base_iri: str | None) -> str:
    return f"BASE <{base_iri}>\n" if base_iri else ""


def _media(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _partial(response: requests.Response) -> bool:
    return any(header in response.headers for header in PARTIAL_HEADERS)


def _render(response: requests.Response, form: str, media_type: str, job: QueryJob) -> Outcome:
    if form == "CONSTRUCT" or form == "DESCRIBE":
        return _render_graph(response, job.graph_type or "", job.max_rows)
    fmt = QueryResultsFormat.from_media_type(_media(response))
    if fmt is None:
        raise StoreError(f"the store answered {_media(response)!r}, not SPARQL query results")
    response.raw.decode_content = True
    result = parse_query_results(response.raw, fmt)
    if form == "ASK":
        return Outcome.of(render_boolean(result, media_type))  # type: ignore[arg-type]
    rendered = render_solutions(result, media_type, job.max_rows)  # type: ignore[arg-type]
    return Outcome(
        200, rendered.body, rendered.media_type, rendered.truncated or _partial(response)
    )


def _render_graph(response: requests.Response, media_type: str, cap: int) -> Outcome:
    fmt = RdfFormat.from_media_type(_media(response))
    if fmt is None:
        raise StoreError(f"the store answered {_media(response)!r}, not an RDF graph")
    response.raw.decode_content = True
    triples = (t if not isinstance(t, Quad) else t.triple for t in parse(response.raw, fmt))
    rendered = render_triples(triples, media_type, cap)
    return Outcome(
        200, rendered.body, rendered.media_type, rendered.truncated or _partial(response)
    )
