"""The SPARQL endpoint and Graph Store in-process (Flask test client) over a real store built
from the sample zoo. Answers are compared with the same query run directly on pyoxigraph."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store, parse

from mlkg.config import resolve_settings
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.server.app import close_app, create_app
from mlkg.server.settings import resolve_server_settings
from mlkg.snapshots import current_snapshot

TOKEN = "sparql-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SRX = "{http://www.w3.org/2005/sparql-results#}"
MODELS = "SELECT ?m ?id WHERE { ?m a mlkg:Model ; dcterms:identifier ?id } ORDER BY ?m"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    settings = resolve_settings(
        environ={}, data_dir=tmp_path_factory.mktemp("sparql") / "data", update_token=TOKEN
    )
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    return settings


@pytest.fixture(scope="module")
def app(settings):
    app = create_app(settings, limits=resolve_server_settings({}, workers=2, query_timeout=60))
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


def direct(settings, sparql: str) -> list:
    """The same query straight on pyoxigraph, over the served snapshot."""
    store = Store.read_only(str(current_snapshot(settings) / "store"))
    from mlkg.namespaces import PREFIXES

    return list(store.query(sparql, use_default_graph_as_union=True, prefixes=PREFIXES))


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.data
    return json.loads(response.data)["results"]["bindings"]


def test_get_query_answers_sparql_json_like_pyoxigraph(client, settings):
    response = client.get("/sparql", query_string={"query": MODELS})
    assert response.headers["Content-Type"] == "application/sparql-results+json"
    rows = bindings(response)
    expected = direct(settings, MODELS)
    assert len(rows) == len(expected) > 5
    assert [r["m"]["value"] for r in rows] == [e["m"].value for e in expected]
    assert "MLKG-Results-Truncated" not in response.headers


def test_post_form_and_post_direct_give_the_same_answer(client):
    get = bindings(client.get("/sparql", query_string={"query": MODELS}))
    form = bindings(client.post("/sparql", data={"query": MODELS}))
    body = client.post("/sparql", data=MODELS, content_type="application/sparql-query")
    assert get == form == bindings(body)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.9, */*;q=0.1", "text/csv"),
    ],
)
def test_result_formats_by_accept_carry_the_same_rows(client, accept, media):
    expected = [
        r["id"]["value"] for r in bindings(client.get("/sparql", query_string={"query": MODELS}))
    ]
    response = client.get("/sparql", query_string={"query": MODELS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media
    text = response.data.decode("utf-8")
    if media.endswith("+json"):
        ids = [r["id"]["value"] for r in json.loads(text)["results"]["bindings"]]
    elif media.endswith("+xml"):
        root = ET.fromstring(text)
        ids = [
            b.find(f"{SRX}literal").text
            for b in root.iter(f"{SRX}binding")
            if b.get("name") == "id"
        ]
    elif media == "text/csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        ids = [row["id"] for row in rows]
    else:
        lines = text.splitlines()
        assert lines[0] == "?m\t?id"
        ids = [json.loads(line.split("\t")[1]) for line in lines[1:]]
    assert ids == expected


def test_format_parameter_overrides_accept(client):
    response = client.get(
        "/sparql",
        query_string={"query": MODELS, "format": "csv"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"m,id\r\n")


def test_ask_answers_json_and_xml_and_refuses_csv(client):
    ask = "ASK { ?m a mlkg:Model }"
    assert json.loads(client.get("/sparql", query_string={"query": ask}).data)["boolean"] is True
    xml = client.get(
        "/sparql", query_string={"query": ask}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert ET.fromstring(xml.data).find(f"{SRX}boolean").text == "true"
    refused = client.get("/sparql", query_string={"query": ask}, headers={"Accept": "text/csv"})
    assert refused.status_code == 406
    assert json.loads(refused.data)["ok"] is False


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", RdfFormat.TURTLE),
        ("application/n-triples", RdfFormat.N_TRIPLES),
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("application/n-quads", RdfFormat.N_QUADS),
        ("application/trig", RdfFormat.TRIG),
    ],
)
def test_construct_in_every_graph_format_parses_back_to_the_same_triples(
    client, settings, accept, rdf_format
):
    construct = (
        "CONSTRUCT { ?m dcterms:identifier ?id } WHERE { ?m a mlkg:Model ; dcterms:identifier ?id }"
    )
    response = client.get("/sparql", query_string={"query": construct}, headers={"Accept": accept})
    assert response.status_code == 200, response.data
    assert response.mimetype == accept
    got = {(q.subject, q.predicate, q.object) for q in parse(response.data, rdf_format)}
    expected = {(t.subject, t.predicate, t.object) for t in direct(settings, construct)}
    assert got == expected and got


def test_nothing_acceptable_is_406(client):
    response = client.get(
        "/sparql", query_string={"query": MODELS}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "image/png" in json.loads(response.data)["error"]


def test_syntax_error_is_400_with_the_parser_message_in_the_error_shape(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    error = json.loads(response.data)
    assert error["ok"] is False and error["status"] == 400
    assert "syntax error" in error["error"] and "1:" in error["error"]


def test_browsers_get_an_html_error_page_with_the_message_escaped(client):
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT <script>alert(1)</script>"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert b"<script>alert" not in response.data


def test_union_default_graph_and_protocol_datasets(client, settings):
    graph = direct(
        settings, "SELECT ?g WHERE { GRAPH ?g { ?m a mlkg:Model } } ORDER BY ?g LIMIT 1"
    )[0]["g"].value
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graph = direct(
        settings, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    )
    one = bindings(client.get("/sparql", query_string={"query": count, "default-graph-uri": graph}))
    assert one[0]["n"]["value"] == in_graph[0]["n"].value
    union = bindings(client.get("/sparql", query_string={"query": count}))
    assert int(union[0]["n"]["value"]) > int(one[0]["n"]["value"])
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    only = bindings(client.get("/sparql", query_string={"query": named, "named-graph-uri": graph}))
    assert [r["g"]["value"] for r in only] == [graph]


def test_query_from_clause_is_honoured(client, settings):
    graph = direct(
        settings, "SELECT ?g WHERE { GRAPH ?g { ?m a mlkg:Model } } ORDER BY ?g LIMIT 1"
    )[0]["g"].value
    query = f"SELECT DISTINCT ?m FROM <{graph}> WHERE {{ ?m a mlkg:Model }}"
    models = bindings(client.get("/sparql", query_string={"query": query}))
    assert 1 <= len(models) < len(bindings(client.get("/sparql", query_string={"query": MODELS})))


def test_service_description_by_accept(client):
    turtle = client.get("/sparql")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    triples = list(parse(turtle.data, RdfFormat.TURTLE))
    endpoint = NamedNode("http://localhost/sparql")
    assert any(t.object == endpoint for t in triples)
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert list(parse(jsonld.data, RdfFormat.JSON_LD))


def test_update_and_graph_store_round_trip(client, settings):
    graph = "http://example.org/test/graph-store"
    store_url = f"/sparql/store?graph={graph}"
    assert client.get(store_url).status_code == 404
    put = client.put(
        store_url,
        data=b'<http://e/a> <http://e/p> "1" .',
        content_type="application/n-triples",
        headers=AUTH,
    )
    assert put.status_code == 201
    got = client.get(store_url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and b'<http://e/a> <http://e/p> "1"' in got.data
    assert client.head(store_url).status_code == 200
    post = client.post(
        store_url, data=b'<http://e/a> <http://e/p> "2" .', content_type="text/turtle", headers=AUTH
    )
    assert post.status_code == 204
    ask = f'ASK {{ GRAPH <{graph}> {{ <http://e/a> <http://e/p> "1", "2" }} }}'
    assert json.loads(client.get("/sparql", query_string={"query": ask}).data)["boolean"] is True
    update = client.post(
        "/sparql",
        data=f'DELETE DATA {{ GRAPH <{graph}> {{ <http://e/a> <http://e/p> "2" }} }}',
        content_type="application/sparql-update",
        headers=AUTH,
    )
    assert update.status_code == 204
    assert json.loads(client.get("/sparql", query_string={"query": ask}).data)["boolean"] is False
    assert client.delete(store_url, headers=AUTH).status_code == 204
    assert client.get(store_url).status_code == 404
    assert client.delete(store_url, headers=AUTH).status_code == 404


def test_graph_store_refuses_bad_requests(client):
    assert client.get("/sparql/store").status_code == 400
    assert client.get("/sparql/store?graph=http://e/g&default").status_code == 400
    assert client.get("/sparql/store?graph=not%20an%20iri").status_code == 400
    bad_type = client.put(
        "/sparql/store?graph=http://e/g", data=b"x", content_type="image/png", headers=AUTH
    )
    assert bad_type.status_code == 415
    bad_rdf = client.put(
        "/sparql/store?graph=http://e/g", data=b"<a> <b", content_type="text/turtle", headers=AUTH
    )
    assert bad_rdf.status_code == 400 and "parse" in json.loads(bad_rdf.data)["error"]


def test_system_pages_and_method_errors(client):
    limits = json.loads(client.get("/-/limits").data)
    assert {s["env"] for s in limits["settings"]} >= {"MLKG_QUERY_TIMEOUT", "MLKG_MAX_RESULT_ROWS"}
    assert limits["updates_enabled"] is True
    status = json.loads(client.get("/-/status").data)
    assert status["ok"] is True and status["snapshot"] >= 1
    put = client.put("/sparql", data="x")
    assert put.status_code == 405 and "GET" in put.headers["Allow"]
    assert json.loads(put.data) == {
        "ok": False,
        "error": json.loads(put.data)["error"],
        "status": 405,
    }
