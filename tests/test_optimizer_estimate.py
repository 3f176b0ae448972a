"""The estimates: accuracy, the two cost models, the fractions of items each step sees, and the
exact best order — on hand-computed cases and against an independent simulation.

The simulation does not use the fraction formula: it enumerates every truth assignment of the
labels (independent, with probability = selectivity) and runs the short-circuit evaluation the
issue describes, counting which items reach each predicate.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlkg.errors import MissingSelectivityError, UnsupportedFormulaError
from mlkg.optimizer.estimate import (
    OrderModel,
    additive_order,
    best_order,
    order_cost,
)
from mlkg.optimizer.formula import parse_formula


def test_the_authors_recorded_order_cost_is_reproduced():
    """'book | person' with person → model_41 (cost 49), book → model_82 (cost 61) and the
    selectivities of coco_selectivity.csv (person 0.2992, book 0.0316): the authors recorded an
    order-aware cost of 91.7488 = 49 + 61 · (1 − 0.2992) (person first)."""
    model = OrderModel.build(parse_formula("book | person"), {"book": 0.0316, "person": 0.2992})
    slot_of, slot_cost = [1, 0], [49.0, 61.0]  # book → slot 1 (model_82), person → slot 0
    assert order_cost(model, slot_of, slot_cost, (1, 0)) == pytest.approx(91.7488)
    assert order_cost(model, slot_of, slot_cost, (0, 1)) == pytest.approx(61 + 49 * (1 - 0.0316))
    cost, order, proven = best_order(model, slot_of, slot_cost)
    assert (cost, order, proven) == (pytest.approx(91.7488), (1, 0), True)


def test_dnf_fractions_by_hand():
    # (a & b) | c, order a, b, c: a sees all; b only items with a; c the items not accepted
    model = OrderModel.build(parse_formula("(a & b) | c"), {"a": 0.5, "b": 0.4, "c": 0.3})
    assert model.fractions([0, 1, 2]) == pytest.approx([1.0, 0.5, 1 - 0.5 * 0.4])
    # c first: items with c are accepted; a then sees 0.7, b sees 0.7·0.5
    assert model.fractions([2, 0, 1]) == pytest.approx([1.0, 0.7, 0.35])


def test_cnf_fractions_by_hand():
    # (a | b) & c, order c, a, b: a sees items with c; b those with c and without a
    model = OrderModel.build(parse_formula("(a | b) & c"), {"a": 0.5, "b": 0.2, "c": 0.4})
    assert model.fractions([2, 0, 1]) == pytest.approx([1.0, 0.4, 0.2])
    # a, b first: c sees the items that passed the clause a | b (1 − 0.5·0.8 = 0.6)
    assert model.fractions([0, 1, 2]) == pytest.approx([1.0, 0.5, 0.6])


def test_a_shared_model_pays_its_largest_fraction():
    model = OrderModel.build(parse_formula("a & b & c"), {"a": 0.5, "b": 0.5, "c": 0.5})
    # a and c on one model (slot 0, cost 10), b alone (slot 1, cost 4); order a, b, c
    assert order_cost(model, [0, 1, 0], [10.0, 4.0], (0, 1, 2)) == pytest.approx(10 + 4 * 0.5)


def test_order_model_needs_read_once_normal_form_and_selectivities():
    with pytest.raises(UnsupportedFormulaError, match="drop --order"):
        OrderModel.build(parse_formula("a & (b | (c & d))"), dict.fromkeys("abcd", 0.5))
    with pytest.raises(UnsupportedFormulaError):
        OrderModel.build(parse_formula("(a & b) | (a & c)"), dict.fromkeys("abc", 0.5))
    with pytest.raises(MissingSelectivityError, match="no selectivity for label"):
        OrderModel.build(parse_formula("a & b"), {"a": 0.5})
    with pytest.raises(MissingSelectivityError, match="not in"):
        OrderModel.build(parse_formula("a & b"), {"a": 0.5, "b": 1.5})


# -- an independent simulation of the evaluation -----------------------------------------------


def simulated_fractions(form: str, groups, selectivity, order) -> list[float]:
    """P(an item reaches each step), by enumerating every truth assignment of the labels."""
    labels = [t for g in groups for t in g]
    reach = [0.0] * len(order)
    for truth in itertools.product([False, True], repeat=len(labels)):
        value = dict(zip(labels, truth, strict=True))
        weight = math.prod(selectivity[t] if value[t] else 1 - selectivity[t] for t in labels)
        seen: set[str] = set()
        for position, label in enumerate(order):
            if _decided(form, groups, value, seen, label):
                continue
            reach[position] += weight
            seen.add(label)
    return reach


def _decided(form, groups, value, seen, label) -> bool:
    """Skip ``label`` for this item? (DNF: accepted, or its group failed; CNF: the converse)."""
    own = next(g for g in groups if label in g)
    if form == "DNF":
        accepted = any(all(t in seen and value[t] for t in g) for g in groups)
        group_failed = any(t in seen and not value[t] for t in own)
        return accepted or group_failed
    rejected = any(all(t in seen and not value[t] for t in g) for g in groups)
    clause_holds = any(t in seen and value[t] for t in own)
    return rejected or clause_holds


@st.composite
def normal_forms(draw, max_labels: int = 6):
    k = draw(st.integers(1, max_labels))
    sizes, left = [], k
    while left:
        size = draw(st.integers(1, left))
        sizes.append(size)
        left -= size
    labels = [f"l{i}" for i in range(k)]
    groups, start = [], 0
    for size in sizes:
        groups.append(labels[start : start + size])
        start += size
    form = draw(st.sampled_from(["DNF", "CNF"]))
    inner, outer = (" & ", " | ") if form == "DNF" else (" | ", " & ")
    text = outer.join(f"({inner.join(g)})" for g in groups)
    selectivity = {t: draw(st.sampled_from([0.05, 0.2, 0.5, 0.8, 0.95])) for t in labels}
    return text, selectivity


@settings(max_examples=60, deadline=None)
@given(normal_forms(), st.randoms(use_true_random=False))
def test_fractions_match_the_simulation(case, rng):
    text, selectivity = case
    formula = parse_formula(text)
    model = OrderModel.build(formula, selectivity)
    order = list(range(len(formula.labels)))
    rng.shuffle(order)
    expected = simulated_fractions(
        formula.form, formula.groups, selectivity, [formula.labels[t] for t in order]
    )
    assert model.fractions(order) == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(normal_forms(max_labels=6), st.data())
def test_best_order_is_the_cheapest_permutation(case, data):
    """The DP (groups not interleaved) equals brute force over every permutation."""
    text, selectivity = case
    model = OrderModel.build(parse_formula(text), selectivity)
    k = model.k
    slots = data.draw(st.integers(1, k))
    slot_of = [data.draw(st.integers(0, slots - 1)) for _ in range(k)]
    used = sorted(set(slot_of))
    slot_of = [used.index(s) for s in slot_of]
    slot_cost = [data.draw(st.sampled_from([1.0, 3.0, 10.0, 40.0])) for _ in used]
    brute = min(order_cost(model, slot_of, slot_cost, p) for p in itertools.permutations(range(k)))
    cost, order, proven = best_order(model, slot_of, slot_cost)
    assert proven
    assert cost == pytest.approx(brute)
    assert order_cost(model, slot_of, slot_cost, order) == pytest.approx(cost)
    # with a bound below the optimum there is no order; at the optimum there is
    assert best_order(model, slot_of, slot_cost, bound=brute * 0.999 - 1e-6)[1] is None
    assert best_order(model, slot_of, slot_cost, bound=brute)[1] is not None


@settings(max_examples=40, deadline=None)
@given(normal_forms(max_labels=6), st.data())
def test_additive_rule_is_exact_without_shared_models(case, data):
    text, selectivity = case
    model = OrderModel.build(parse_formula(text), selectivity)
    slot_of = list(range(model.k))
    slot_cost = [data.draw(st.sampled_from([1.0, 2.0, 5.0, 20.0])) for _ in slot_of]
    brute = min(
        order_cost(model, slot_of, slot_cost, p) for p in itertools.permutations(range(model.k))
    )
    order = additive_order(model, slot_of, slot_cost)
    assert order_cost(model, slot_of, slot_cost, order) == pytest.approx(brute)
