"""An external SPARQL 1.1 store as mlkg's store: :class:`RemoteStore`.

It implements the same interface as :class:`mlkg.store.EmbeddedStore` (see
:class:`mlkg.store.GraphStore`) over HTTP, so ``mlkg build``, ``query``, ``stats``, ``export``,
``serve`` and the optimizer run unchanged on Virtuoso, Fuseki, GraphDB, QLever, Neptune or
``oxigraph serve``. Open one with :func:`mlkg.store.connect`; docs/external-store.md is the
user's guide.

**Protocols.** Queries go to the query URL by form POST (``application/x-www-form-urlencoded``:
Virtuoso hangs on ``application/sparql-query`` bodies) with an explicit ``Accept`` (Virtuoso
answers HTML without one) — https://www.w3.org/TR/sparql11-protocol/. Updates go to the update
URL the same way. Record graphs are written with the Graph Store HTTP Protocol
(https://www.w3.org/TR/sparql11-http-rdf-update/): ``PUT ?graph=<g>`` replaces one graph in one
request, which the store applies atomically; without a Graph Store URL they are written with one
SPARQL Update per batch (``DROP SILENT GRAPH`` + ``INSERT DATA``). Bodies are N-Triples sent as
``text/turtle`` (N-Triples is a subset of Turtle, and every store reads Turtle).

**Default graph.** mlkg's queries expect a default graph that is the union of the named graphs.
``default_graph="union"`` says the store already does that (Virtuoso, GraphDB, QLever, Neptune,
``oxigraph serve --union-default-graph``, Fuseki with ``tdb2:unionDefaultGraph``): queries go as
they are. ``default_graph="named"`` says the default graph is only the real default graph (plain
``oxigraph serve``, plain Fuseki): mlkg then sends the query's dataset explicitly, every named
graph as a ``default-graph-uri`` *and* a ``named-graph-uri`` parameter (so the default graph is
their union and ``GRAPH ?g`` still ranges over all of them) — unless the query has its own
``FROM``/``FROM NAMED``, which then rule. That is correct on any SPARQL 1.1 store, but each
query carries the list of graphs (cached briefly, refreshed after this process writes), so it
costs more as the number of graphs grows: prefer ``union`` where the store can do it.

**Bulk loads and crash safety.** New graphs are written in batches of :data:`BATCH_GRAPHS`.
Before a batch, its graph names are recorded in a journal graph in the store
(:meth:`RemoteStore.journal_graph`); after it, the journal is dropped. A writable open finds a
journal left by a killed process and drops the graphs it lists, so a graph that a non-atomic
store may have half-written never survives into the next build, which then loads it again. A
record graph carries its own content hash, so re-running a build compares hashes and writes
nothing for unchanged records.

**Truncation.** Some stores cut results silently (Virtuoso's ``ResultSetMaxRows``, and its hard
limit of 2^20 rows over HTTP). A result with ``max_rows`` rows, or one whose headers say it is
partial (Virtuoso's ``X-SQL-State``/``X-SPARQL-MaxRows``), raises
:class:`~mlkg.errors.StoreError` rather than being used as if complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
from pyoxigraph import (
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)

from mlkg.errors import QueryError, StoreError
from mlkg.namespaces import MLKG, ONTOLOGY_IRI, PREFIXES
from mlkg.records import Term
from mlkg.server.sparql_text import has_dataset_clause, tokens
from mlkg.store import update_text

logger = logging.getLogger(__name__)

#: Graphs per write batch (one journal entry and one request, or one PUT per graph).
BATCH_GRAPHS = 200
#: Graph IRIs per ``DROP SILENT GRAPH`` update.
DROP_BATCH = 200
#: Seconds the list of named graphs (``named`` default-graph mode) is reused.
GRAPH_LIST_TTL = 5.0
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, text/plain;q=0.5"
#: Media type of graph bodies: N-Triples text is Turtle, and every Graph Store reads Turtle.
BODY_TYPE = "text/turtle; charset=utf-8"
NQUADS_TYPE = "application/n-quads"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
#: Response headers by which a store says a result is partial (Virtuoso: "anytime" queries
#: and ``ResultSetMaxRows``).
PARTIAL_HEADERS = ("X-SQL-State", "X-SPARQL-MaxRows")

QueryResult = QuerySolutions | QueryBoolean | list[Triple]


class StoreTimeoutError(StoreError):
    """The store did not answer within the timeout."""


@dataclass(frozen=True)
class RemoteConfig:
    """Where and how to reach an external store. See :func:`mlkg.store.connect`."""

    query_url: str
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"
    default_graph: str = "named"
    bulk: str = "graph"
    max_rows: int | None = None
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if self.auth not in ("basic", "digest"):
            raise ValueError(f"auth must be basic or digest, not {self.auth!r}")
        if self.default_graph not in ("union", "named"):
            raise ValueError(f"default_graph must be union or named, not {self.default_graph!r}")
        if self.bulk not in ("graph", "dataset"):
            raise ValueError(f"bulk must be graph or dataset, not {self.bulk!r}")

    @classmethod
    def from_settings(cls, settings: Any) -> RemoteConfig:
        return cls(
            query_url=settings.store_url,
            update_url=settings.store_update_url,
            gsp_url=settings.store_gsp_url,
            user=settings.store_user,
            password=settings.store_password,
            auth=settings.store_auth,
            default_graph=settings.store_default_graph,
            bulk=settings.store_bulk,
            max_rows=settings.store_max_rows,
            timeout=settings.store_timeout,
        )

    @property
    def update_endpoint(self) -> str:
        return self.update_url or self.query_url


# -- SPARQL text ------------------------------------------------------------------------------


def prologue() -> str:
    """``PREFIX`` declarations for the prefixes mlkg predeclares (a query's own win: a later
    declaration of the same prefix replaces an earlier one)."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


def query_form(query: str) -> str:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the query's first form keyword.

    >>> query_form("PREFIX x: <http://e/> # SELECT\\nASK { ?s x:p 'SELECT' }")
    'ASK'
    """
    for token in tokens(query):
        if token.depth == 0 and token.is_keyword("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            return token.text.upper()
    raise QueryError("not a SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK")


def bind_variables(query: str, substitutions: Mapping[Variable, Term] | None) -> str:
    """Bind variables before evaluation, as pyoxigraph's ``substitutions`` do, with ``VALUES``.

    Each binding becomes ``VALUES ?v { term }`` at the start of the query's outermost group, so
    every pattern, ``BIND`` and ``FILTER`` of the query sees it (subqueries get the join of
    their answers with it). A variable the query itself assigns with ``AS ?v`` gets its
    ``VALUES`` at the end of that group instead (SPARQL forbids assigning a variable already
    in scope), which keeps the answers whose computed value is the bound term — what
    pyoxigraph does too.

    >>> from pyoxigraph import Literal
    >>> bind_variables("SELECT ?x WHERE { ?x ?p ?o }", {Variable("o"): Literal(1)})
    'SELECT ?x WHERE { VALUES ?o { "1"^^<http://www.w3.org/2001/XMLSchema#integer> } ?x ?p ?o }'
    """
    if not substitutions:
        return query
    found = list(tokens(query))
    assigned = {
        found[i + 1].text[1:]
        for i, token in enumerate(found[:-1])
        if token.is_keyword("AS") and found[i + 1].kind == "var"
    }
    opening = _where_group(found, query_form(query))
    if opening is None:
        raise QueryError("cannot bind variables: the query has no WHERE group")
    closing = next(
        (t for t in found if t.depth == 0 and t.text == "}" and t.start > opening.start), None
    )
    if closing is None:
        raise QueryError("cannot bind variables: the WHERE group is not closed")
    first = [(v, t) for v, t in substitutions.items() if v.value not in assigned]
    last = [(v, t) for v, t in substitutions.items() if v.value in assigned]

    def values(pairs: list[tuple[Variable, Term]]) -> str:
        return "".join(f" VALUES ?{v.value} {{ {term} }}" for v, term in pairs)

    head, tail = values(first), values(last)
    at, end = opening.start + 1, closing.start
    text = query[:at] + head + query[at:end] + (tail + " " if tail else "") + query[end:]
    return text


def _where_group(found: list, form: str):
    """The ``{`` opening the query pattern (after a CONSTRUCT template, if there is one)."""
    depth_zero_braces = [t for t in found if t.depth == 0 and t.text == "{"]
    if not depth_zero_braces:
        return None
    if form == "CONSTRUCT":
        keyword = next(t for t in found if t.depth == 0 and t.is_keyword("CONSTRUCT"))
        following = next((t for t in found if t.start > keyword.start), None)
        if following is not None and following.text == "{" and len(depth_zero_braces) > 1:
            return depth_zero_braces[1]  # CONSTRUCT { template } WHERE { pattern }
    return depth_zero_braces[0]


def ntriples(triples: Iterable[Triple | Quad]) -> bytes:
    """Triples (graph names ignored) as N-Triples bytes."""
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples).encode("utf-8")


def _graph_block(graph: NamedNode, quads: Sequence[Quad]) -> str:
    lines = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
    return f"GRAPH {graph} {{\n{lines}\n}}"


# -- the store -------------------------------------------------------------------------------


class RemoteStore:
    """A SPARQL 1.1 store over HTTP, with the interface of :class:`mlkg.store.EmbeddedStore`.

    Args:
        config: the endpoints, credentials and semantics of the store.
        base_iri: the resource base of this mlkg graph; a writable open refuses a store whose
            record graphs use another base.
        read_only: refuse writes, and skip the crash recovery a writable open does.
        recover: undo a batch a killed writer left unfinished [default: when writable]. Only
            the store's one loader may: ``mlkg serve`` writes (updates) without recovering.
    """

    def __init__(
        self,
        config: RemoteConfig,
        *,
        base_iri: str,
        read_only: bool = False,
        recover: bool | None = None,
    ):
        self.config = config
        self.base_iri = base_iri
        self.read_only = read_only
        self._local = threading.Lock()
        self._sessions: dict[int, requests.Session] = {}
        self._graphs: tuple[float, list[str]] | None = None
        if recover if recover is not None else not read_only:
            self._check_base(base_iri)
            self._recover_journal()

    def __repr__(self) -> str:
        return f"RemoteStore({self.config.query_url!r}, default_graph={self.config.default_graph})"

    # -- HTTP --------------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """One HTTP session (keep-alive, credentials) per thread: Session is not thread-safe."""
        key = threading.get_ident()
        with self._local:
            session = self._sessions.get(key)
            if session is None:
                session = requests.Session()
                if self.config.user is not None:
                    user, password = self.config.user, self.config.password or ""
                    session.auth = (
                        requests.auth.HTTPDigestAuth(user, password)
                        if self.config.auth == "digest"
                        else requests.auth.HTTPBasicAuth(user, password)
                    )
                self._sessions[key] = session
            return session

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        timeout: float | None = None,
        stream: bool = False,
        ok_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """One HTTP request to the store; failures become :class:`StoreError`/:class:`QueryError`.

        ``ok_statuses`` are error statuses the caller handles itself (e.g. 404 on a graph GET).
        """
        try:
            response = self.session.request(
                method,
                url,
                timeout=(min(30.0, timeout or self.config.timeout), timeout or self.config.timeout),
                stream=stream,
                **kwargs,
            )
        except requests.Timeout as exc:
            raise StoreTimeoutError(
                f"the store at {url} did not answer the {what} within "
                f"{timeout or self.config.timeout:g} s (MLKG_STORE_TIMEOUT)"
            ) from exc
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the store at {url} for the {what}: {exc}") from exc
        if response.status_code < 400 or response.status_code in ok_statuses:
            return response
        detail = _error_text(response)
        if response.status_code == 401:
            who = (
                f"user {self.config.user!r} with {self.config.auth} authentication"
                if self.config.user is not None
                else "no credentials (set MLKG_STORE_USER and MLKG_STORE_PASSWORD)"
            )
            raise StoreError(
                f"the store at {url} refused the {what}: HTTP 401 Unauthorized for {who}; "
                "check the user name, password and MLKG_STORE_AUTH (basic or digest)"
            )
        if response.status_code == 403:
            raise StoreError(
                f"the store at {url} forbids the {what} (HTTP 403) for this user: {detail}"
            )
        if response.status_code == 400:
            raise QueryError(f"the store rejected the {what} (HTTP 400): {detail}")
        raise StoreError(
            f"the store at {url} failed the {what}: HTTP {response.status_code}: {detail}"
        )

    def post_query(
        self,
        text: str,
        *,
        accept: str,
        dataset: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """POST a query as a form with an explicit ``Accept``; ``dataset`` are extra form
        fields (``default-graph-uri``/``named-graph-uri``)."""
        return self.request(
            "POST",
            self.config.query_url,
            what="query",
            data=[("query", text), *dataset],
            headers={"Accept": accept, "Content-Type": FORM_TYPE},
            timeout=timeout,
            stream=stream,
        )

    def post_update(self, text: str, *, timeout: float | None = None) -> None:
        """POST one SPARQL Update (form field ``update``)."""
        self._writable()
        self.request(
            "POST",
            self.config.update_endpoint,
            what="update",
            data={"update": text},
            headers={"Content-Type": FORM_TYPE, "Accept": "*/*"},
            timeout=timeout,
        )
        self._graphs = None

    def union_dataset(self, query: str, union_default_graph: bool = True) -> list[tuple[str, str]]:
        """The form fields that make ``query``'s default graph the union of the named graphs.

        Nothing when the store does that itself (``union``), when the query names its own
        dataset (``FROM``), or when the caller wants the real default graph.
        """
        if (
            self.config.default_graph == "union"
            or not union_default_graph
            or has_dataset_clause(query)
        ):
            return []
        graphs = self._graph_list()
        if not graphs:
            # An empty dataset would mean "the store's default" to the store: name a graph
            # that has nothing in it instead.
            graphs = [self.journal_graph.value]
        return [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]

    # -- reading -----------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        substitutions: Mapping[Variable, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; without ``GRAPH`` it sees the union of all named graphs.

        Like :meth:`mlkg.store.EmbeddedStore.query`: the usual prefixes are predeclared and
        ``substitutions`` bind variables before evaluation (see :func:`bind_variables`).
        SELECT gives :class:`pyoxigraph.QuerySolutions`, ASK :class:`pyoxigraph.QueryBoolean`,
        CONSTRUCT/DESCRIBE a list of :class:`pyoxigraph.Triple`.
        """
        text = prologue() + bind_variables(sparql, substitutions)
        form = query_form(text)
        accept = RESULTS_ACCEPT if form in ("SELECT", "ASK") else GRAPH_ACCEPT
        try:
            response = self.post_query(
                text, accept=accept, dataset=self.union_dataset(sparql, union_default_graph)
            )
        except QueryError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        return self._parse(response, form)

    def _parse(self, response: requests.Response, form: str) -> QueryResult:
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = response.content
        for header in PARTIAL_HEADERS:
            if header in response.headers:
                raise StoreError(
                    f"the store answered a partial result ({header}: "
                    f"{response.headers[header]}); raise its result limit "
                    "(Virtuoso: ResultSetMaxRows, MaxQueryExecutionTime) or narrow the query"
                )
        if media in ("text/html", "application/xhtml+xml"):
            raise StoreError(
                f"the store answered HTML instead of SPARQL results: is {self.config.query_url} "
                "its SPARQL endpoint (MLKG_STORE_URL)?"
            )
        if form in ("SELECT", "ASK"):
            fmt = QueryResultsFormat.from_media_type(media) if media else None
            if fmt is None:
                raise StoreError(f"the store answered {media!r}, not SPARQL query results")
            result = parse_query_results(body, fmt)
            if isinstance(result, QuerySolutions) and self.config.max_rows:
                rows = sum(1 for _ in result)
                if rows >= self.config.max_rows:
                    raise StoreError(
                        f"the store returned {rows} rows, its limit (MLKG_STORE_MAX_ROWS="
                        f"{self.config.max_rows}): the result was probably cut. Raise the "
                        "store's limit (Virtuoso: ResultSetMaxRows) and MLKG_STORE_MAX_ROWS, "
                        "or page the query with LIMIT/OFFSET"
                    )
                result = parse_query_results(body, fmt)
            return result
        fmt = RdfFormat.from_media_type(media) if media else None
        if fmt is None:
            raise StoreError(f"the store answered {media!r}, not an RDF graph")
        triples = [t if isinstance(t, Triple) else t.triple for t in parse(body, fmt)]
        if self.config.max_rows and len(triples) >= self.config.max_rows:
            raise StoreError(
                f"the store returned {len(triples)} triples, its limit (MLKG_STORE_MAX_ROWS): "
                "the result was probably cut"
            )
        return triples

    def _graph_list(self) -> list[str]:
        """Every named graph, for the ``named`` mode's dataset (briefly cached)."""
        cached = self._graphs
        if cached is not None and time.monotonic() - cached[0] < GRAPH_LIST_TTL:
            return cached[1]
        graphs = sorted(g.value for g in self.named_graphs())
        self._graphs = (time.monotonic(), graphs)
        return graphs

    def named_graphs(self) -> Iterator[NamedNode]:
        # GROUP BY, not DISTINCT: Virtuoso 7.2 runs `SELECT DISTINCT ?g` over all quads for
        # minutes, and answers the grouped form at once.
        rows = self.query(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", union_default_graph=False
        )
        return (row["g"] for row in rows if isinstance(row["g"], NamedNode))

    def contains_graph(self, graph: NamedNode) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """The quads of one named graph, or of all of mlkg's graphs (``graph`` None)."""
        if graph is None:
            rows = self.query(
                "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                + self._own_graphs_filter()
                + " }",
                union_default_graph=False,
            )
            return iter([Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows])
        return iter([Quad(t.subject, t.predicate, t.object, graph) for t in self._triples(graph)])

    def _triples(self, graph: NamedNode) -> list[Triple]:
        if self.config.gsp_url:
            response = self.request(
                "GET",
                self.config.gsp_url,
                what=f"read of graph {graph}",
                params={"graph": graph.value},
                headers={"Accept": GRAPH_ACCEPT},
                ok_statuses=(404,),
            )
            if response.status_code == 404:
                return []
            return self._parse(response, "CONSTRUCT")  # type: ignore[return-value]
        rows = self.query(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}", union_default_graph=False
        )
        return [Triple(r["s"], r["p"], r["o"]) for r in rows]

    def owns(self, graph: str) -> bool:
        """Whether a graph is mlkg's (under the resource base, or the ontology's), as opposed
        to the store's own (Virtuoso keeps its system graphs beside the data)."""
        return graph.startswith(self.base_iri) or graph == ONTOLOGY_IRI

    def _own_graphs_filter(self) -> str:
        return f"FILTER(STRSTARTS(STR(?g), {Literal(self.base_iri)}) || ?g = <{ONTOLOGY_IRI}>)"

    def __len__(self) -> int:
        """Quads in mlkg's graphs (the store's system graphs left out)."""
        rows = list(
            self.query(
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                + self._own_graphs_filter()
                + " }",
                union_default_graph=False,
            )
        )
        return int(rows[0]["n"].value) if rows else 0

    def dump(self, output: IO[bytes], format: RdfFormat) -> None:
        """Serialise mlkg's named graphs (one graph at a time for N-Quads); for triple formats
        the union of those graphs, each triple once. The store's default graph and its system
        graphs (see :meth:`owns`) are not dumped: mlkg never writes to them."""
        if format.supports_datasets:
            graphs = [
                g
                for g in sorted(self._graph_list_fresh())
                if self.owns(g) and g != self.journal_graph.value
            ]
            if format == RdfFormat.N_QUADS:
                for name in graphs:
                    output.write(serialize(self.quads(NamedNode(name)), format=format) or b"")
                return
            quads = [q for name in graphs for q in self.quads(NamedNode(name))]
            serialize(quads, output, format, prefixes=PREFIXES)
            return
        union = self.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
            "{ GRAPH ?g { ?s ?p ?o } " + self._own_graphs_filter() + " } }",
            union_default_graph=False,
        )
        serialize(union, output, format, prefixes=PREFIXES)

    def _graph_list_fresh(self) -> list[str]:
        self._graphs = None
        return self._graph_list()

    # -- writing -----------------------------------------------------------------------------

    @property
    def journal_graph(self) -> NamedNode:
        """The graph listing the graphs of the batch being written (empty between batches)."""
        return NamedNode(f"{self.base_iri}graph/store/load-journal")

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("this store was opened read-only")

    def add_new_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        """Write graphs the store does not hold yet, in journalled batches (see module doc)."""
        self._writable()
        items = list(graphs.items())
        for start in range(0, len(items), BATCH_GRAPHS):
            batch = items[start : start + BATCH_GRAPHS]
            self._journal([g for g, _ in batch])
            if self.config.bulk == "dataset" and self.config.gsp_url:
                body = serialize(
                    [q for g, quads in batch for q in _in_graph(g, quads)], format=RdfFormat.N_QUADS
                )
                self.request(
                    "POST",
                    self.config.gsp_url,
                    what=f"bulk load of {len(batch)} graphs",
                    data=body or b"",
                    headers={"Content-Type": NQUADS_TYPE},
                )
            else:
                self._write_graphs(batch)
            self.post_update(f"DROP SILENT GRAPH {self.journal_graph}")

    def replace_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        """Replace each graph's content; each graph is replaced in one request (atomic)."""
        self._writable()
        items = list(graphs.items())
        for start in range(0, len(items), BATCH_GRAPHS):
            self._write_graphs(items[start : start + BATCH_GRAPHS])

    def _write_graphs(self, batch: Sequence[tuple[NamedNode, Sequence[Quad]]]) -> None:
        if self.config.gsp_url:
            for graph, quads in batch:
                self.request(
                    "PUT",
                    self.config.gsp_url,
                    what=f"write of graph {graph}",
                    params={"graph": graph.value},
                    data=ntriples(quads),
                    headers={"Content-Type": BODY_TYPE},
                )
            self._graphs = None
            return
        drops = "".join(f"DROP SILENT GRAPH {g} ;\n" for g, _ in batch)
        blocks = "\n".join(_graph_block(g, quads) for g, quads in batch if quads)
        self.post_update(f"{drops}INSERT DATA {{\n{blocks}\n}}" if blocks else drops.rstrip(";\n"))

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        graphs = list(graphs)
        if graphs:
            self._writable()
        for start in range(0, len(graphs), DROP_BATCH):
            batch = graphs[start : start + DROP_BATCH]
            self.post_update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in batch))

    def update_quads(self, remove: Iterable[Quad], add: Iterable[Quad]) -> None:
        """Delete ``remove`` and insert ``add`` (quads in named graphs), in one request."""
        text = update_text(remove, add)
        if text:
            self.post_update(text)

    def load_file(self, path: Path, graph: NamedNode, *, base_iri: str | None = None) -> None:
        """Replace ``graph`` with the triples of one RDF file."""
        quads = [
            Quad(t.subject, t.predicate, t.object, graph)
            for t in parse(path=str(path), base_iri=base_iri)
        ]
        self.replace_graphs({graph: quads})

    def _journal(self, graphs: Sequence[NamedNode]) -> None:
        journal = self.journal_graph
        objects = ", ".join(str(g) for g in graphs)
        self.post_update(
            f"INSERT DATA {{ GRAPH {journal} {{ {journal} {MLKG.pendingGraph} {objects} . }} }}"
        )

    def _recover_journal(self) -> None:
        """Drop the graphs of a batch a killed writer left unfinished, then the journal."""
        journal = self.journal_graph
        rows = self.query(
            f"SELECT ?g WHERE {{ GRAPH {journal} {{ {journal} {MLKG.pendingGraph} ?g }} }}",
            union_default_graph=False,
        )
        pending = [row["g"] for row in rows if isinstance(row["g"], NamedNode)]
        if not pending:
            return
        logger.warning(
            "recovering from an interrupted load: dropping %d graphs of an unfinished batch",
            len(pending),
        )
        self.drop_graphs(pending)
        self.post_update(f"DROP SILENT GRAPH {journal}")

    def _check_base(self, base_iri: str) -> None:
        rows = list(
            self.query(
                "SELECT ?g WHERE { GRAPH ?g { ?g mlkg:recordSource ?source } } LIMIT 1",
                union_default_graph=False,
            )
        )
        if rows and not rows[0]["g"].value.startswith(base_iri):
            raise StoreError(
                f"the store at {self.config.query_url} holds graphs of another base IRI "
                f"({rows[0]['g'].value}), not {base_iri!r}; use the same MLKG_BASE_IRI"
            )

    def optimize(self) -> None:
        """Nothing to do: the store manages its own storage."""

    def close(self) -> None:
        with self._local:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _in_graph(graph: NamedNode, quads: Sequence[Quad]) -> Iterator[Quad]:
    return (
        q if q.graph_name == graph else Quad(q.subject, q.predicate, q.object, graph) for q in quads
    )


def _error_text(response: requests.Response) -> str:
    """The store's error message, short and on one line."""
    text = response.text.strip() if response.content else response.reason or ""
    text = " ".join(text.split())
    return text[:500] + ("…" if len(text) > 500 else "")
