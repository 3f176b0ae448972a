"""The full-text search index: kept in step with loads, safe on any user text, ranked."""

from __future__ import annotations

import doctest
import logging
import shutil
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import mlkg.search
from mlkg import search
from mlkg.cli import graph as graph_commands
from mlkg.pipeline import build
from mlkg.publish import Publisher
from mlkg.sample_zoo import SAMPLE_DIR
from tests.webdata import (
    BASE,
    SCRIPT_MODEL_ID,
    TUNED_MODEL,
    boxnet_table,
    tfhub_pages,
    web_data,
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return web_data(tmp_path_factory.getbasetemp() / "web")


def _rows(settings) -> set[tuple[str, str, str, str]]:
    with closing(sqlite3.connect(search.index_path(settings))) as conn:
        return set(conn.execute("SELECT graph, iri, kind, label FROM resources"))


def test_this_python_has_fts5():
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(a)")


def test_doctests_pass():
    assert doctest.testmod(mlkg.search).failed == 0


def test_every_sample_model_is_found_by_its_identifier(data):
    pages = tfhub_pages(data.tfhub)
    assert len(pages) > 10
    for page in pages:
        hits = search.search(data.settings, page.identifier, limit=5, kind="model", prefix=False)
        assert hits and hits[0].iri == page.iri, page.identifier


def test_pytorch_hub_entry_points_are_found(data):
    for entrypoint in boxnet_table(data.zoo):
        if entrypoint.startswith("boxnet"):
            hits = search.search(data.settings, entrypoint, limit=3)
            expected = BASE + "model/pytorch-hub/mlkg-samples/boxnet/" + entrypoint
            assert hits[0].iri == expected


def test_words_of_descriptions_tags_and_vocabulary_labels_match(data):
    sparrow = next(p for p in tfhub_pages(data.tfhub) if "sparrow" in p.handle)
    word = sorted(sparrow.description.replace(":", " ").split(), key=len)[-1]
    assert sparrow.iri in {h.iri for h in search.search(data.settings, word, limit=50)}
    # the licence and the task are labels of vocabulary concepts, indexed with the model
    assert sparrow.fields["license"] == "mit"
    by_licence = {h.iri for h in search.search(data.settings, "MIT License", limit=50)}
    assert sparrow.iri in by_licence
    by_task = {h.iri for h in search.search(data.settings, "text classification", limit=50)}
    assert sparrow.iri in by_task


def test_vocabulary_datasets_are_searchable_and_exact_names_rank_first(data):
    hits = search.search(data.settings, "coco", limit=5)
    assert hits[0].iri == BASE + "dataset/coco"
    assert hits[0].kind == "dataset"
    assert search.search(data.settings, "ImageNet", limit=1)[0].iri == (
        BASE + "dataset/imagenet-ilsvrc-2012"
    )


def test_kind_filter_and_prefix_type_ahead(data):
    assert {h.kind for h in search.search(data.settings, "pinenet", kind="model")} == {"model"}
    partial = search.search(data.settings, "pinen", kind="model")
    assert partial and all("pinenet" in h.label.lower() or h.snippet for h in partial)
    assert search.search(data.settings, "pinen", kind="model", prefix=False) == []


def test_each_resource_is_listed_once(data):
    # the aurora publisher is a stub in every aurora record graph, and described by its own
    hits = search.search(data.settings, "aurora", limit=100)
    iris = [h.iri for h in hits]
    assert len(iris) == len(set(iris))


def test_snippets_mark_matches_without_markup(data):
    hit = search.search(data.settings, "script probe", limit=1)[0]
    assert hit.iri == BASE + "model/tfhub/" + SCRIPT_MODEL_ID
    assert any(matched for _, matched in hit.snippet_parts)
    assert "\x02" not in hit.snippet and "\x03" not in hit.snippet
    assert "".join(text for text, _ in hit.snippet_parts) == hit.snippet


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "AND OR NOT",
        "label:pinenet",
        "NEAR(a b, 2)",
        "*",
        "^pinenet",
        "pine*",
        "a\"b'c",
        ")(",
        "-pinenet",
        "{label identifier}: x",
        "\x00\x01",
        "😀 ü ß",
        "x" * 5000,
    ],
)
def test_user_text_is_never_fts_syntax(data, text):
    hits = search.search(data.settings, text, limit=5)
    assert isinstance(hits, list)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_valid_expression_or_none(text):
    expression = search.match_expression(text)
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
        if expression is not None:
            conn.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()


def test_an_injected_record_graph_is_indexed_through_the_publisher(data):
    hits = search.search(data.settings, "fine-tuned web tests", limit=3)
    assert hits[0].iri == TUNED_MODEL


def test_browse_lists_a_kind_in_label_order(data):
    listed = search.browse(data.settings, "publisher", limit=50)
    labels = [h.label for h in listed]
    assert labels == sorted(labels)
    assert BASE + "publisher/tfhub/aurora" in {h.iri for h in listed}


# -- keeping in step with loads (own stores: these tests change them) --------------------------


@pytest.fixture
def zoo(tmp_path):
    folder = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", folder)
    return folder


def test_changed_record_replaces_its_rows(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    page = next(p for p in tfhub_pages(zoo) if "sparrow" in p.handle)
    before = _rows(settings)
    text = page.path.read_text(encoding="utf-8")
    page.path.write_text(text.replace(page.description, "Zanzibar quokka detector."), "utf-8")
    build(settings, "tfhub", location=str(zoo))
    assert [h.iri for h in search.search(settings, "zanzibar quokka")] == [page.iri]
    assert page.iri not in {h.iri for h in search.search(settings, "product reviews")}
    assert _rows(settings) == before  # same rows (graph, iri, kind, label), none duplicated


def test_removed_record_drops_its_rows(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    page = next(p for p in tfhub_pages(zoo) if "sparrow" in p.handle)
    page.path.unlink()
    build(settings, "tfhub", location=str(zoo))
    assert page.iri not in {h.iri for h in search.search(settings, "sparrow", limit=50)}
    graphs = {row[0] for row in _rows(settings)}
    assert not any(g.endswith("sparrow-sentiment/1.md") for g in graphs)


def test_rebuild_gives_the_rows_of_the_incremental_index(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    build(settings, "pytorch-hub", location=str(SAMPLE_DIR / "pytorch-hub"))
    incremental = _rows(settings)
    search.index_path(settings).unlink()
    assert search.search(settings, "pinenet") == []  # no index: no hits, no error
    written = search.rebuild_index(settings)
    assert _rows(settings) == incremental
    assert written == len([r for r in incremental if "/graph/vocabulary/" not in r[0]])


def test_reindex_command(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    search.index_path(settings).unlink()
    result = CliRunner().invoke(graph_commands.reindex, obj=settings)
    assert result.exit_code == 0, result.output
    assert "indexed" in result.output
    assert search.search(settings, "pinenet")


def test_an_index_failure_is_logged_and_flagged_not_raised(settings, zoo, caplog):
    search.index_path(settings).mkdir(parents=True)  # a folder where the database should be
    with caplog.at_level(logging.WARNING, logger="mlkg.publish"):
        report = build(settings, "tfhub", location=str(zoo))
    assert report.accepted > 0
    assert "mlkg reindex" in caplog.text
    assert search.is_stale(settings)
    search.index_path(settings).rmdir()
    search.rebuild_index(settings)
    assert not search.is_stale(settings)


def test_publisher_removed_without_an_index_is_harmless(settings):
    Publisher(settings).removed([])
