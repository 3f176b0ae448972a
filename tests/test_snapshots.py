"""`mlkg build` over each full real snapshot, through the real store, against independent parses.

The crawler tests compare mapping output in detail; these check the whole pipeline on the same
data: every file becomes an accepted or quarantined record, and the store's answers match what a
few regular expressions read straight from the files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from mlkg.config import resolve_settings
from mlkg.pipeline import build
from mlkg.store import open_store

TFHUB_SNAPSHOTS = ["tfhub.dev", "tfhub.dev-legacy-2021-05-27"]
HEADER = re.compile(r"^# (\w+) (.+)$")
PARENT = re.compile(r"^<!--\s*parent-model:(.+)-->$", re.MULTILINE)
LICENSE = re.compile(r"^<!--\s*license:(.+)-->$", re.MULTILINE)
LOAD = re.compile(r"torch\.hub\.load\(\s*(?:(?:repo_or_dir|github)\s*=\s*)?['\"]([\w.-]+/[\w.-]+)")


def select(store, query: str) -> list:
    return list(store.query(query))


def tfhub_pages(root: Path) -> list[tuple[str, str, str]]:
    """(document type, handle, text) of every page, read independently of the crawler."""
    pages = []
    for path in sorted((root / "assets" / "docs").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = HEADER.match(text.split("\n", 1)[0].strip())
        if match:
            pages.append((match[1], match[2].strip(), text))
    return pages


@pytest.fixture(scope="module", params=TFHUB_SNAPSHOTS)
def tfhub_build(request, shared_dir, tmp_path_factory):
    root = shared_dir / "zoo-snapshots" / request.param
    settings = resolve_settings(environ={}, data_dir=tmp_path_factory.mktemp("data"))
    report = build(settings, "tfhub", location=str(root))
    return root, settings, report


def test_every_tfhub_page_is_accepted_or_quarantined(tfhub_build):
    root, _settings, report = tfhub_build
    files = list((root / "assets" / "docs").rglob("*.md"))
    assert report.crawled == len(files)
    assert report.accepted + report.quarantined == len(files)
    assert report.quarantined == 0, "the real catalogue has no unmappable page"


def test_tfhub_documents_per_type_through_the_store(tfhub_build):
    root, settings, _report = tfhub_build
    expected = Counter(kind for kind, _handle, _text in tfhub_pages(root))
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT ?type (COUNT(DISTINCT ?s) AS ?n) WHERE {
            ?g mlkg:recordSource "tfhub" ; foaf:primaryTopic ?s . ?s mlkg:entryType ?type }
            GROUP BY ?type""",
        )
    assert Counter({r["type"].value: int(r["n"].value) for r in rows}) == expected


def test_tfhub_dangling_parents_are_flagged(tfhub_build):
    root, settings, report = tfhub_build
    pages = tfhub_pages(root)
    # a variant's parent is a Module/Placeholder handle; a page describes it when it exists
    described = {handle for kind, handle, _ in pages if kind in {"Module", "Placeholder"}}
    parents = {
        value.strip().removeprefix("https://tfhub.dev/")
        for _kind, _handle, text in pages
        for value in PARENT.findall(text)
    }
    dangling = parents - described
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT DISTINCT ?id WHERE {
            ?p mlkg:unresolvedReference true ; dcterms:identifier ?id }""",
        )
    assert {r["id"].value for r in rows} == dangling
    assert report.unresolved_references == len(dangling)


def test_tfhub_licences_declared_and_defaulted(tfhub_build):
    root, settings, _report = tfhub_build
    models = [
        text
        for kind, _h, text in tfhub_pages(root)
        if kind in {"Module", "Placeholder", "Lite", "Tfjs", "Coral"}
    ]
    declared = sum(1 for text in models if LICENSE.search(text))
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT ?defaulted (COUNT(DISTINCT ?m) AS ?n) WHERE {
            ?g foaf:primaryTopic ?m . ?m a mlkg:Model ; dcterms:license ?l .
            OPTIONAL { ?m mlkg:licenseDefaulted ?flag }
            BIND(COALESCE(?flag, false) AS ?defaulted) } GROUP BY ?defaulted""",
        )
    counts = {r["defaulted"].value: int(r["n"].value) for r in rows}
    assert counts == {"false": declared, "true": len(models) - declared}


def test_pytorch_hub_entrypoint_repositories(shared_dir, tmp_path):
    root = shared_dir / "zoo-snapshots" / "pytorch-hub"
    settings = resolve_settings(environ={}, data_dir=tmp_path / "data")
    report = build(settings, "pytorch-hub", location=str(root))
    pages = [
        p
        for p in root.glob("*.md")
        if p.name not in {"README.md", "CONTRIBUTING.md", "CODE_OF_CONDUCT.md"}
    ]
    assert report.crawled == len(pages)
    assert report.accepted + report.quarantined == len(pages)
    repositories = {
        repo.lower() for page in pages for repo in LOAD.findall(page.read_text(encoding="utf-8"))
    }
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(store, "SELECT DISTINCT ?r WHERE { ?m mlkg:sourceRepository ?r }")
    found = {r["r"].value.removeprefix("https://github.com/").lower() for r in rows}
    assert found == repositories
