"""The external store backend against a real ``oxigraph serve`` on 127.0.0.1.

The sample zoo built through the SPARQL 1.1 Protocol and Graph Store Protocol answers the
queries/ catalogue exactly like the embedded store, with either default-graph semantics; a build
killed mid-way leaves no half-written record and resumes to the same graph; a re-run writes
nothing; replacing a record replaces exactly its graph; Basic auth works through a real proxy
and a wrong password is a clear error.
"""

from __future__ import annotations

import base64
import http.server
import io
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, parse

from mlkg.config import Settings, resolve_settings
from mlkg.errors import QueryError, StoreError
from mlkg.namespaces import MLKG
from mlkg.pipeline import build
from mlkg.queries import named_queries, substitutions
from mlkg.remote_store import RemoteStore
from mlkg.sample_zoo import SAMPLE_DIR, sample_sources
from mlkg.store import connect, open_store
from tests.conftest import REPO
from tests.test_pipeline import knowledge

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
MLKG_COMMAND = (sys.executable, "-m", "mlkg")
#: Seconds a server gets to answer after start before the fixture gives up.
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OxigraphServer:
    """``oxigraph serve`` on a free 127.0.0.1 port over a temporary folder."""

    def __init__(self, *, union: bool, timeout_s: int | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="mlkg-oxigraph-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.union = union
        command = [str(OXIGRAPH), "serve", "--location", str(self.folder / "db")]
        command += ["--bind", f"127.0.0.1:{self.port}"]
        if union:
            command.append("--union-default-graph")
        if timeout_s:
            command += ["--timeout-s", str(timeout_s)]
        self._log = (self.folder / "log").open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph serve exited: {(self.folder / 'log').read_text()}")
            try:
                requests.get(f"{self.url}/query", params={"query": "ASK {}"}, timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("oxigraph serve did not answer") from None
                time.sleep(0.05)

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    def settings(self, data_dir: Path, **options: object) -> Settings:
        """Settings of an mlkg data directory whose store is this server."""
        values = {
            "store_url": self.query_url,
            "store_update_url": f"{self.url}/update",
            "store_gsp_url": f"{self.url}/store",
            "store_default_graph": "union" if self.union else "named",
        }
        values.update(options)
        return resolve_settings(environ={}, data_dir=data_dir, **values)

    def environment(self, settings: Settings) -> dict[str, str]:
        """The MLKG_STORE_* variables for a subprocess using ``settings``' store."""
        env = {
            "MLKG_STORE_URL": settings.store_url,
            "MLKG_STORE_UPDATE_URL": settings.store_update_url,
            "MLKG_STORE_GSP_URL": settings.store_gsp_url,
            "MLKG_STORE_DEFAULT_GRAPH": settings.store_default_graph,
            "MLKG_STORE_BULK": settings.store_bulk,
        }
        return {k: v for k, v in env.items() if v}

    def clear(self) -> None:
        requests.post(f"{self.url}/update", data={"update": "DROP ALL"}, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def oxigraph_union() -> Iterator[OxigraphServer]:
    """``oxigraph serve --union-default-graph``: the default graph is the union of graphs."""
    server = OxigraphServer(union=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_named() -> Iterator[OxigraphServer]:
    """Plain ``oxigraph serve``: the default graph is only the real default graph."""
    server = OxigraphServer(union=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_scratch() -> Iterator[OxigraphServer]:
    """A server tests empty before use (kill/resume, replace, auth)."""
    server = OxigraphServer(union=True)
    yield server
    server.stop()


@pytest.fixture
def scratch(oxigraph_scratch: OxigraphServer) -> OxigraphServer:
    oxigraph_scratch.clear()
    return oxigraph_scratch


# -- helpers -----------------------------------------------------------------------------------


def build_sample(settings: Settings) -> None:
    for source, folder in sample_sources().items():
        build(settings, source, location=str(folder))


def rows(result) -> Counter:
    """A query's answer as a multiset of rows, for comparison: blank nodes anonymised, and the
    parts of a `GROUP_CONCAT(...; separator=" / ")` sorted (SPARQL leaves their order to the
    engine: publishers-by-model-count)."""

    def cell(term) -> str:
        if term is None:
            return ""
        if isinstance(term, BlankNode):
            return "_:b"
        if isinstance(term, Literal) and " / " in term.value:
            return " / ".join(sorted(term.value.split(" / ")))
        return str(term)

    names = [v.value for v in result.variables]
    return Counter(tuple(cell(row[n]) for n in names) for row in result)


def example_bindings(header: dict[str, str]) -> dict[str, str]:
    """The ``--param name=value`` pairs of a query's example line."""
    return dict(re.findall(r"--param (\w+)=(\S+)", header.get("example", "")))


def dataset(store) -> set[Quad]:
    out = io.BytesIO()
    store.dump(out, RdfFormat.N_QUADS)
    return set(parse(out.getvalue(), format=RdfFormat.N_QUADS))


def record_graphs(quads: set[Quad], source: str = "tfhub") -> dict[str, set[Quad]]:
    graphs: dict[str, set[Quad]] = {}
    for q in quads:
        if f"/graph/{source}/" in q.graph_name.value:
            graphs.setdefault(q.graph_name.value, set()).add(q)
    return graphs


# -- the catalogue -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Settings:
    settings = resolve_settings(environ={}, data_dir=tmp_path_factory.mktemp("embedded"))
    build_sample(settings)
    return settings


@pytest.fixture(scope="module", params=["union", "named"])
def remote(request, tmp_path_factory) -> Settings:
    """The sample zoo built into oxigraph serve with the given default-graph semantics: the
    union server takes new graphs as N-Quads batches, the other one graph PUT at a time."""
    server = request.getfixturevalue(f"oxigraph_{request.param}")
    server.clear()
    bulk = "dataset" if request.param == "union" else "graph"
    settings = server.settings(tmp_path_factory.mktemp(f"remote-{request.param}"), store_bulk=bulk)
    build_sample(settings)
    return settings


#: Queries Oxigraph answers too slowly over an explicit dataset of every graph (named mode).
NAMED_MODE_TOO_SLOW = {"lineage-of-model"}


def catalogue_cases(mode: str) -> list[tuple[str, dict[str, str]]]:
    """Each query with its example parameters; with ``union`` also each without them.

    In ``named`` mode the store gets every graph as the dataset, which Oxigraph evaluates
    much more slowly (docs/external-store.md), so there each query runs once, with its example
    binding when it has one, and lineage-of-model not at all: its unbounded ``*`` paths take a
    minute over the sample's 64-graph dataset (2 s with ``--union-default-graph``).
    """
    cases = []
    for name, named in sorted(named_queries().items()):
        if mode == "named" and name in NAMED_MODE_TOO_SLOW:
            continue
        example = example_bindings(named.header)
        if mode == "union" or not example:
            cases.append((name, {}))
        if example:
            cases.append((name, example))
    return cases


def test_every_catalogue_query_answers_like_the_embedded_store(embedded, remote):
    queries = named_queries()
    answered = set()
    with (
        open_store(embedded.data_dir, base_iri=embedded.base_iri, read_only=True) as local,
        connect(remote, read_only=True) as external,
    ):
        assert isinstance(external, RemoteStore)
        for name, params in catalogue_cases(remote.store_default_graph):
            text, bindings = queries[name].text, substitutions(params)
            expected = rows(local.query(text, substitutions=bindings))
            got = rows(external.query(text, substitutions=bindings))
            assert got == expected, f"{name} {params}"
            if expected:
                answered.add(name)
    assert len(answered) >= len(queries) // 2, "most catalogue queries have answers"


def test_the_external_store_holds_exactly_the_embedded_graphs(embedded, remote):
    with (
        open_store(embedded.data_dir, base_iri=embedded.base_iri, read_only=True) as local,
        connect(remote, read_only=True) as external,
    ):
        assert knowledge(dataset(external)) == knowledge(dataset(local))
        assert len(external) == len(local)


def test_a_rerun_writes_nothing(remote):
    with connect(remote, read_only=True) as store:
        before = dataset(store)
    report = build(remote, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    assert report.written == 0 and report.unchanged > 0
    with connect(remote, read_only=True) as store:
        assert dataset(store) == before


def test_substituted_parameters_that_the_query_assigns_keep_matching_answers(embedded, remote):
    """``?dataset`` is BIND-assigned in evaluations-of-model: the binding filters, as in
    pyoxigraph."""
    query = named_queries()["evaluations-of-model"].text
    with (
        open_store(embedded.data_dir, base_iri=embedded.base_iri, read_only=True) as local,
        connect(remote, read_only=True) as external,
    ):
        datasets = {row["dataset"] for row in local.query(query)}
        assert datasets
        for term in sorted(datasets, key=str)[:3]:
            binding = {"dataset": str(term)}
            expected = rows(local.query(query, substitutions=substitutions(binding)))
            assert expected
            assert rows(external.query(query, substitutions=substitutions(binding))) == expected


# -- writes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["graph-store", "sparql-update"])
def test_replacing_one_record_replaces_exactly_its_graph(scratch, tmp_path, protocol):
    zoo = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", zoo)
    options = {"store_gsp_url": None} if protocol == "sparql-update" else {}
    settings = scratch.settings(tmp_path / "data", **options)
    assert (settings.store_gsp_url is None) == (protocol == "sparql-update")
    build(settings, "tfhub", location=str(zoo))
    with connect(settings, read_only=True) as store:
        before = dataset(store)
    pages = sorted((zoo / "assets/docs").rglob("*.md"))
    page = next(p for p in pages if p.read_text().startswith("# Module"))
    page.write_text(page.read_text().replace("\n## ", "\nA sentence added by the test.\n\n## ", 1))
    report = build(settings, "tfhub", location=str(zoo))
    assert (report.replaced, report.added, report.removed) == (1, 0, 0)
    with connect(settings, read_only=True) as store:
        after = dataset(store)
    old, new = record_graphs(before), record_graphs(after)
    assert old.keys() == new.keys()
    changed = [g for g in old if old[g] != new[g]]
    assert len(changed) == 1 and changed[0].endswith(
        page.relative_to(zoo / "assets/docs").as_posix()
    )
    hashes = [
        {q.object for q in graph[changed[0]] if q.predicate == MLKG.contentHash}
        for graph in (old, new)
    ]
    assert hashes[0] != hashes[1], "the new graph is the edited page's"


def test_a_read_only_store_refuses_writes(scratch, tmp_path):
    settings = scratch.settings(tmp_path)
    graph = NamedNode("https://w3id.org/mlkg/resource/graph/test/x")
    with connect(settings, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        store.replace_graphs({graph: []})


def test_a_syntax_error_is_a_query_error_with_the_store_message(scratch, tmp_path):
    with (
        connect(scratch.settings(tmp_path), read_only=True) as store,
        pytest.raises(QueryError, match=r"SPARQL syntax error.*400"),
    ):
        store.query("SELECT ?x WHERE { ?x ?y }")


def test_a_result_at_the_stores_row_limit_is_refused_not_used(scratch, tmp_path):
    build(scratch.settings(tmp_path), "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    with connect(scratch.settings(tmp_path, store_max_rows=5), read_only=True) as store:
        assert len(list(store.query("SELECT ?m WHERE { ?m a mlkg:Model } LIMIT 4"))) == 4
        with pytest.raises(StoreError, match=r"MLKG_STORE_MAX_ROWS=5.*cut"):
            store.query("SELECT ?m WHERE { ?m a mlkg:Model }")


def test_the_journal_of_an_unfinished_batch_is_undone_on_the_next_writable_open(scratch, tmp_path):
    """What a kill between the journal entry and its removal leaves, repaired on open."""
    settings = scratch.settings(tmp_path)
    graph = NamedNode("https://w3id.org/mlkg/resource/graph/tfhub/half")
    quad = Quad(graph, NamedNode("http://example.org/p"), graph, graph)
    with connect(settings) as store:
        store._journal([graph])  # the batch starts ...
        store._write_graphs([(graph, [quad])])  # ... one graph is in, then the writer dies
    with connect(settings, read_only=True) as store:
        assert store.contains_graph(graph), "a read-only open repairs nothing"
    with connect(settings) as store:
        assert not store.contains_graph(graph)
        assert not store.contains_graph(store.journal_graph)


def generated_reference(tmp_path: Path) -> tuple[Path, dict]:
    """A generated 700-page TF Hub zoo, and its record graphs built into an embedded store."""
    zoo = tmp_path / "zoo"
    subprocess.run(
        [*MLKG_COMMAND, "generate", "--models", "700", "--hub-share", "0", "--output", str(zoo)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    clean = resolve_settings(environ={}, data_dir=tmp_path / "clean")
    build(clean, "tfhub", location=str(zoo / "tfhub"))
    with open_store(clean.data_dir, base_iri=clean.base_iri, read_only=True) as store:
        reference = record_graphs(dataset(store))
    assert len(reference) > 500
    return zoo / "tfhub", reference


def kill_build_midway(settings: Settings, env: dict[str, str], pages: Path) -> None:
    """Run `mlkg build tfhub` into the settings' store and SIGKILL it once 250 records are in."""
    command = [*MLKG_COMMAND, "--data-dir", str(settings.data_dir), "-q"]
    command += ["build", "tfhub", "--from", str(pages)]
    environment = {**_clean_environ(), **env}
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, env=environment)
    count = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?g mlkg:recordSource ?s } }"
    with connect(settings, read_only=True) as store:
        while int(next(iter(store.query(count)))["n"].value) < 250:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL


def test_a_killed_build_leaves_no_half_written_record_and_resumes(scratch, tmp_path):
    """SIGKILL a real `mlkg build` writing to oxigraph serve mid-way; every record graph
    visible then is complete; the re-run ends with the graph of an uninterrupted build."""
    pages, reference = generated_reference(tmp_path)
    killed = scratch.settings(tmp_path / "killed")
    kill_build_midway(killed, scratch.environment(killed), pages)

    with connect(killed, read_only=True) as store:
        visible = record_graphs(dataset(store))
    assert 250 <= len(visible) < len(reference), "killed mid-way"
    for name, quads in visible.items():
        assert knowledge(quads) == knowledge(reference[name]), f"{name} is half-written"

    report = build(killed, "tfhub", location=str(pages))
    assert report.unchanged >= 200, "the batches finished before the kill are not loaded again"
    with connect(killed, read_only=True) as store:
        after = dataset(store)
        assert not store.contains_graph(store.journal_graph)
    resumed = record_graphs(after)
    assert resumed.keys() == reference.keys()
    assert all(knowledge(resumed[g]) == knowledge(reference[g]) for g in reference)


def _clean_environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}


# -- authentication ----------------------------------------------------------------------------


class BasicAuthProxy:
    """A real HTTP reverse proxy on 127.0.0.1 that demands Basic credentials (like the nginx
    ``auth_basic`` Oxigraph's README puts in front of its server)."""

    def __init__(self, upstream: str, user: str, password: str):
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _proxy(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="store"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in {"host", "authorization", "content-length", "connection"}
                }
                answer = requests.request(
                    self.command, upstream + self.path, data=body, headers=headers, timeout=60
                )
                self.send_response(answer.status_code)
                for key in ("Content-Type",):
                    if key in answer.headers:
                        self.send_header(key, answer.headers[key])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _proxy

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(scratch) -> Iterator[BasicAuthProxy]:
    proxy = BasicAuthProxy(scratch.url, "loader", "s3cret")
    yield proxy
    proxy.close()


def proxied(proxy: BasicAuthProxy, data_dir: Path, password: str) -> Settings:
    return resolve_settings(
        environ={"MLKG_STORE_PASSWORD": password},
        data_dir=data_dir,
        store_url=f"{proxy.url}/query",
        store_update_url=f"{proxy.url}/update",
        store_gsp_url=f"{proxy.url}/store",
        store_user="loader",
        store_default_graph="union",
    )


def test_basic_auth_builds_and_queries_through_a_proxy(proxy, tmp_path):
    settings = proxied(proxy, tmp_path, "s3cret")
    assert "s3cret" not in repr(settings)
    report = build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    assert report.added > 0
    with connect(settings, read_only=True) as store:
        models = list(store.query("SELECT ?m WHERE { ?m a mlkg:Model }"))
    assert len(models) >= report.added // 2


def test_a_wrong_password_is_a_clear_error(proxy, tmp_path):
    settings = proxied(proxy, tmp_path, "wrong")
    with pytest.raises(StoreError) as info:
        connect(settings)
    message = str(info.value)
    assert "401" in message and "'loader'" in message and "password" in message
    assert "wrong" not in message
    result = subprocess.run(
        [sys.executable, "-m", "mlkg", "--data-dir", str(tmp_path), "query", "ASK {}"],
        env={
            **_clean_environ(),
            "MLKG_STORE_URL": settings.store_url,
            "MLKG_STORE_USER": "loader",
            "MLKG_STORE_PASSWORD": "wrong",
        },
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the store at") and "401" in result.stderr
    assert "Traceback" not in result.stderr


# -- the commands ------------------------------------------------------------------------------


def test_query_stats_and_export_commands_read_the_external_store(embedded, remote, tmp_path):
    """`mlkg query`, `stats` and `export` with --store-url give what they give on the embedded
    store."""
    from click.testing import CliRunner

    from mlkg.cli import cli

    store_options = [
        "--store-url",
        remote.store_url,
        "--store-update-url",
        remote.store_update_url,
        "--store-gsp-url",
        remote.store_gsp_url,
        "--store-default-graph",
        remote.store_default_graph,
    ]

    def run(settings: Settings, *args: str, external: bool) -> str:
        options = ["--data-dir", str(settings.data_dir), "-q"]
        options += store_options if external else []
        result = CliRunner().invoke(cli, [*options, *args], env={"MLKG_STORE_URL": None})
        assert result.exit_code == 0, result.output
        return result.output

    for args in (["query", "models-per-task", "--format", "csv"], ["stats", "--json"]):
        assert run(remote, *args, external=True) == run(embedded, *args, external=False)
    dumps = {}
    for name, settings, external in (("remote", remote, True), ("local", embedded, False)):
        target = tmp_path / f"{name}.nq"
        run(settings, "export", "--format", "nquads", "--output", str(target), external=external)
        dumps[name] = set(parse(path=str(target), format=RdfFormat.N_QUADS))
    assert knowledge(dumps["remote"]) == knowledge(dumps["local"])
    assert len(dumps["remote"]) == len(dumps["local"])
