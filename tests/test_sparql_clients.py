"""Real SPARQL clients against a live ``mlkg serve``: SPARQLWrapper, rdflib's SPARQLStore and
the ``comunica-sparql`` command (npm @comunica/query-sparql v4, installed by
scripts/install-test-tools.sh). Their answers are compared with pyoxigraph on the snapshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import Store

from mlkg.config import resolve_settings
from mlkg.namespaces import PREFIXES
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.server.testing import LiveServer
from mlkg.snapshots import current_snapshot
from tests.conftest import REPO

TOKEN = "clients-test-token"
MODELS = (
    "PREFIX mlkg: <https://w3id.org/mlkg/ontology#> "
    "PREFIX dcterms: <http://purl.org/dc/terms/> "
    "SELECT ?m ?id WHERE { ?m a mlkg:Model ; dcterms:identifier ?id } ORDER BY ?m"
)
COMUNICA = REPO / ".venv" / "test-tools" / "node" / "node_modules" / ".bin" / "comunica-sparql"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    settings = resolve_settings(environ={}, data_dir=tmp_path_factory.mktemp("clients") / "data")
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    return settings


@pytest.fixture(scope="module")
def server(settings):
    env = {"MLKG_UPDATE_TOKEN": TOKEN}
    with LiveServer(settings.data_dir, options=["--workers", "2"], env=env) as server:
        yield server


@pytest.fixture(scope="module")
def expected_models(settings) -> list[tuple[str, str]]:
    store = Store.read_only(str(current_snapshot(settings) / "store"))
    rows = store.query(MODELS, use_default_graph_as_union=True, prefixes=PREFIXES)
    return [(row["m"].value, row["id"].value) for row in rows]


def test_sparqlwrapper_select_ask_construct_and_update(server, expected_models):
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(server.endpoint)
    client.setQuery(MODELS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [(r["m"]["value"], r["id"]["value"]) for r in rows] == expected_models

    client.setQuery("ASK { ?m a <https://w3id.org/mlkg/ontology#Model> }")
    assert client.query().convert()["boolean"] is True

    client.setQuery("CONSTRUCT WHERE { ?m a <https://w3id.org/mlkg/ontology#Model> }")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert {str(s) for s in graph.subjects()} == {m for m, _ in expected_models}

    writer = SPARQLWrapper(server.endpoint, updateEndpoint=server.endpoint)
    writer.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    writer.setMethod(POST)
    writer.setQuery("INSERT DATA { GRAPH <http://e/wrapper> { <http://e/s> <http://e/p> 1 } }")
    writer.query()
    client.setQuery("ASK { GRAPH <http://e/wrapper> { <http://e/s> <http://e/p> 1 } }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_rdflib_sparqlstore_and_update_store(server, expected_models):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

    graph = rdflib.Graph(store=SPARQLStore(server.endpoint))
    rows = [(str(m), str(i)) for m, i in graph.query(MODELS)]
    assert rows == expected_models
    assert len(graph) > len(expected_models)  # rdflib counts triples with a COUNT query

    headers = {"Authorization": f"Bearer {TOKEN}"}
    store = SPARQLUpdateStore(server.endpoint, server.endpoint, headers=headers)
    named = rdflib.Graph(store=store, identifier=rdflib.URIRef("http://e/rdflib"))
    named.add((rdflib.URIRef("http://e/s"), rdflib.URIRef("http://e/p"), rdflib.Literal("x")))
    reader = rdflib.Graph(store=SPARQLStore(server.endpoint))
    answer = reader.query('ASK { GRAPH <http://e/rdflib> { <http://e/s> <http://e/p> "x" } }')
    assert answer.askAnswer is True


def _comunica() -> str:
    if COMUNICA.exists():
        return str(COMUNICA)
    found = shutil.which("comunica-sparql")
    if found:
        return found
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed, so comunica-sparql cannot be installed")
    pytest.skip(f"comunica-sparql is not installed: run scripts/install-test-tools.sh ({COMUNICA})")


def test_comunica_sparql_command(server, expected_models):
    command = [
        _comunica(),
        f"sparql@{server.endpoint}",
        MODELS,
        "--outputType",
        "application/sparql-results+json",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NODE_OPTIONS": "--no-deprecation"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert sorted((r["m"]["value"], r["id"]["value"]) for r in rows) == sorted(expected_models)


def test_comunica_install_script_is_idempotent():
    script = Path(REPO / "scripts" / "install-test-tools.sh")
    assert script.exists() and os.access(script, os.X_OK)
    if not COMUNICA.exists():
        pytest.skip("comunica-sparql not installed here; the script's first run is CI's")
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "already installed" in result.stderr
