"""Limits and concurrency: row cap, request size, malformed requests, refused updates, the query
timeout that kills the work while other clients keep being answered, and queries during a build
that never see a half-loaded record."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from mlkg.config import resolve_settings
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.server.app import close_app, create_app
from mlkg.server.settings import resolve_server_settings
from mlkg.server.testing import LiveServer
from mlkg.store import open_store

TOKEN = "limits-test-token"
CAP = 5
BODY_CAP = 4096
TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
#: A cartesian product over the store: ~10^11 rows on the sample, minutes of work at least.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    settings = resolve_settings(environ={}, data_dir=tmp_path_factory.mktemp("limits") / "data")
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    return settings.data_dir


def make_app(data_dir: Path, *, token: str | None):
    settings = resolve_settings(environ={}, data_dir=data_dir, update_token=token)
    limits = resolve_server_settings(
        {}, workers=2, max_result_rows=CAP, max_request_bytes=BODY_CAP, query_timeout=60
    )
    return create_app(settings, limits=limits)


@pytest.fixture(scope="module")
def read_only(data_dir):
    app = make_app(data_dir, token=None)
    yield app.test_client()
    close_app(app)


@pytest.fixture(scope="module")
def with_token(data_dir):
    app = make_app(data_dir, token=TOKEN)
    yield app.test_client()
    close_app(app)


def dump(data_dir: Path) -> bytes:
    """The live store as N-Quads, to compare before and after a refused write."""
    with open_store(data_dir, base_iri=resolve_settings(environ={}).base_iri, read_only=True) as s:
        out = io.BytesIO()
        s.dump(out, RdfFormat.N_QUADS)
        return out.getvalue()


# -- the row cap -------------------------------------------------------------------------------


def test_row_cap_cuts_and_marks_the_result(read_only):
    response = read_only.get("/sparql", query_string={"query": TRIPLES})
    assert response.status_code == 200
    assert response.headers["MLKG-Results-Truncated"] == "true"
    assert response.headers["MLKG-Results-Limit"] == str(CAP)
    document = json.loads(response.data)
    assert len(document["results"]["bindings"]) == CAP
    assert document["truncated"] is True


def test_a_result_of_exactly_the_cap_is_not_marked(read_only):
    response = read_only.get("/sparql", query_string={"query": f"{TRIPLES} LIMIT {CAP}"})
    assert "MLKG-Results-Truncated" not in response.headers
    document = json.loads(response.data)
    assert len(document["results"]["bindings"]) == CAP and "truncated" not in document


def test_row_cap_applies_to_graphs_and_other_formats(read_only):
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    response = read_only.get("/sparql", query_string={"query": construct, "format": "ntriples"})
    assert response.headers["MLKG-Results-Truncated"] == "true"
    assert len(response.data.decode().strip().splitlines()) == CAP
    csv = read_only.get("/sparql", query_string={"query": TRIPLES, "format": "csv"})
    assert csv.headers["MLKG-Results-Truncated"] == "true"
    assert len(csv.data.decode().strip().splitlines()) == CAP + 1  # header row


# -- request size and malformed requests -------------------------------------------------------


def test_oversized_bodies_are_413(read_only):
    query = "ASK {}" + " " * BODY_CAP
    direct = read_only.post("/sparql", data=query, content_type="application/sparql-query")
    assert direct.status_code == 413
    assert json.loads(direct.data)["status"] == 413
    form = read_only.post("/sparql", data={"query": query})
    assert form.status_code == 413


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"data": "ASK {}", "content_type": "text/plain"}, 415),
        ({"data": "ASK {}"}, 415),  # no Content-Type at all
        ({"data": "ASK {}", "content_type": "application/sparql-query; charset=UTF-16"}, 415),
        ({"data": b"ASK { \xff }", "content_type": "application/sparql-query"}, 400),
        ({"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400),
        ({"data": {"nothing": "here"}}, 400),
        (
            {
                "data": "query=ASK%7B%7D&query=ASK%7B%7D",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
        ),
        ({"data": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400),
        ({"data": {"query": "ASK {}", "named-graph-uri": "relative/iri"}}, 400),
    ],
)
def test_malformed_requests_get_the_right_4xx(read_only, request_kwargs, status):
    response = read_only.post("/sparql", **request_kwargs)
    assert response.status_code == status, response.data
    error = json.loads(response.data)
    assert error["ok"] is False and error["status"] == status and error["error"]


def test_update_by_get_and_unknown_format_are_400(read_only):
    assert read_only.get("/sparql?update=CLEAR%20ALL").status_code == 400
    assert (
        read_only.get("/sparql", query_string={"query": "ASK{}", "format": "png"}).status_code
        == 400
    )


# -- refused writes ----------------------------------------------------------------------------


def test_updates_are_403_when_off_and_the_store_is_unchanged(read_only, data_dir):
    before = dump(data_dir)
    update = read_only.post(
        "/sparql",
        data="CLEAR ALL",
        content_type="application/sparql-update",
        headers={"Authorization": "Bearer anything"},
    )
    assert update.status_code == 403
    assert "MLKG_UPDATE_TOKEN" in json.loads(update.data)["error"]
    put = read_only.put("/sparql/store?default", data=b"", content_type="text/turtle")
    assert put.status_code == 403
    delete = read_only.delete("/sparql/store?graph=http://e/g")
    assert delete.status_code == 403
    assert dump(data_dir) == before


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
def test_updates_without_the_right_token_are_401_and_the_store_is_unchanged(
    with_token, data_dir, headers
):
    before = dump(data_dir)
    update = with_token.post("/sparql", data={"update": "CLEAR ALL"}, headers=headers)
    assert update.status_code == 401
    assert update.headers["WWW-Authenticate"].startswith("Bearer")
    put = with_token.put(
        "/sparql/store?graph=http://e/g",
        data=b"<http://e/s> <http://e/p> 1 .",
        content_type="text/turtle",
        headers=headers,
    )
    assert put.status_code == 401
    assert dump(data_dir) == before


def test_dataset_conflict_in_an_update_is_400(with_token):
    update = "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = with_token.post(
        "/sparql?using-graph-uri=http://e/h",
        data=update,
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400


# -- a live server: timeout, concurrency, builds -----------------------------------------------


def get(server: LiveServer, query: str) -> tuple[int, bytes]:
    url = f"{server.endpoint}?{urllib.parse.urlencode({'query': query})}"
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_runaway_query_is_stopped_while_other_clients_are_answered(data_dir):
    with LiveServer(data_dir, options=["--workers", "2", "--timeout", "2"]) as server:
        pids_before = set(server.status()["worker_pids"]["readers"])
        slow: dict = {}

        def run_slow() -> None:
            slow["started"] = time.monotonic()
            slow["answer"] = get(server, ENDLESS)
            slow["ended"] = time.monotonic()

        thread = threading.Thread(target=run_slow)
        thread.start()
        answered_meanwhile = []
        while thread.is_alive() and len(answered_meanwhile) < 1000:
            status, body = get(server, "SELECT (COUNT(*) AS ?n) WHERE { ?m a mlkg:Model }")
            if thread.is_alive():
                assert status == 200, body
                answered_meanwhile.append(time.monotonic())
        thread.join()
        status, body = slow["answer"]
        assert status == 503
        error = json.loads(body)
        assert error["ok"] is False and "MLKG_QUERY_TIMEOUT" in error["error"]
        assert "stopped" in error["error"]
        # The second client was answered while the runaway query was still running.
        assert any(slow["started"] < t < slow["ended"] for t in answered_meanwhile)
        # The worker that ran it was killed: its process is gone, a new one took its place.
        for _ in range(600):
            pids_after = set(server.status()["worker_pids"]["readers"])
            if len(pids_after) == 2:
                break
            time.sleep(0.1)
        killed = pids_before - pids_after
        assert len(killed) == 1
        assert not Path(f"/proc/{killed.pop()}").exists()
        assert get(server, "ASK { ?m a mlkg:Model }")[0] == 200


HALF_LOADED = """
SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordId ?id }
  FILTER NOT EXISTS { GRAPH ?g { ?g mlkg:contentHash ?hash } }
}"""
PYTORCH_RECORDS = """
SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordSource "pytorch-hub" ; mlkg:contentHash ?hash ; foaf:primaryTopic ?m }
  ?m a mlkg:Model
}"""


def count(server: LiveServer, query: str) -> int:
    status, body = get(server, query)
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_queries_answer_from_the_last_snapshot_while_a_build_runs(data_dir, tmp_path):
    with LiveServer(data_dir, options=["--workers", "2"]) as server:
        assert count(server, PYTORCH_RECORDS) == 0
        build = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlkg",
                "--data-dir",
                str(data_dir),
                "-q",
                "build",
                "pytorch-hub",
                "--from",
                str(SAMPLE_DIR / "pytorch-hub"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        seen, during = set(), 0
        while build.poll() is None:
            assert count(server, HALF_LOADED) == 0
            seen.add(count(server, PYTORCH_RECORDS))
            during += build.poll() is None
        assert build.returncode == 0, build.stdout.read().decode()
        final = count(server, PYTORCH_RECORDS)
        assert final >= 3
        assert during >= 1, "no query was answered while the build ran"
        assert seen <= {0, final}, f"a partly loaded source was visible: {seen}"
        assert count(server, HALF_LOADED) == 0
