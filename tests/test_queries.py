"""Named queries and query helpers; every shipped query parses and runs on an empty store."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode

from mlkg.errors import NamedQueryNotFoundError
from mlkg.queries import named_queries, parse_header, parse_term, render_table, resolve_query
from mlkg.store import open_store


def test_parse_header_joins_continuation_lines():
    text = "# title: T\n# purpose: first\n#   second\n# example: mlkg query x\nSELECT * {}"
    assert parse_header(text) == {
        "title": "T",
        "purpose": "first second",
        "example": "mlkg query x",
    }


def test_resolve_query_by_name_file_or_text(tmp_path):
    name = sorted(named_queries())[0]
    assert resolve_query(name) == named_queries()[name].text
    path = tmp_path / "q.rq"
    path.write_text("ASK {}")
    assert resolve_query(str(path)) == "ASK {}"
    assert resolve_query("SELECT * WHERE { ?s ?p ?o }") == "SELECT * WHERE { ?s ?p ?o }"
    with pytest.raises(NamedQueryNotFoundError, match="named queries"):
        resolve_query("no-such-query")


def test_parse_term_forms():
    assert parse_term("<https://x.org/a>") == NamedNode("https://x.org/a")
    assert parse_term("dcterms:title") == NamedNode("http://purl.org/dc/terms/title")
    assert parse_term("42").value == "42" and parse_term("42").datatype.value.endswith("integer")
    assert parse_term('"a b"') == Literal("a b")
    assert parse_term("image classification") == Literal("image classification")


def test_render_table_removes_control_characters_and_cuts_long_cells():
    table = render_table(["a"], [["x\x1b[31mred\ny"], ["z" * 100]], max_width=10)
    assert "\x1b" not in table and "\n" not in table.split("\n")[2]
    assert "zzzzzzzzz…" in table
    assert table.endswith("(2 rows)")


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_parses_and_runs(tmp_path, name):
    with open_store(tmp_path, base_iri="https://w3id.org/mlkg/resource/") as store:
        result = store.query(named_queries()[name].text)
        assert list(result) == []
