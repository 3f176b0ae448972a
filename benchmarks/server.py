"""SPARQL endpoint throughput and latency, beside the same queries on pyoxigraph in the same run.

    python benchmarks/server.py                     # full TF Hub catalogue from ../shared
    python benchmarks/server.py --copies 50         # no ../shared: the sample zoo replicated

Builds a larger graph (the complete tfhub.dev snapshot when ../shared has it, else the bundled
sample with its record graphs copied under new names), then reports for 1 and 2 concurrent
clients: queries/s and latency p50/p95/p99 of

* ``server``: ``mlkg serve`` (waitress + worker processes over the snapshot) over HTTP with
  keep-alive connections, SPARQL JSON results;
* ``pyoxigraph``: the same queries straight on ``pyoxigraph.Store.read_only(snapshot)`` from
  threads of this process, results serialised to SPARQL JSON too.

Also the cost of a snapshot of the store (``publish_snapshot``): seconds and the disk it adds.
These machines are noisy: compare the ratios, not the seconds. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from pyoxigraph import NamedNode, Quad, QueryResultsFormat, QuerySolutions, Store

from mlkg.config import resolve_settings
from mlkg.namespaces import PREFIXES
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.server.testing import LiveServer
from mlkg.snapshots import current_snapshot, publish_snapshot
from mlkg.store import open_store

DEFAULT_FROM = Path(__file__).resolve().parents[2] / "shared" / "zoo-snapshots" / "tfhub.dev"

#: A mix of what users send: lookups, a join with a filter, an aggregate, a named query.
QUERIES = {
    "lookup": "SELECT ?m ?label WHERE { ?m a mlkg:Model ; rdfs:label ?label } LIMIT 50",
    "by-id": 'SELECT ?m WHERE { ?m dcterms:identifier ?id FILTER(STRSTARTS(?id, "google/")) } '
    "LIMIT 20",
    "join": "SELECT ?m ?task ?licence WHERE { ?m mlkg:task ?task ; dcterms:license ?licence ; "
    "mlkg:fineTunable true } LIMIT 100",
    "aggregate": "SELECT ?task (COUNT(?m) AS ?n) WHERE { ?m mlkg:task ?task } GROUP BY ?task "
    "ORDER BY DESC(?n) LIMIT 20",
    "scan": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 20",
}


def build_graph(data_dir: Path, source: Path | None, copies: int) -> str:
    settings = resolve_settings(environ={}, data_dir=data_dir)
    if source is not None and source.is_dir():
        build(settings, "tfhub", location=str(source))
        return f"tfhub.dev snapshot ({source})"
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
        originals = list(store.quads())
        for copy in range(1, copies):
            suffix = f"-copy{copy}"
            store.add_new_graphs(_renamed(originals, suffix))
        publish_snapshot(settings, store)
    return f"sample zoo x{copies}"


def _renamed(quads: list[Quad], suffix: str) -> dict[NamedNode, list[Quad]]:
    def rename(term):
        if isinstance(term, NamedNode) and "/resource/" in term.value:
            return NamedNode(term.value + suffix)
        return term

    graphs: dict[NamedNode, list[Quad]] = {}
    for q in quads:
        if isinstance(q.graph_name, NamedNode) and "/resource/graph/" in q.graph_name.value:
            graph = rename(q.graph_name)
            renamed = Quad(rename(q.subject), q.predicate, rename(q.object), graph)
            graphs.setdefault(graph, []).append(renamed)
    return graphs


def snapshot_cost(data_dir: Path) -> str:
    """Seconds for one more snapshot, and bytes it adds (files not hard-linked elsewhere)."""
    settings = resolve_settings(environ={}, data_dir=data_dir)
    with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
        start = time.perf_counter()
        folder = publish_snapshot(settings, store)
        seconds = time.perf_counter() - start
    files = [p for p in folder.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    own = sum(p.stat().st_size for p in files if p.stat().st_nlink == 1)
    live = sum(p.stat().st_size for p in settings.store_path.rglob("*") if p.is_file())
    return (
        f"snapshot: {seconds * 1000:.0f} ms; live store {live / 1e6:.1f} MB, snapshot "
        f"{total / 1e6:.1f} MB of which {own / 1e6:.2f} MB not hard-linked (extra disk)"
    )


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return "  ".join(
        f"{name} {cuts[index] * 1000:7.1f} ms"
        for name, index in (("p50", 49), ("p95", 94), ("p99", 98))
    )


def run_clients(clients: int, requests: int, one_request) -> tuple[float, list[float]]:
    """``clients`` threads each sending ``requests`` queries; (wall seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        session = one_request.session()
        names = list(QUERIES)
        mine = []
        for i in range(requests):
            name = names[(i + number) % len(names)]
            start = time.perf_counter()
            one_request(session, name)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies


class HttpQuery:
    def __init__(self, server: LiveServer):
        self.server = server

    def session(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=300)

    def __call__(self, connection: http.client.HTTPConnection, name: str) -> None:
        path = "/sparql?" + urllib.parse.urlencode({"query": QUERIES[name]})
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{name}: HTTP {response.status} {body[:200]!r}")


class DirectQuery:
    def __init__(self, store: Store):
        self.store = store

    def session(self) -> None:
        return None

    def __call__(self, _session: None, name: str) -> None:
        result = self.store.query(QUERIES[name], use_default_graph_as_union=True, prefixes=PREFIXES)
        assert isinstance(result, QuerySolutions)
        result.serialize(format=QueryResultsFormat.JSON)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, default=DEFAULT_FROM)
    parser.add_argument("--copies", type=int, default=50, help="sample copies without ../shared")
    parser.add_argument("--data-dir", type=Path, help="reuse a built data dir (skips the build)")
    parser.add_argument("--requests", type=int, default=200, help="queries per client")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None or not (data_dir / "store").exists():
            start = time.perf_counter()
            what = build_graph(data_dir, args.source, args.copies)
            print(f"built {what} in {time.perf_counter() - start:.1f}s")
        settings = resolve_settings(environ={}, data_dir=data_dir)
        print(snapshot_cost(data_dir))
        store = Store.read_only(str(current_snapshot(settings) / "store"))
        print(f"{len(store):,} quads; queries: {', '.join(QUERIES)}; {args.requests} per client\n")
        direct = DirectQuery(store)
        with LiveServer(data_dir, options=["--workers", str(args.workers)]) as server:
            http_query = HttpQuery(server)
            for name in QUERIES:  # warm both paths: caches, worker snapshots
                http_query(http_query.session(), name)
                direct(None, name)
            for clients in (1, 2):
                for label, runner in (("server", http_query), ("pyoxigraph", direct)):
                    seconds, latencies = run_clients(clients, args.requests, runner)
                    rate = len(latencies) / seconds
                    print(
                        f"{label:10} {clients} client{'s' if clients > 1 else ' '}  "
                        f"{rate:8.1f} queries/s  {percentiles(latencies)}"
                    )


if __name__ == "__main__":
    main()
