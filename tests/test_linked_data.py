"""Linked data: every resource IRI dereferences with content negotiation; the ontology and the
VoID description are served; unknown IRIs get a helpful 404."""

from __future__ import annotations

import doctest
from urllib.parse import quote

import pytest
import rdflib
from flask import Flask
from rdflib.compare import isomorphic

import mlkg.server.linked_data
from mlkg.resources import data_dir
from mlkg.server.app import close_app, create_app
from mlkg.server.linked_data import ResourcePaths
from mlkg.server.pages import create_blueprint
from mlkg.server.settings import resolve_server_settings
from tests.test_export import check_void
from tests.webdata import BASE, boxnet_table, tfhub_pages, web_data

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDFLIB = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
SCHEMA_URL = rdflib.URIRef("https://schema.org/url")
IDENTIFIER = rdflib.URIRef("http://purl.org/dc/terms/identifier")


#: rdflib's own parsers use its deprecated ConjunctiveGraph API; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return web_data(tmp_path_factory.getbasetemp() / "web")


@pytest.fixture(scope="module")
def client(data):
    app = create_app(data.settings, limits=resolve_server_settings({}, workers=1))
    yield app.test_client()
    close_app(app)


@pytest.fixture(scope="module")
def page(data):
    """A TF Hub model page from the sample, parsed independently."""
    return next(p for p in tfhub_pages(data.tfhub) if "sparrow" in p.handle)


def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/resource/" + iri[len(BASE) :]


def graph_of(response) -> rdflib.Graph:
    media = response.mimetype
    return rdflib.Graph().parse(data=response.data, format=RDFLIB[media])


def test_doctests_pass():
    assert doctest.testmod(mlkg.server.linked_data).failed == 0


@pytest.mark.parametrize("media", list(RDFLIB))
def test_a_model_iri_serves_its_statements_in_every_rdf_format(client, page, media):
    response = client.get(path_of(page.iri), headers={"Accept": media})
    assert response.status_code == 200
    assert response.mimetype == media
    assert response.headers["Vary"] == "Accept"
    graph = graph_of(response)
    subject = rdflib.URIRef(page.iri)
    assert graph.value(subject, IDENTIFIER).toPython() == page.handle
    assert graph.value(subject, SCHEMA_URL) == rdflib.URIRef("https://tfhub.dev/" + page.handle)
    # labels of linked nodes come along, so clients can show names
    task = graph.value(subject, rdflib.URIRef("https://w3id.org/mlkg/ontology#task"))
    assert graph.value(task, rdflib.RDFS.label) is not None


def test_all_rdf_twins_hold_the_same_graph(client, page):
    graphs = [graph_of(client.get(path_of(page.iri), headers={"Accept": m})) for m in RDFLIB]
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, "text/html"),
        (None, "text/html"),
        ("*/*", "text/html"),
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html;q=0.1, text/turtle", "text/turtle"),
        ("text/*;q=0.9, text/html;q=0", "text/turtle"),
        ("application/rdf+xml;q=0.8, application/n-triples;q=0.9", "application/n-triples"),
        ("application/json", "application/ld+json"),
        ("image/png, text/turtle;q=0.1", "text/turtle"),
    ],
)
def test_content_negotiation_honours_q_values(client, page, accept, expected):
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(path_of(page.iri), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


@pytest.mark.parametrize("accept", ["image/png", "text/html;q=0, text/turtle;q=0, */*;q=0"])
def test_nothing_acceptable_is_406(client, page, accept):
    response = client.get(path_of(page.iri), headers={"Accept": accept})
    assert response.status_code == 406
    assert b"text/turtle" in response.data  # says what is available


def test_format_parameter_wins_over_accept(client, page):
    response = client.get(path_of(page.iri) + "?format=ttl", headers={"Accept": BROWSER_ACCEPT})
    assert response.mimetype == "text/turtle"
    assert client.get(path_of(page.iri) + "?format=csv").status_code == 406


def test_html_advertises_its_twins(client, page):
    response = client.get(path_of(page.iri), headers={"Accept": BROWSER_ACCEPT})
    html = response.get_data(as_text=True)
    link = response.headers["Link"]
    for media in RDFLIB:
        assert f'<link rel="alternate" type="{media}"' in html
        assert f'type="{media}"' in link
    turtle_url = next(
        part.split(">")[0].strip(" <") for part in link.split(",") if "text/turtle" in part
    )
    twin = client.get(turtle_url)
    assert twin.status_code == 200 and twin.mimetype == "text/turtle"


def test_percent_encoded_iris_dereference(client, data):
    iri = BASE + "publisher/pytorch-hub/Sample%20Vision%20Group"
    response = client.get(path_of(iri), headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = graph_of(response)
    assert graph.value(rdflib.URIRef(iri), IDENTIFIER).toPython() == "Sample Vision Group"
    # every entry point of the BoxNet page links to that publisher
    models = set(
        graph.subjects(rdflib.URIRef("http://purl.org/dc/terms/publisher"), rdflib.URIRef(iri))
    )
    expected = {
        BASE + f"model/pytorch-hub/mlkg-samples/boxnet/{e}"
        for e in boxnet_table(data.zoo)
        if e.startswith("boxnet")
    }
    assert expected <= {str(m) for m in models}


def test_resource_paths_map_both_ways():
    paths = ResourcePaths(BASE, "/resource/", "/app")
    iri = BASE + "label/coco/traffic%20light"
    assert paths.href(iri) == "/app/resource/label/coco/traffic%20light"
    assert paths.iri_from_raw("label/coco/traffic%20light") == iri
    assert paths.iri_from_raw("label/coco/traffic light") == iri  # raw space, as typed
    assert paths.href("https://w3id.org/mlkg/ontology#Model") == "/app/ontology#Model"
    assert paths.href("http://spdx.org/licenses/MIT") is None
    assert paths.describe_href("http://spdx.org/licenses/MIT") == (
        "/app/-/resource?iri=" + quote("http://spdx.org/licenses/MIT", safe="")
    )


def test_unknown_iri_is_a_helpful_404(client):
    response = client.get("/resource/model/tfhub/aurora/imagenet/pinenet_s/classification/9")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not in the graph" in html
    assert "pinenet_s/classification/2" in html or "classification" in html  # suggestions
    machine = client.get("/resource/nothing/here", headers={"Accept": "text/turtle"})
    assert machine.status_code == 404


def test_iris_outside_the_base_are_described(client):
    response = client.get(
        "/-/resource",
        query_string={"iri": "http://spdx.org/licenses/MIT"},
        headers={"Accept": "text/turtle"},
    )
    assert response.status_code == 200
    graph = graph_of(response)
    assert graph.value(rdflib.URIRef("http://spdx.org/licenses/MIT"), rdflib.RDFS.label)
    redirect = client.get("/-/resource", query_string={"iri": BASE + "dataset/coco"})
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith("/resource/dataset/coco")
    assert client.get("/-/resource", query_string={"iri": "not an iri"}).status_code == 400


def test_head_is_answered(client, page):
    response = client.head(path_of(page.iri), headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.data == b""


# -- the ontology ----------------------------------------------------------------------------


def test_ontology_iri_serves_the_ontology(client):
    shipped = (data_dir("ontology") / "mlkg.ttl").read_bytes()
    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert turtle.data == shipped
    expected = rdflib.Graph().parse(data=shipped, format="turtle")
    for media in ("application/ld+json", "application/rdf+xml", "application/n-triples"):
        response = client.get("/ontology", headers={"Accept": media})
        assert response.status_code == 200
        assert isomorphic(graph_of(response), expected), media


def test_ontology_page_documents_every_class_and_property(client):
    shipped = rdflib.Graph().parse(data_dir("ontology") / "mlkg.ttl", format="turtle")
    namespace = "https://w3id.org/mlkg/ontology#"
    terms = {
        str(s)[len(namespace) :]
        for kind in (rdflib.OWL.Class, rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty)
        for s in shipped.subjects(rdflib.RDF.type, kind)
        if str(s).startswith(namespace)
    }
    html = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT}).get_data(as_text=True)
    for term in terms:
        assert f'id="{term}"' in html, term
    label = str(shipped.value(rdflib.URIRef(namespace + "Model"), rdflib.RDFS.comment))
    assert rdflib.Literal(label).replace("'", "&#39;")[:40] in html


# -- VoID --------------------------------------------------------------------------------------


def test_void_is_served_with_true_counts(client, data):
    from mlkg.store import open_store

    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    void = graph_of(response)
    with open_store(data.settings.data_dir, base_iri=BASE, read_only=True) as store:
        quads = list(store.quads())
    check_void(void, quads, endpoint="http://localhost/sparql")
    html = client.get("/.well-known/void", headers={"Accept": BROWSER_ACCEPT})
    assert html.status_code == 200 and "void:Dataset" in html.get_data(as_text=True)
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_void_node_iris_lead_to_the_description(client):
    response = client.get("/resource/void/mlkg/class/Model")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/.well-known/void")


# -- the blueprint alone (pages read the snapshot in-process) --------------------------------


def test_the_blueprint_works_without_the_sparql_server(data, page):
    app = Flask("standalone")
    app.register_blueprint(create_blueprint(data.settings))
    client = app.test_client()
    response = client.get(path_of(page.iri), headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert graph_of(response).value(rdflib.URIRef(page.iri), IDENTIFIER)
    assert client.get(path_of(page.iri)).status_code == 200
