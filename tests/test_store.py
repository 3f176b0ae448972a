"""The embedded store: union default graph, bulk add with crash recovery, atomic replace."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from mlkg.errors import QueryError, StoreError
from mlkg.store import EmbeddedStore, open_store

EX = "https://example.org/"
BASE = "https://w3id.org/mlkg/resource/"


def quad(s: str, o: str, g: str) -> Quad:
    return Quad(NamedNode(EX + s), NamedNode(EX + "p"), Literal(o), NamedNode(EX + g))


def graph_values(store: EmbeddedStore, g: str) -> set[str]:
    return {q.object.value for q in store.quads(NamedNode(EX + g))}


def test_queries_see_the_union_of_named_graphs(tmp_path):
    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs(
            {
                NamedNode(EX + "g1"): [quad("a", "1", "g1")],
                NamedNode(EX + "g2"): [quad("b", "2", "g2")],
            }
        )
        values = {row["o"].value for row in store.query("SELECT ?o WHERE { ?s ?p ?o }")}
        assert values == {"1", "2"}
        only_default = list(store.query("SELECT ?o WHERE { ?s ?p ?o }", union_default_graph=False))
        assert only_default == []


def test_replace_swaps_a_graph_whole_and_leaves_others(tmp_path):
    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs(
            {
                NamedNode(EX + "g1"): [quad("a", "old", "g1"), quad("a", "x", "g1")],
                NamedNode(EX + "g2"): [quad("b", "keep", "g2")],
            }
        )
        store.replace_graphs({NamedNode(EX + "g1"): [quad("a", "new", "g1")]})
        assert graph_values(store, "g1") == {"new"}
        assert graph_values(store, "g2") == {"keep"}


def test_a_concurrent_reader_never_sees_a_half_replaced_graph(tmp_path):
    import threading

    g = NamedNode(EX + "g")
    versions = {name: [quad(f"s{i}", name, "g") for i in range(200)] for name in ("A", "B")}
    seen: list[frozenset] = []
    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs({g: versions["A"]})
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                rows = store.query(f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}")
                objects = [row["o"].value for row in rows]
                seen.append(frozenset(objects) | {str(len(objects))})

        reader = threading.Thread(target=read)
        reader.start()
        for turn in range(40):
            store.replace_graphs({g: versions["B" if turn % 2 == 0 else "A"]})
        stop.set()
        reader.join()
    assert seen, "the reader ran"
    assert set(seen) <= {frozenset({"A", "200"}), frozenset({"B", "200"})}


def test_interrupted_bulk_chunk_is_dropped_on_next_open(tmp_path):
    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs({NamedNode(EX + "done"): [quad("a", "1", "done")]})
        # simulate a crash after the journal entry and part of the bulk write
        journal = tmp_path / "bulk-journal.jsonl"
        with journal.open("a") as handle:
            handle.write(json.dumps({"chunk": 99, "graphs": [EX + "half"]}) + "\n")
        store._store.bulk_extend([quad("x", "partial", "half")])
    with open_store(tmp_path, base_iri=BASE) as store:
        assert graph_values(store, "done") == {"1"}
        assert graph_values(store, "half") == set()
    assert not journal.exists()


def test_store_refuses_another_base_iri(tmp_path):
    open_store(tmp_path, base_iri=BASE).close()
    with pytest.raises(StoreError, match="base IRI"):
        open_store(tmp_path, base_iri="https://example.org/other/")


def test_read_only_open_of_a_missing_store_says_to_build_first(tmp_path):
    with pytest.raises(StoreError, match="mlkg build"):
        open_store(tmp_path / "nothing", base_iri=BASE, read_only=True)


def test_syntax_error_is_a_query_error_with_the_position(tmp_path):
    with open_store(tmp_path, base_iri=BASE) as store, pytest.raises(QueryError) as info:
        store.query("SELECT ?x WHERE { ?x ?y }")
    assert "1:" in str(info.value) or "line" in str(info.value).lower()


@pytest.mark.parametrize("fmt", [RdfFormat.N_QUADS, RdfFormat.TRIG])
def test_dataset_dump_keeps_named_graphs(tmp_path, fmt):
    import io

    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs(
            {
                NamedNode(EX + "g1"): [quad("a", "1", "g1")],
                NamedNode(EX + "g2"): [quad("a", "1", "g2")],
            }
        )
        out = io.BytesIO()
        store.dump(out, fmt)
    quads = set(parse(out.getvalue(), format=fmt))
    assert quads == {quad("a", "1", "g1"), quad("a", "1", "g2")}


def test_turtle_dump_is_the_union_with_each_triple_once(tmp_path):
    import io

    with open_store(tmp_path, base_iri=BASE) as store:
        store.add_new_graphs(
            {
                NamedNode(EX + "g1"): [quad("a", "1", "g1")],
                NamedNode(EX + "g2"): [quad("a", "1", "g2"), quad("b", "2", "g2")],
            }
        )
        out = io.BytesIO()
        store.dump(out, RdfFormat.TURTLE)
    triples = list(parse(out.getvalue(), format=RdfFormat.TURTLE))
    assert len(triples) == 2
    assert {t.object.value for t in triples} == {"1", "2"}
