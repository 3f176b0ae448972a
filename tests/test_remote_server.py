"""``mlkg serve`` over an external store: a real server proxying to a real ``oxigraph serve``.

The endpoint keeps its contract when the store is external: SPARQL protocol answers equal to the
store's own, the row cap with its truncation marker, 400 with the parser's message, 503 past the
timeout (and the next query still answered), updates only with the bearer token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests
from pyoxigraph import RdfFormat, parse

from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.server.testing import LiveServer
from mlkg.store import connect
from tests.test_remote_store import OxigraphServer, _clean_environ

TOKEN = "remote-server-token"
MAX_ROWS = 5
JSON = {"Accept": "application/sparql-results+json"}
MODELS = "SELECT ?m ?id WHERE { ?m a mlkg:Model ; dcterms:identifier ?id } ORDER BY ?id"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[OxigraphServer]:
    server = OxigraphServer(union=True, timeout_s=10)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def settings(store, tmp_path_factory):
    settings = store.settings(tmp_path_factory.mktemp("remote-serve"))
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    return settings


@pytest.fixture(scope="module")
def served(store, settings) -> Iterator[LiveServer]:
    env = {**_clean_environ(), **store.environment(settings), "MLKG_UPDATE_TOKEN": TOKEN}
    options = ["--max-rows", str(MAX_ROWS), "--timeout", "2", "--workers", "2"]
    with LiveServer(settings.data_dir, options=options, env=env) as server:
        yield server


def query(server: LiveServer, sparql: str, **headers: str) -> requests.Response:
    return requests.get(server.endpoint, params={"query": sparql}, headers=headers, timeout=60)


def test_status_says_the_store_is_external_and_no_workers_run(served):
    status = served.status()
    assert status["store"] == "external"
    assert status["worker_pids"].get("readers", []) == []


def test_answers_equal_the_stores_own_and_are_capped_with_the_marker(served, settings):
    with connect(settings, read_only=True) as direct:
        expected = [(r["m"].value, r["id"].value) for r in direct.query(MODELS)]
    assert len(expected) > MAX_ROWS
    response = query(served, MODELS, **JSON)
    assert response.status_code == 200
    assert response.headers["MLKG-Results-Truncated"] == "true"
    assert response.headers["MLKG-Results-Limit"] == str(MAX_ROWS)
    document = response.json()
    assert document["truncated"] is True
    got = [(b["m"]["value"], b["id"]["value"]) for b in document["results"]["bindings"]]
    assert got == expected[:MAX_ROWS]
    small = query(served, MODELS + f" LIMIT {MAX_ROWS}", Accept="text/csv")
    assert small.status_code == 200 and "MLKG-Results-Truncated" not in small.headers
    lines = small.text.strip().splitlines()
    assert lines[0] == "m,id" and len(lines) == MAX_ROWS + 1


def test_ask_and_construct_are_answered_in_the_negotiated_formats(served):
    ask = query(served, "ASK { ?m a mlkg:Model }", **JSON)
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    graph = query(
        served,
        "CONSTRUCT { ?m a mlkg:Model } WHERE { ?m a mlkg:Model } LIMIT 3",
        Accept="text/turtle",
    )
    assert graph.status_code == 200 and graph.headers["Content-Type"].startswith("text/turtle")
    assert len(list(parse(graph.content, format=RdfFormat.TURTLE))) == 3


def test_a_syntax_error_is_400_with_the_parsers_message(served):
    response = query(served, "SELECT ?x WHERE { ?x ?y }", **JSON)
    assert response.status_code == 400
    assert "syntax error" in response.text.lower()


def test_a_runaway_query_is_stopped_and_the_next_one_answered(served):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    response = query(served, runaway, **JSON)
    assert response.status_code == 503
    assert "MLKG_QUERY_TIMEOUT" in response.text
    assert time.monotonic() - started < 30
    assert query(served, "ASK { ?m a mlkg:Model }", **JSON).status_code == 200


def test_updates_need_the_token_and_reach_the_store(served, settings):
    update = "INSERT DATA { GRAPH <urn:mlkg-test:g> { <urn:mlkg-test:s> rdfs:label 'via mlkg' } }"
    refused = requests.post(served.endpoint, data={"update": update}, timeout=60)
    assert refused.status_code == 401
    check = "ASK { GRAPH <urn:mlkg-test:g> { ?s rdfs:label 'via mlkg' } }"
    with connect(settings, read_only=True) as direct:
        assert not direct.query(check)
    accepted = requests.post(
        served.endpoint,
        data={"update": update},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert accepted.status_code == 204, accepted.text
    with connect(settings, read_only=True) as direct:
        assert direct.query(check)
    read = requests.get(
        f"{served.url}/sparql/store",
        params={"graph": "urn:mlkg-test:g"},
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert read.status_code == 200 and "via mlkg" in read.text
    missing = requests.get(
        f"{served.url}/sparql/store", params={"graph": "urn:mlkg-test:none"}, timeout=60
    )
    assert missing.status_code == 404
    json.loads(requests.get(f"{served.url}/-/limits", timeout=60).text)
