"""Query formulas: parsing, flattening, DNF/CNF classification and the errors for bad text."""

from __future__ import annotations

import doctest
import importlib
import re

import pytest

from mlkg.errors import FormulaSyntaxError, MlkgError
from mlkg.optimizer.formula import label_key, parse_formula


@pytest.mark.parametrize(
    ("text", "canonical", "form", "groups"),
    [
        ("person", "person", "DNF", (("person",),)),
        ("person & car", "person & car", "DNF", (("person", "car"),)),
        ("person | car", "person | car", "DNF", (("person",), ("car",))),
        ("(person & car) | bus", "(person & car) | bus", "DNF", (("person", "car"), ("bus",))),
        # & binds tighter than |, as in the authors' workloads
        ("bus & person | cell_phone | bottle", "(bus & person) | cell_phone | bottle", "DNF",
         (("bus", "person"), ("cell_phone",), ("bottle",))),
        ("(bottle | tv) & chair", "(bottle | tv) & chair", "CNF", (("bottle", "tv"), ("chair",))),
        ("(a | b) & (c | d)", "(a | b) & (c | d)", "CNF", (("a", "b"), ("c", "d"))),
        # flattening: nested operators of one kind merge, repeated operands go
        ("a & (b & (c))", "a & b & c", "DNF", (("a", "b", "c"),)),
        ("((a | b)) | c", "a | b | c", "DNF", (("a",), ("b",), ("c",))),
        ("a & a & b", "a & b", "DNF", (("a", "b"),)),
        # words, quotes, spellings
        ("Person AND car or BUS", "(person & car) | bus", "DNF", (("person", "car"), ("bus",))),
        ('"cell phone" & dining-table', "cell_phone & dining_table", "DNF",
         (("cell_phone", "dining_table"),)),
        ("a && b || c", "(a & b) | c", "DNF", (("a", "b"), ("c",))),
    ],
)  # fmt: skip
def test_parse_and_normalise(text, canonical, form, groups):
    formula = parse_formula(text)
    assert str(formula) == canonical
    assert formula.form == form
    assert formula.groups == groups
    assert formula.read_once


def test_nested_formulas_are_accepted_without_groups():
    formula = parse_formula("a & (b | (c & d))")
    assert formula.form == "nested"
    assert formula.groups is None
    assert formula.labels == ("a", "b", "c", "d")
    assert str(formula) == "a & (b | (c & d))"


def test_repeated_labels_across_groups_are_not_read_once():
    formula = parse_formula("(a & b) | (a & c)")
    assert formula.form == "DNF" and not formula.read_once
    assert formula.labels == ("a", "b", "c")


def test_accuracy_along_the_formula():
    values = {"person": 0.9, "car": 0.8, "bus": 0.5}
    # (0.9·0.8) OR 0.5 = 0.72 + 0.5 − 0.36
    assert parse_formula("(person & car) | bus").accuracy(values) == pytest.approx(0.86)
    # (0.9 OR 0.8) AND 0.5 = 0.98 · 0.5
    assert parse_formula("(person | car) & bus").accuracy(values) == pytest.approx(0.49)
    # the authors' recorded 'book | person' plan: 1 − 0.21 · 0.59
    assert parse_formula("book | person").accuracy({"book": 0.41, "person": 0.79}) == (
        pytest.approx(0.8761)
    )
    # nested: a·(b + cd − b·cd)
    nested = parse_formula("a & (b | (c & d))")
    assert nested.accuracy({"a": 0.9, "b": 0.5, "c": 0.8, "d": 0.5}) == pytest.approx(
        0.9 * (0.5 + 0.4 - 0.2)
    )


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "empty", 1),
        ("   ", "empty", 1),
        ("person &", "formula ended", 9),
        ("(person & car", "missing ')'", 14),
        ("person & car)", "unbalanced ')'", 13),
        ("person car", "expected '&' or '|'", 8),
        ("& person", "expected a label", 1),
        ("person | | car", "expected a label", 10),
        ("person & $car", "not a label name", 10),
        ("!person", "negation", 1),
        ("not person", "negation", 1),
        ("()", "expected a label", 2),
    ],
)
def test_malformed_formulas_get_a_clear_error(text, message, column):
    with pytest.raises(FormulaSyntaxError, match=re.escape(message)) as caught:
        parse_formula(text)
    assert isinstance(caught.value, MlkgError) and isinstance(caught.value, ValueError)
    assert f"column {column}" in str(caught.value)


def test_bounded_input():
    with pytest.raises(FormulaSyntaxError, match="longer than"):
        parse_formula("a & " * 5000 + "a")
    with pytest.raises(FormulaSyntaxError, match="nested deeper"):
        parse_formula("(" * 60 + "a" + ")" * 60)
    with pytest.raises(FormulaSyntaxError, match="at most 64"):
        parse_formula(" | ".join(f"l{i}" for i in range(65)))


def test_label_keys_meet_across_spellings():
    assert label_key("Traffic Light") == label_key("traffic-light") == "traffic_light"


@pytest.mark.parametrize("name", ["formula", "multi", "api"])
def test_module_doctests_pass(name):
    """The examples in the docstrings run (``api``: import a zoo, then ``optimize``)."""
    module = importlib.import_module(f"mlkg.optimizer.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0, module.__name__
