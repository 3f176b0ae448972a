"""The W3C SPARQL 1.1 Protocol, Graph Store Protocol and Service Description tests, run as data
against a live ``mlkg serve`` on 127.0.0.1.

The manifests (../shared/w3c-sparql-protocol) describe each test as HTTP requests
(``ht:Request``: method, path, headers, body) and expected responses (``mf:expectedStatus``,
``mf:expectedFormat``, ``mf:expectedBoolean``, response headers and an RDF body to compare
by isomorphism, ``mf:expectedLocation``). This runner reads them with rdflib and replays every
request over a socket, in manifest order, as oxigraph's ``testsuite`` does for its HTTP tests:

* the protocol's query tests on a read-only server (no MLKG_UPDATE_TOKEN), their
  ``ut:graphData`` loaded into the store before it starts;
* every protocol test and the Graph Store tests on a server with the token, which the runner
  sends as ``Authorization: Bearer`` (what any client of a protected endpoint does); there
  each test starts from an empty store (``DROP ALL``) plus its ``ut:graphData``, loaded with
  Graph Store PUTs, as oxigraph's runner gives each test a fresh store.

Paths: ``/sparql/`` becomes ``/sparql``, ``/gsp`` becomes ``/sparql/store`` (SOURCES.md).
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import NamedNode, RdfFormat, parse
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from mlkg.config import resolve_settings
from mlkg.server.testing import LiveServer
from mlkg.snapshots import publish_snapshot
from mlkg.store import open_store

TOKEN = "w3c-protocol-test-token"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF_TYPE = rdflib.RDF.type

#: Named status codes the manifests use.
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}

#: Every test not run, with the reason. Nothing else is skipped.
SKIPPED = {
    # Direct graph identification (PUT /gsp/person/1.ttl) needs graph IRIs that are URLs on
    # this server. mlkg's graphs are named under the resource base (https://w3id.org/...), so
    # it implements indirect identification (?graph=IRI), which the Graph Store Protocol allows
    # a store to choose (https://www.w3.org/TR/sparql11-http-rdf-update/#indirect-graph-identification).
    "put_get_repeat_direct": "direct graph identification is not offered (indirect is)",
    "put_delete_get_delete_direct": "direct graph identification is not offered (indirect is)",
    "post_get_post_get_direct": "direct graph identification is not offered (indirect is)",
    "head_existing_direct": "direct graph identification is not offered (indirect is)",
}


@dataclass
class Expect:
    statuses: list[str]
    format: str | None = None
    boolean: bool | None = None
    content_type: str | None = None
    body: str | None = None
    location: str | None = None


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    expect: Expect


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.name.startswith(("update_", "bad_update_"))


# -- reading the manifests ---------------------------------------------------------------------


def _items(graph: rdflib.Graph, head) -> list:
    return list(Collection(graph, head)) if head is not None else []


def _expect(graph: rdflib.Graph, response) -> Expect:
    statuses = [str(s).removeprefix(HTS) for s in graph.objects(response, MF.expectedStatus)]
    fmt = graph.value(response, MF.expectedFormat)
    boolean = graph.value(response, MF.expectedBoolean)
    content_type = None
    for header in _items(graph, graph.value(response, HT.headers)):
        if str(graph.value(header, HT.fieldName)).lower() == "content-type":
            content_type = str(graph.value(header, HT.fieldValue))
    body = graph.value(response, HT.body)
    location = graph.value(response, MF.expectedLocation)
    return Expect(
        statuses,
        None if fmt is None else str(fmt),
        None if boolean is None else boolean.toPython(),
        content_type,
        None if body is None else str(graph.value(body, CNT.chars)),
        None if location is None else str(location),
    )


def _request(graph: rdflib.Graph, node) -> Request:
    headers = [
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in _items(graph, graph.value(node, HT.headers))
    ]
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        # UTF-16 without a BOM as the tests mean "not UTF-8" (Python's "utf-16" adds a BOM).
        codec = "utf-16-le" if encoding.upper() == "UTF-16" else encoding
        body = str(graph.value(body_node, CNT.chars)).encode(codec)
    return Request(
        str(graph.value(node, HT.methodName)),
        str(graph.value(node, HT.absolutePath)),
        headers,
        body,
        _expect(graph, graph.value(node, HT.resp)),
    )


def read_manifest(path: Path) -> list[ProtocolTest]:
    """The tests of one manifest (and of the manifests it includes), in order."""
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF_TYPE, MF.Manifest))
    tests = []
    for include in _items(graph, graph.value(manifest, MF.include)):
        tests += read_manifest(Path(urllib.parse.urlparse(str(include)).path))
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = []
        if action is not None:
            requests = [_request(graph, r) for r in _items(graph, graph.value(action, HT.requests))]
        data = [
            (
                Path(urllib.parse.urlparse(str(graph.value(d, UT.graph))).path),
                str(graph.value(d, rdflib.RDFS.label)),
            )
            for d in graph.objects(entry, UT.graphData)
        ]
        name = re.split(r"[#/]", str(entry))[-1]
        tests.append(ProtocolTest(name, str(graph.value(entry, MF.name)), requests, data))
    return tests


# -- running requests --------------------------------------------------------------------------


def rewrite_path(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path == "/gsp" or path.startswith("/gsp?"):
        return "/sparql/store" + path[len("/gsp") :]
    return path


def send(server: LiveServer, request: Request, variables: dict[str, str], token: str | None):
    path = rewrite_path(request.path)
    body = request.body
    for name, value in variables.items():
        path = path.replace(name, value)
        body = body.replace(name.encode(), value.encode()) if body is not None else None
    headers = dict(request.headers)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request(request.method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def check(request: Request, status: int, headers: dict[str, str], data: bytes) -> str | None:
    """None if the response meets the expectations, else what is wrong."""
    expect = request.expect
    if not any(_status_matches(status, name) for name in expect.statuses):
        return f"status {status}, expected {expect.statuses}: {data[:300]!r}"
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if expect.format == "boolean":
        answer = _boolean(media, data)
        if answer is None:
            return f"no boolean result in {media}: {data[:200]!r}"
        if expect.boolean is not None and answer != expect.boolean:
            return f"boolean {answer}, expected {expect.boolean}"
    elif expect.format == "tabular" and not _tabular(media, data):
        return f"not SPARQL results: {media} {data[:200]!r}"
    elif expect.format == "RDF":
        try:
            list(parse(data, RdfFormat.from_media_type(media)))
        except (ValueError, SyntaxError, TypeError) as exc:
            return f"not RDF ({media}): {exc}"
    if expect.content_type and not _same_type(expect.content_type, content_type):
        return f"Content-Type {content_type!r}, expected {expect.content_type!r}"
    if expect.body is not None:
        got = rdflib.Graph().parse(data=data, format=media)
        want_type = (expect.content_type or "text/turtle").split(";")[0].strip()
        want = rdflib.Graph().parse(data=expect.body, format=want_type)
        if not isomorphic(got, want):
            return f"graph differs:\n{data.decode()}"
    return None


def _status_matches(status: int, name: str) -> bool:
    if name.startswith("StatusCode") and name.endswith("xx"):
        return status // 100 == int(name[len("StatusCode")])
    return STATUS[name] == status


def _boolean(media: str, data: bytes) -> bool | None:
    if media == "application/sparql-results+json":
        return json.loads(data).get("boolean")
    if media == "application/sparql-results+xml":
        node = ET.fromstring(data).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if node is None else node.text == "true"
    return None


def _tabular(media: str, data: bytes) -> bool:
    if media == "application/sparql-results+json":
        return "bindings" in json.loads(data)["results"]
    if media == "application/sparql-results+xml":
        return (
            ET.fromstring(data).find("{http://www.w3.org/2005/sparql-results#}results") is not None
        )
    return media in RESULT_TYPES and bool(data.strip())


def _same_type(expected: str, actual: str) -> bool:
    def parts(value: str) -> tuple[str, dict[str, str]]:
        media, *params = (p.strip().lower() for p in value.split(";"))
        return media, dict(p.split("=", 1) for p in params if "=" in p)

    (want, want_params), (got, got_params) = parts(expected), parts(actual)
    return want == got and all(got_params.get(k) == v for k, v in want_params.items())


def run_test(server: LiveServer, test: ProtocolTest, token: str | None) -> str | None:
    variables: dict[str, str] = {}
    for number, request in enumerate(test.requests, 1):
        status, headers, data = send(server, request, variables, token)
        problem = check(request, status, headers, data)
        if problem:
            return f"request {number} ({request.method} {request.path[:80]}): {problem}"
        if request.expect.location:
            variables[request.expect.location] = headers.get("Location", "")
    return None


def prepare(server: LiveServer, test: ProtocolTest) -> None:
    """Before a test: an empty store (the tests assume one, e.g. that PUT creates the graph),
    then its ``ut:graphData`` files PUT into their graphs with the Graph Store Protocol."""
    drop = Request(
        "POST",
        "/sparql/",
        [("Content-Type", "application/sparql-update")],
        b"DROP ALL",
        Expect(["StatusCode2xx"]),
    )
    status, _headers, data = send(server, drop, {}, TOKEN)
    assert status == 204, f"resetting the store: {status} {data!r}"
    for path, iri in test.graph_data:
        request = Request(
            "PUT",
            "/gsp?graph=" + urllib.parse.quote(iri, safe=""),
            [("Content-Type", "application/n-triples")],
            path.read_bytes(),
            Expect(["OK", "Created", "NoContent"]),
        )
        status, _headers, data = send(server, request, {}, TOKEN)
        assert status in {200, 201, 204}, f"loading {path.name}: {status} {data!r}"


def run_suite(server: LiveServer, tests: list[ProtocolTest], token: str | None) -> list[str]:
    """Run tests in order; print the tally; the failures' messages."""
    passed, failures = 0, []
    for test in tests:
        if test.name in SKIPPED:
            print(f"SKIP {test.name}: {SKIPPED[test.name]}")
            continue
        if token:
            prepare(server, test)
        problem = run_test(server, test, token)
        if problem:
            failures.append(f"{test.name} ({test.title}): {problem}")
            print(f"FAIL {test.name}: {problem}")
        else:
            passed += 1
    print(f"{passed} passed, {len(failures)} failed")
    return failures


# -- the tests ---------------------------------------------------------------------------------


def _show_tally(capsys, expected: str) -> None:
    """Check the runner's closing line and show it (and the skips) even without ``-s``."""
    output = capsys.readouterr().out
    assert expected in output, output
    with capsys.disabled():
        print("\n" + "\n".join(line for line in output.splitlines() if line))


@pytest.fixture(scope="module")
def suite_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "w3c-sparql-protocol"
    if not (folder / "protocol" / "manifest.ttl").exists():
        pytest.skip(f"no W3C protocol manifests in {folder}")
    return folder


def _data_dir_with(tmp_path: Path, tests: list[ProtocolTest]) -> Path:
    """A store holding every graph the tests' ut:graphData name, with a published snapshot."""
    settings = resolve_settings(environ={}, data_dir=tmp_path / "data")
    with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
        for path, iri in {d for test in tests for d in test.graph_data}:
            store.load_file(path, NamedNode(iri))
        publish_snapshot(settings, store)
    return settings.data_dir


def test_protocol_query_tests_on_a_read_only_server(suite_dir, tmp_path, capsys):
    tests = [t for t in read_manifest(suite_dir / "protocol" / "manifest.ttl") if not t.is_update]
    assert len(tests) >= 20
    with LiveServer(_data_dir_with(tmp_path, tests), options=["--workers", "2"]) as server:
        failures = run_suite(server, tests, token=None)
    assert not failures, "\n".join(failures)
    _show_tally(capsys, f"{len(tests)} passed, 0 failed")


def test_protocol_and_graph_store_tests_with_updates_enabled(suite_dir, tmp_path, capsys):
    tests = read_manifest(suite_dir / "protocol" / "manifest.ttl")
    tests += read_manifest(suite_dir / "graph-store-protocol" / "manifest.ttl")
    assert sum(t.is_update for t in tests) >= 10
    env = {"MLKG_UPDATE_TOKEN": TOKEN}
    data_dir = tmp_path / "data"
    with LiveServer(data_dir, options=["--workers", "2"], env=env) as server:
        failures = run_suite(server, tests, token=TOKEN)
    assert not failures, "\n".join(failures)
    ran = len([t for t in tests if t.name not in SKIPPED])
    _show_tally(capsys, f"{ran} passed, 0 failed")


def test_service_description_tests(suite_dir, tmp_path, capsys):
    """The three service-description tests: GET on the endpoint returns RDF, with an
    sd:endpoint triple naming the endpoint, conforming to the SD vocabulary's structure."""
    names = {t.name for t in read_manifest(suite_dir / "service-description" / "manifest.ttl")}
    assert names == {"has-endpoint-triple", "returns-rdf", "conforms-to-schema"}
    with LiveServer(tmp_path / "data", options=["--workers", "1"]) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("GET", "/sparql", headers={"Accept": "text/turtle"})
        response = connection.getresponse()
        data = response.read()
    # returns-rdf
    assert response.status == 200
    graph = rdflib.Graph().parse(data=data, format="turtle")
    # has-endpoint-triple
    services = list(graph.subjects(SD.endpoint, rdflib.URIRef(server.endpoint)))
    assert len(services) == 1
    service = services[0]
    # conforms-to-schema: types and ranges of the properties used
    assert (service, RDF_TYPE, SD.Service) in graph
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    assert all(isinstance(f, rdflib.URIRef) for f in graph.objects(service, SD.resultFormat))
    assert all(isinstance(f, rdflib.URIRef) for f in graph.objects(service, SD.feature))
    for dataset in graph.objects(service, SD.defaultDataset):
        assert (dataset, RDF_TYPE, SD.Dataset) in graph
        for default in graph.objects(dataset, SD.defaultGraph):
            assert (default, RDF_TYPE, SD.Graph) in graph
    with capsys.disabled():
        print("\nservice description: 3 passed, 0 failed")
