"""The exact solvers against exhaustive enumeration on random small instances (hypothesis), for
both objectives, both cost models, the memory bound and the multi-objective modes; dominance
pruning; and bad input (empty zoo, unknown label, infeasible bound, conflicting options).

The reference enumerates every assignment of a model to each label with the estimate functions
and, for the order-aware cost, every permutation — it shares no search code with the solvers.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlkg.errors import EmptyZooError, MlkgError, OptimizerError, UnknownLabelError
from mlkg.optimizer import ModelInfo, build_problem, parse_formula, solve
from mlkg.optimizer.estimate import OrderModel, order_cost
from mlkg.optimizer.multi import scales
from mlkg.optimizer.problem import compile_problem, dominated_models
from tests.test_optimizer_estimate import normal_forms

TOL = 1e-9


@st.composite
def instances(draw, max_labels: int = 4, max_models: int = 6):
    """A random DNF/CNF over up to ``max_labels`` labels (with selectivities) and models that
    answer random subsets of its labels; every label is answered by someone."""
    text, selectivity = draw(normal_forms(max_labels=max_labels))
    labels = sorted(selectivity)
    models = []
    for m in range(draw(st.integers(1, max_models))):
        answers = draw(st.lists(st.sampled_from(labels), min_size=1, unique=True))
        quality = {t: draw(st.sampled_from([0.4, 0.6, 0.7, 0.8, 0.9, 0.97])) for t in answers}
        cost = float(draw(st.integers(1, 30)))
        memory = float(draw(st.integers(1, 9))) * 1e6
        models.append(ModelInfo(f"m{m}", cost, quality, memory))
    for t in labels:
        if not any(t in m.accuracy for m in models):
            models.append(ModelInfo(f"x{t}", 15.0, {t: 0.5}, 5e6))
    return build_problem(parse_formula(text), models, selectivity=selectivity)


def plans(problem, *, order: bool):
    """Every (accuracy, cost, memory) a plan can have, by brute force."""
    formula, labels = problem.formula, problem.labels
    options = [[m for m in problem.models if t in m.accuracy] for t in labels]
    model = OrderModel.build(formula, problem.selectivity) if order else None
    for choice in itertools.product(*options):
        accuracy = formula.accuracy({t: m.accuracy[t] for t, m in zip(labels, choice, strict=True)})
        distinct = list(dict.fromkeys(m.id for m in choice))
        by_id = {m.id: m for m in choice}
        memory = sum(by_id[i].memory for i in distinct)
        if model is None:
            cost = sum(by_id[i].cost for i in distinct)
        else:
            slot_of = [distinct.index(m.id) for m in choice]
            slot_cost = [by_id[i].cost for i in distinct]
            cost = min(
                order_cost(model, slot_of, slot_cost, p)
                for p in itertools.permutations(range(len(labels)))
            )
        yield accuracy, cost, memory


def reference(problem, *, order, key, feasible=lambda a, c, m: True):
    candidates = [p for p in plans(problem, order=order) if feasible(*p)]
    return min(candidates, key=key) if candidates else None


@settings(max_examples=50, deadline=None)
@given(instances(), st.booleans(), st.floats(0.1, 1.2))
def test_max_accuracy_within_a_budget_equals_enumeration(problem, order, fraction):
    costs = [m.cost for m in problem.models]
    budget = round(fraction * sum(costs) / max(1, len(problem.labels)), 3)
    best = reference(
        problem, order=order, key=lambda p: (-p[0], p[1]), feasible=lambda a, c, m: c <= budget
    )
    plan = solve(problem, max_cost=budget, order=order, node_limit=None)
    assert plan.optimal
    if best is None:
        assert not plan.feasible and "no plan costs at most" in plan.message
        return
    assert plan.feasible and plan.cost <= budget + TOL
    assert plan.accuracy == pytest.approx(best[0], abs=TOL)
    assert plan.cost == pytest.approx(best[1], abs=1e-7)  # ties broken by the cheapest


@settings(max_examples=50, deadline=None)
@given(instances(), st.booleans(), st.sampled_from([0.3, 0.5, 0.7, 0.85, 0.95, 0.999]))
def test_min_cost_reaching_an_accuracy_equals_enumeration(problem, order, floor):
    best = reference(
        problem, order=order, key=lambda p: (p[1], -p[0]), feasible=lambda a, c, m: a >= floor
    )
    plan = solve(problem, min_accuracy=floor, order=order, node_limit=None)
    assert plan.optimal
    if best is None:
        assert not plan.feasible and "no plan reaches accuracy" in plan.message
        return
    assert plan.accuracy >= floor - TOL
    assert plan.cost == pytest.approx(best[1], abs=1e-7)
    assert plan.accuracy == pytest.approx(best[0], abs=TOL)


@settings(max_examples=30, deadline=None)
@given(instances(), st.booleans(), st.integers(2, 20))
def test_memory_bound_equals_enumeration(problem, order, megabytes):
    limit = megabytes * 1e6
    best = reference(
        problem, order=order, key=lambda p: (-p[0], p[1]), feasible=lambda a, c, m: m <= limit
    )
    plan = solve(problem, max_memory=limit, order=order, node_limit=None)
    assert plan.optimal
    assert plan.feasible is (best is not None)
    if best is not None:
        assert plan.memory <= limit and plan.accuracy == pytest.approx(best[0], abs=TOL)


@settings(max_examples=40, deadline=None)
@given(
    instances(),
    st.booleans(),
    st.sampled_from(["weighted-sum", "minmax"]),
    st.tuples(*[st.sampled_from([0.0, 0.5, 1.0, 3.0])] * 3).filter(any),
)
def test_weighted_modes_equal_enumeration(problem, order, mode, weights):
    s = scales(problem)

    def value(p):
        terms = [w * v / sc for w, v, sc in zip(weights, (1 - p[0], p[1], p[2]), s, strict=True)]
        return max(terms) if mode == "minmax" else sum(terms)

    best = min(value(p) for p in plans(problem, order=order))
    text = ",".join(f"{n}={w}" for n, w in zip(("loss", "cost", "memory"), weights, strict=True))
    plan = solve(problem, order=order, mode=mode, weights=text, node_limit=None)
    assert plan.optimal
    assert value((plan.accuracy, plan.cost, plan.memory or 0.0)) == pytest.approx(best, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(instances(), st.booleans(), st.permutations(["loss", "cost", "memory"]))
def test_lexicographic_mode_equals_enumeration(problem, order, priority):
    index = {"loss": lambda p: 1 - p[0], "cost": lambda p: p[1], "memory": lambda p: p[2]}
    candidates = list(plans(problem, order=order))
    for name in priority:
        best = min(index[name](p) for p in candidates)
        candidates = [p for p in candidates if index[name](p) <= best + 1e-9]
    plan = solve(problem, order=order, mode="lexicographic", priority=priority, node_limit=None)
    assert plan.optimal
    got = (1 - plan.accuracy, plan.cost, plan.memory)
    for name in priority:
        want = index[name](candidates[0])
        assert got[["loss", "cost", "memory"].index(name)] == pytest.approx(want, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(instances(max_models=8))
def test_dominated_models_never_change_the_optimum(problem):
    full = compile_problem(problem, prune=False)
    pruned = compile_problem(problem, prune=True)
    assert pruned.n == full.n - len(
        dominated_models(problem.models, problem.labels, use_memory=False)
    )
    budget = sum(m.cost for m in problem.models) / 2
    with_pruning = solve(problem, max_cost=budget, node_limit=None)
    best = reference(
        problem, order=False, key=lambda p: (-p[0], p[1]), feasible=lambda a, c, m: c <= budget
    )
    assert (best is None) is (not with_pruning.feasible)
    if best is not None:
        assert with_pruning.accuracy == pytest.approx(best[0], abs=TOL)


def test_per_label_pareto_pruning_would_lose_the_optimum():
    """The issue's caution, as a test: the multi-label model m3 is on neither label's own
    (quality, cost) frontier, yet the only optimum within budget 10 uses it."""
    models = [
        ModelInfo("m1", 4.0, {"a": 0.9}),
        ModelInfo("m2", 4.0, {"b": 0.9}),
        ModelInfo("m3", 6.0, {"a": 0.85, "b": 0.85}),
        ModelInfo("m4", 3.0, {"a": 0.95}),
        ModelInfo("m5", 3.0, {"b": 0.95}),
        ModelInfo("m6", 9.0, {"a": 0.99, "b": 0.99}),
    ]
    problem = build_problem(parse_formula("a & b"), models)
    plan = solve(problem, max_cost=9.0)
    assert plan.assignment == {"a": "m6", "b": "m6"}  # m6: dominated per label? no: kept
    from mlkg.optimizer.greedy import pareto_candidates

    inst = compile_problem(build_problem(parse_formula("a & b"), models[:3]), prune=False)
    assert 2 not in pareto_candidates(inst, 0) and 2 not in pareto_candidates(inst, 1)
    plan = solve(build_problem(parse_formula("a & b"), models[:3]), max_cost=6.0)
    assert plan.assignment == {"a": "m3", "b": "m3"}


# -- bad input gets a clear answer ---------------------------------------------------------------


def small_problem():
    return build_problem(
        parse_formula("(person & car) | bus"),
        [
            ModelInfo("det", 30.0, {"person": 0.9, "car": 0.8, "bus": 0.7}),
            ModelInfo("bus-only", 5.0, {"bus": 0.95}),
        ],
        selectivity={"person": 0.5, "car": 0.2, "bus": 0.1},
    )


def test_empty_zoo():
    with pytest.raises(EmptyZooError, match="import a profiled zoo"):
        build_problem(parse_formula("person"), [])


def test_unknown_label_with_suggestions():
    with pytest.raises(UnknownLabelError, match="persn: did you mean person") as caught:
        build_problem(
            parse_formula("persn & car"), [ModelInfo("d", 1.0, {"person": 0.9, "car": 0.8})]
        )
    assert caught.value.labels == ["persn"]
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, MlkgError)


def test_infeasible_bounds_say_what_the_zoo_allows():
    plan = solve(small_problem(), max_cost=10.0)
    assert not plan.feasible and plan.optimal  # proven infeasible, not a time-out
    assert plan.accuracy is None and plan.assignment == {}
    assert "the cheapest plan costs 30.0000 (selection-only)" in plan.message
    plan = solve(small_problem(), min_accuracy=0.999)
    assert not plan.feasible and "best models give 0.9" in plan.message
    with pytest.raises(OptimizerError, match="memory bound needs memory footprints"):
        solve(small_problem(), max_memory=1.0)
    problem = build_problem(
        parse_formula("a & b"),
        [ModelInfo("m1", 1.0, {"a": 0.9}, 5e6), ModelInfo("m2", 1.0, {"b": 0.9}, 5e6)],
    )
    plan = solve(problem, max_memory=6e6)
    assert not plan.feasible and plan.optimal and "memory" in plan.message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_cost": 10, "min_accuracy": 0.5}, "not both"),
        ({"max_cost": -1}, "≥ 0"),
        ({"max_cost": math.nan}, "≥ 0"),
        ({"min_accuracy": 1.5}, r"\[0, 1\]"),
        ({"mode": "pareto"}, "unknown mode"),
        ({"solver": "gurobi"}, "unknown solver"),
        ({"solver": "greedy"}, "needs --max-cost"),
        ({"solver": "greedy", "max_cost": 50, "mode": "minmax"}, "multi-objective"),
        ({"mode": "weighted-sum", "weights": "loss=x"}, "bad weight"),
        ({"mode": "weighted-sum", "weights": "loss=0"}, "positive"),
        ({"mode": "lexicographic", "priority": "cost,cost"}, "bad priority"),
    ],
)
def test_conflicting_or_bad_options(options, message):
    with pytest.raises(OptimizerError, match=message):
        solve(small_problem(), **options)


def test_bad_model_data_is_refused():
    with pytest.raises(OptimizerError, match="outside"):
        build_problem(parse_formula("a"), [ModelInfo("m", 1.0, {"a": 76.1})])
    with pytest.raises(OptimizerError, match="cost"):
        build_problem(parse_formula("a"), [ModelInfo("m", -1.0, {"a": 0.5})])


def test_node_limit_is_reported_not_hidden():
    plan = solve(small_problem(), max_cost=100.0, node_limit=1)
    assert plan.status == "limit" and not plan.optimal
    assert "node limit" in plan.message


def test_order_aware_plan_has_an_order_and_fractions():
    plan = solve(small_problem(), max_cost=100.0, order=True)
    assert plan.optimal and plan.cost_model == "order"
    assert sorted(plan.order) == ["bus", "car", "person"]
    assert plan.steps[0].fraction == 1.0
    assert all(0 <= s.fraction <= 1 for s in plan.steps)
    # the order-aware cost is never above the selection-only cost of the same plan
    selection = solve(small_problem(), max_cost=100.0)
    assert plan.accuracy >= selection.accuracy - TOL


def test_orders_beyond_the_exact_dp_are_never_called_optimal():
    """With models shared by predicates and more predicates than the order DP handles, orders
    come from local search: the plan says optimal=false and why — feasible or not (a cheaper
    order than the one found might fit the budget)."""
    from mlkg.optimizer.estimate import MAX_DP_LABELS

    labels = [f"l{i}" for i in range(MAX_DP_LABELS + 1)]
    half = len(labels) // 2
    problem = build_problem(
        parse_formula(" & ".join(labels)),
        [
            ModelInfo("first", 10.0, dict.fromkeys(labels[:half], 0.9)),
            ModelInfo("second", 10.0, dict.fromkeys(labels[half:], 0.9)),
        ],
        selectivity=dict.fromkeys(labels, 0.5),
    )
    plan = solve(problem, max_cost=20.0, order=True)
    assert plan.feasible and not plan.optimal and plan.status == "limit"
    assert plan.cost == pytest.approx(10 + 10 * 0.5**half)  # one model's run, then the other's
    assert "local search" in plan.message
    plan = solve(problem, max_cost=10.001, order=True)
    assert not plan.feasible and not plan.optimal and "local search" in plan.message
