"""The web UI: home, search, query editor and resource pages, against independent parses of the
sample zoo; every card string escaped; strict security headers."""

from __future__ import annotations

import doctest
import hashlib
import html as html_lib
import json
import re
from pathlib import Path

import pytest

import mlkg.server.pages
from mlkg.namespaces import PREFIXES
from mlkg.queries import named_queries
from mlkg.server.app import close_app, create_app
from mlkg.server.linked_data import ResourcePaths, describe
from mlkg.server.pages import STATIC_DIR, Viewer, with_prefixes
from mlkg.server.settings import resolve_server_settings
from tests.webdata import (
    BASE,
    SCRIPT_DESCRIPTION,
    SCRIPT_MODEL_ID,
    TUNED_MODEL,
    boxnet_table,
    tfhub_pages,
    web_data,
)

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return web_data(tmp_path_factory.getbasetemp() / "web")


@pytest.fixture(scope="module")
def client(data):
    app = create_app(data.settings, limits=resolve_server_settings({}, workers=1))
    yield app.test_client()
    close_app(app)


def get_html(client, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<script\b[^>]*>.*?</script>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def path_of(iri: str) -> str:
    return "/resource/" + iri[len(BASE) :]


def test_doctests_pass():
    assert doctest.testmod(mlkg.server.pages).failed == 0


# -- home, search, query editor ----------------------------------------------------------------


def test_home_is_a_landing_page(client):
    html = get_html(client, "/")
    for target in ('href="/query"', 'href="/ontology"', 'href="/.well-known/void"'):
        assert target in html
    assert 'action="/search"' in html
    text = text_of(html)
    for query in named_queries().values():
        assert query.title in text
    assert "TensorFlow Hub" in text and "PyTorch Hub" in text


def test_search_page_lists_hits_with_links(client, data):
    page = next(p for p in tfhub_pages(data.tfhub) if "sparrow" in p.handle)
    html = get_html(client, "/search?q=sparrow")
    assert f'href="{path_of(page.iri)}"' in html
    assert "<mark>" in html
    hits = client.get("/search?q=sparrow&format=json").get_json()["hits"]
    assert hits[0]["iri"] == page.iri and hits[0]["href"] == path_of(page.iri)
    assert client.get("/search?q=sparrow", headers={"Accept": "application/json"}).is_json


def test_search_by_kind_without_words_lists_that_kind(client):
    text = text_of(get_html(client, "/search?kind=publisher"))
    assert "Aurora Vision Lab" in text and "Quillworks Language Group" in text


def test_search_escapes_the_query_and_hits(client):
    html = get_html(client, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E+probe")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_query_editor_is_configured_from_the_ontology_and_the_catalogue(client):
    html = get_html(client, "/query")
    config = json.loads(
        html_lib.unescape(
            re.search(
                r'<script type="application/json" id="yasgui-config">(.*?)</script>', html, re.S
            )[1]
        )
    )
    assert config["endpoint"] == "http://localhost/sparql"
    assert config["prefixes"] == PREFIXES
    assert {e["name"] for e in config["examples"]} == set(named_queries())
    for example in config["examples"]:
        assert "PREFIX mlkg:" in example["query"] or "mlkg:" not in example["query"]
    for tag in re.findall(r"<script\b[^>]*>", html):  # no inline script anywhere
        assert "src=" in tag or 'type="application/json"' in tag


def test_yasgui_is_vendored_from_npm_under_mit(client):
    folder = STATIC_DIR / "yasgui"
    source = json.loads((folder / "SOURCE.json").read_text())
    assert source["name"] == "@zazuko/yasgui" and source["license"] == "MIT"
    script = (REPO / "scripts" / "vendor-yasgui.sh").read_text()
    assert f'VERSION="${{1:-{source["version"]}}}"' in script
    assert "MIT License" in (folder / "LICENSE").read_text()
    for name, digest in source["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        served = client.get(f"/-/static/yasgui/{name}")
        assert served.status_code == 200 and served.data == (folder / name).read_bytes()


def test_with_prefixes_declares_only_what_is_used():
    text = with_prefixes("# t: x\nSELECT ?s WHERE { ?s a mlkg:Model ; dcterms:title ?t }")
    assert text.splitlines()[0] == "# t: x"
    assert "PREFIX mlkg:" in text and "PREFIX dcterms:" in text and "PREFIX prov:" not in text
    declared = "PREFIX mlkg: <x>\nSELECT * WHERE { ?s a mlkg:Model }"
    assert with_prefixes(declared) == declared


# -- model pages ------------------------------------------------------------------------------


def test_every_sample_model_page_shows_its_facts(client, data):
    for page in tfhub_pages(data.tfhub):
        html = get_html(client, path_of(page.iri))
        text = text_of(html)
        assert page.identifier in text
        if page.description and not page.description.startswith("<!--"):
            assert html_lib.unescape(page.description) in text or page.description in text
        zoo_link = f'href="https://tfhub.dev/{page.identifier}" rel="nofollow noopener noreferrer"'
        assert zoo_link in html, page.identifier
        # a licence the card states is "declared"; without one, TF Hub's default applies
        licence_row = re.search(r'<tr class="license">(.*?)</tr>', html, re.S)[1]
        expected = "declared" if "license" in page.fields else "defaulted"
        assert expected in licence_row, page.identifier


def test_evaluations_table_matches_the_card_table(client, data):
    table = boxnet_table(data.zoo)
    for entrypoint, columns in table.items():
        if not entrypoint.startswith("boxnet"):
            continue  # the baseline row names no entry point of the page
        html = get_html(
            client, path_of(BASE + f"model/pytorch-hub/mlkg-samples/boxnet/{entrypoint}")
        )
        rows = re.search(r'<table class="evaluations">(.*?)</table>', html, re.S)[1]
        for column in ("mAP@0.5:0.95", "mAP@0.5"):
            raw = columns[column]
            assert raw in rows, (entrypoint, column)
            fraction = float(raw.rstrip("%")) / 100
            assert re.search(rf">\s*{fraction:g}\s*<", rows), (entrypoint, raw)
        assert "COCO" in text_of(rows)


def test_training_configuration_and_per_label_evaluation(client):
    html = get_html(client, path_of(TUNED_MODEL))
    params = text_of(re.search(r'<table class="hyperparameters">(.*?)</table>', html, re.S)[1])
    assert "learning_rate 0.001 1e-3" in params
    assert "epochs 3" in params
    evaluation = text_of(re.search(r'<table class="evaluations">(.*?)</table>', html, re.S)[1])
    assert "Accuracy 0.913" in evaluation
    assert "validation positive yes 91.3%" in evaluation
    training = text_of(re.search(r'<section id="training">(.*?)</section>', html, re.S)[1])
    assert "SST-2" in training or "sst-2" in training.lower()
    facts = text_of(re.search(r'<section id="facts">(.*?)</section>', html, re.S)[1])
    assert "1234567" in facts and "keras" in facts


def test_lineage_up_and_down(client, data):
    sparrow = BASE + "model/tfhub/quillworks/sparrow-sentiment/1"
    up = re.search(
        r'<section id="lineage">(.*?)</section>', get_html(client, path_of(TUNED_MODEL)), re.S
    )[1]
    assert f'href="{path_of(sparrow)}"' in up and "fine-tuned from" in text_of(up).lower()
    down = re.search(
        r'<section id="lineage">(.*?)</section>', get_html(client, path_of(sparrow)), re.S
    )[1]
    assert f'href="{path_of(TUNED_MODEL)}"' in down


def test_variants_and_versions(client, data):
    pages = tfhub_pages(data.tfhub)
    base = next(p for p in pages if p.handle == "aurora/imagenet/pinenet_s/classification/2")
    variants = [
        p
        for p in pages
        if p.kind in ("Lite", "Tfjs")
        and p.handle.startswith("aurora/imagenet/pinenet_s/classification/2/")
    ]
    assert variants
    lineage = re.search(
        r'<section id="lineage">(.*?)</section>', get_html(client, path_of(base.iri)), re.S
    )[1]
    for variant in variants:
        assert f'href="{path_of(variant.iri)}"' in lineage
    older = BASE + "model/tfhub/aurora/imagenet/pinenet_s/classification/1"
    assert "Older:" in text_of(lineage) and f'href="{path_of(older)}"' in lineage
    newer_page = re.search(
        r'<section id="lineage">(.*?)</section>', get_html(client, path_of(older)), re.S
    )[1]
    assert "Newer:" in text_of(newer_page) and f'href="{path_of(base.iri)}"' in newer_page


# -- untrusted card text ----------------------------------------------------------------------


def test_a_card_with_script_shows_the_text_and_runs_nothing(client):
    response = client.get(path_of(BASE + "model/tfhub/" + SCRIPT_MODEL_ID), headers=BROWSER)
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html_lib.escape(SCRIPT_DESCRIPTION, quote=True) in html
    assert SCRIPT_DESCRIPTION in text_of(html)
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html  # a tag value, escaped too
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_http_iris_become_external_links():
    viewer = Viewer(ResourcePaths(BASE), {})
    assert viewer.iri("javascript:alert(1)").href is None
    assert viewer.iri("data:text/html,x").href is None
    external = viewer.iri("https://example.org/card")
    assert external.href == "https://example.org/card" and external.external
    local = viewer.iri(BASE + "dataset/coco")
    assert local.href == "/resource/dataset/coco" and not local.external


def test_rdf_answers_are_nosniff_too(client):
    response = client.get("/resource/dataset/coco", headers={"Accept": "text/turtle"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- generic pages ----------------------------------------------------------------------------


def test_dataset_page_lists_the_models_trained_on_it(client, data):
    html = get_html(client, "/resource/dataset/coco")
    incoming = re.search(r'<section id="incoming">(.*?)</section>', html, re.S)[1]
    for entrypoint in boxnet_table(data.zoo):
        if entrypoint.startswith("boxnet"):
            model = BASE + f"model/pytorch-hub/mlkg-samples/boxnet/{entrypoint}"
            assert f'href="{path_of(model)}"' in incoming
    assert "trained on" in text_of(incoming).lower()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/resource/publisher/tfhub/aurora", "Aurora Vision Lab"),
        ("/resource/task/image-classification", "Image classification"),
        ("/resource/metric/accuracy", "Accuracy"),
        ("/resource/collection/tfhub/aurora/pinenet/1", "aurora/pinenet/1"),
        ("/resource/label/sst-2/positive", "positive"),
        ("/resource/hub/tfhub", "TensorFlow Hub"),
        ("/resource/graph/test/tuned", "graph/test/tuned"),
    ],
)
def test_generic_pages(client, path, expected):
    html = get_html(client, path)
    assert expected in text_of(html)
    assert '<section id="statements">' in html


def test_incoming_links_are_capped(data):
    from mlkg.server.linked_data import GraphReader

    reader = GraphReader(data.settings)
    full = describe(reader, BASE + "hub/tfhub")
    capped = describe(reader, BASE + "hub/tfhub", max_incoming=2)
    assert len(full.incoming) > 2 and not full.incoming_truncated
    assert len(capped.incoming) == 2 and capped.incoming_truncated
    reader.close()


def test_no_template_marks_text_safe():
    from mlkg.server.pages import TEMPLATE_DIR

    for template in TEMPLATE_DIR.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name


def test_twins_of_an_outside_iri_keep_it_encoded(client):
    response = client.get(
        "/-/resource", query_string={"iri": "http://spdx.org/licenses/MIT"}, headers=BROWSER
    )
    assert response.status_code == 200
    link = response.headers["Link"]
    assert "/-/resource?iri=http%3A%2F%2Fspdx.org%2Flicenses%2FMIT&format=turtle" in link


def test_a_fresh_data_dir_still_serves_the_home_page(settings):
    from flask import Flask

    from mlkg.server.pages import create_blueprint

    app = Flask("fresh")
    app.register_blueprint(create_blueprint(settings))
    client = app.test_client()
    assert client.get("/", headers=BROWSER).status_code == 200
    search = client.get("/search?q=bert", headers=BROWSER)
    assert search.status_code == 200 and "no search index yet" in search.get_data(as_text=True)
    missing = client.get("/resource/dataset/coco", headers=BROWSER)
    assert missing.status_code == 503 and "mlkg build" in missing.get_data(as_text=True)
