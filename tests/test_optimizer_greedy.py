"""The authors' greedy baseline, rule by rule on hand-computed cases, and never better than the
exact solver (hypothesis). Its reproduction of the authors' 66 recorded rows is in
test_optimizer_coco."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlkg.optimizer import ModelInfo, build_problem, parse_formula, solve
from mlkg.optimizer.greedy import greedy, pareto_candidates
from mlkg.optimizer.problem import compile_problem
from tests.test_optimizer_exact import instances

MODELS = [
    ModelInfo("a_best", 28.0, {"a": 0.9}),
    ModelInfo("a_cheap", 10.0, {"a": 0.8}),
    ModelInfo("b_best", 25.0, {"b": 0.9}),
    ModelInfo("b_cheap", 5.0, {"b": 0.7}),
    ModelInfo("b_junk", 1.0, {"b": 0.2}),
]


def run(query: str, models=MODELS, **options):
    inst = compile_problem(build_problem(parse_formula(query), models), prune=False)
    result = greedy(inst, **options)
    named = {inst.labels[t]: inst.models[m].id for t, m in enumerate(result.assignment or ())}
    return result, named


def test_cost_constrained_takes_the_most_accurate_model_that_fits_the_budget_left():
    # a first: a_best (28) leaves 12, so b gets b_cheap — 0.63 for 33, where the exact
    # optimum is a_cheap + b_best, 0.72 for 35
    result, named = run("a & b", max_cost=40)
    assert named == {"a": "a_best", "b": "b_cheap"}
    assert (result.accuracy, result.cost, result.status) == (pytest.approx(0.63), 33.0, "feasible")
    exact = solve(build_problem(parse_formula("a & b"), MODELS), max_cost=40)
    assert exact.accuracy == pytest.approx(0.72) and exact.assignment["b"] == "b_best"


def test_cost_constrained_backtracks_when_nothing_fits_later():
    # a_best (28) leaves 2: only b_junk (1) fits, and the cost-constrained search has no
    # quality floor; without b_junk nothing fits, so the search backtracks to a_cheap
    result, named = run("a & b", max_cost=30)
    assert named == {"a": "a_best", "b": "b_junk"}
    result, named = run("a & b", models=MODELS[:4], max_cost=30)
    assert named == {"a": "a_cheap", "b": "b_cheap"} and result.cost == 15.0
    result, named = run("a & b", models=MODELS[:4], max_cost=14)
    assert result.status == "no-plan" and not result.feasible


def test_accuracy_constrained_takes_the_cheapest_model_and_backtracks_below_the_bound():
    # by cost: a_cheap, then b_junk (skipped: quality below 0.3), b_cheap → 0.56 < 0.6, so the
    # next b candidate: b_best → 0.72. The exact optimum is a_best + b_cheap: 0.63 for 33 < 35
    result, named = run("a & b", min_accuracy=0.6)
    assert named == {"a": "a_cheap", "b": "b_best"} and result.cost == 35.0
    exact = solve(build_problem(parse_formula("a & b"), MODELS), min_accuracy=0.6)
    assert exact.cost == 33.0


def test_accuracy_constrained_skips_predicates_below_the_authors_floor():
    _, named = run("a & b", min_accuracy=0.1)
    assert named["b"] == "b_cheap"
    _, named = run("a & b", min_accuracy=0.1, min_label_accuracy=0.0)
    assert named["b"] == "b_junk"


def test_a_multi_label_model_answers_later_predicates_and_is_paid_once():
    models = [ModelInfo("both", 20.0, {"a": 0.9, "b": 0.9}), ModelInfo("b_top", 50.0, {"b": 0.95})]
    result, named = run("a & b", models=models, max_cost=60)
    assert named == {"a": "both", "b": "both"} and result.cost == 20.0


def test_candidates_are_each_labels_own_pareto_frontier():
    models = [*MODELS, ModelInfo("a_worse", 40.0, {"a": 0.85})]  # a_best is better and cheaper
    inst = compile_problem(build_problem(parse_formula("a & b"), models), prune=False)
    frontier = {inst.models[m].id for m in pareto_candidates(inst, 0)}
    assert frontier == {"a_best", "a_cheap"}
    _, named = run("a & b", models=models, min_accuracy=0.7)
    assert named["a"] != "a_worse"


def test_greedy_gives_up_at_its_node_limit_and_says_so():
    result, _ = run("a & b", models=MODELS[:4], max_cost=14, node_limit=1)
    assert result.status == "limit" and not result.feasible


@settings(max_examples=60, deadline=None)
@given(instances(max_models=7), st.floats(0.2, 1.2), st.sampled_from([0.3, 0.6, 0.9]))
def test_greedy_is_never_better_than_exact_and_keeps_its_bound(problem, fraction, floor):
    budget = round(fraction * sum(m.cost for m in problem.models) / len(problem.labels), 3)
    plan = solve(problem, max_cost=budget, solver="greedy")
    exact = solve(problem, max_cost=budget)
    assert not plan.optimal
    if plan.feasible:
        assert plan.cost <= budget + 1e-9 and exact.feasible
        assert exact.accuracy >= plan.accuracy - 1e-12
    plan = solve(problem, min_accuracy=floor, solver="greedy")
    exact = solve(problem, min_accuracy=floor)
    if plan.feasible:
        assert plan.accuracy >= floor - 1e-9 and exact.feasible
        assert exact.cost <= plan.cost + 1e-9
