"""One entry point from a checked :class:`Problem` to a :class:`Plan`: :func:`solve`.

It picks the objective from the options (``max_cost`` → most accurate plan within the budget,
ties broken by cost; ``min_accuracy`` → cheapest plan reaching it, ties broken by accuracy; a
multi-objective ``mode`` otherwise), the cost model (``order=False``: selection-only,
``order=True``: order-aware), and the solver (``exact`` branch and bound, or the authors'
``greedy`` baseline). Infeasible bounds give a feasible=False plan whose message says what the
closest possible plan would need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlkg.errors import OptimizerError
from mlkg.optimizer import multi
from mlkg.optimizer.estimate import OrderModel, best_order
from mlkg.optimizer.exact import Limits, Objective, Solution, solve_order, solve_selection
from mlkg.optimizer.greedy import GREEDY_NODE_LIMIT, greedy
from mlkg.optimizer.plan import Plan, build_plan
from mlkg.optimizer.problem import Compiled, Problem, compile_problem

#: Default node budget of the exact search (a few minutes of Python at most); None: no limit.
DEFAULT_NODE_LIMIT = 2_000_000
SOLVERS = ("exact", "greedy")
#: Node budget of the search for the cheapest plan an infeasibility message mentions.
HINT_NODE_LIMIT = 20_000


def solve(
    problem: Problem,
    *,
    max_cost: float | None = None,
    min_accuracy: float | None = None,
    max_memory: float | None = None,
    order: bool = False,
    mode: str | None = None,
    weights: str | tuple[float, float, float] | None = None,
    priority: str | Sequence[str] | None = None,
    solver: str = "exact",
    node_limit: int | None = DEFAULT_NODE_LIMIT,
    label_order: Sequence[str] | None = None,
) -> Plan:
    """Optimise the problem and return a :class:`Plan`.

    Args:
        max_cost: cost bound (maximise accuracy within it).
        min_accuracy: accuracy bound in [0, 1] (minimise cost reaching it). Not with max_cost.
        max_memory: memory bound in bytes (Σ over the distinct models used).
        order: use the order-aware cost model (needs label selectivities).
        mode: ``weighted-sum``, ``minmax`` or ``lexicographic`` for the multi-objective modes.
        weights: for weighted modes, ``"loss=1,cost=1,memory=1"`` or a (loss, cost, memory) tuple.
        priority: for lexicographic, e.g. ``"loss,cost,memory"``.
        solver: ``exact`` (proves optimality) or ``greedy`` (the authors' baseline).
        node_limit: the search's node budget; when it runs out the plan says optimal=false.
        label_order: the greedy baseline's predicate order (default: the formula's).

    Raises:
        OptimizerError: conflicting or out-of-range options.
        UnsupportedFormulaError, MissingSelectivityError: ``order=True`` without what it needs.
    """
    _check_options(max_cost, min_accuracy, max_memory, mode, solver)
    uses_memory = max_memory is not None or _objective_uses_memory(mode, weights, priority)
    if max_memory is not None and all(m.memory is None for m in problem.models):
        raise OptimizerError(
            "a memory bound needs memory footprints, and no candidate model has one "
            "(import them with a memory column, or drop the memory bound)"
        )
    inst = compile_problem(problem, prune=solver == "exact", use_memory=uses_memory)
    order_model = OrderModel.build(problem.formula, problem.selectivity) if order else None
    limits = Limits(
        math.inf if max_cost is None else max_cost,
        math.inf if max_memory is None else max_memory,
        0.0 if min_accuracy is None else min_accuracy,
    )
    bounds = {"max_cost": max_cost, "min_accuracy": min_accuracy, "max_memory": max_memory}
    if solver == "greedy":
        solution = _greedy(
            inst, limits, max_cost, min_accuracy, order_model, label_order, node_limit
        )
        name = "greedy baseline (per-label Pareto candidates, backtracking)"
        described = "accuracy-constrained" if min_accuracy is not None else "cost-constrained"
    else:
        solution, described = _exact(
            inst, limits, order_model, mode, weights, priority, min_accuracy, node_limit
        )
        name = "branch-and-bound"
    if solution.status == "limit":
        message = _unproven_message(solution)
    elif solution.status == "no-plan":
        message = "the greedy baseline found no plan within the bound"
    elif not solution.feasible:
        message = _infeasible_message(inst, limits, order_model, node_limit)
    else:
        message = ""
    return build_plan(
        inst,
        solution,
        cost_model="order" if order else "selection",
        objective=described,
        bounds=bounds,
        solver=name,
        order_model=order_model,
        message=message,
    )


def _check_options(
    max_cost: float | None,
    min_accuracy: float | None,
    max_memory: float | None,
    mode: str | None,
    solver: str,
) -> None:
    if max_cost is not None and min_accuracy is not None:
        raise OptimizerError("give a cost bound or an accuracy bound, not both")
    if max_cost is not None and (math.isnan(max_cost) or max_cost < 0):
        raise OptimizerError(f"the cost bound must be a number ≥ 0, not {max_cost}")
    if max_memory is not None and (math.isnan(max_memory) or max_memory < 0):
        raise OptimizerError(f"the memory bound must be a number ≥ 0, not {max_memory}")
    if min_accuracy is not None and not 0.0 <= min_accuracy <= 1.0:
        raise OptimizerError(f"the accuracy bound must be in [0, 1], not {min_accuracy}")
    if mode is not None and mode not in multi.MODES:
        raise OptimizerError(f"unknown mode {mode!r}; modes: {', '.join(multi.MODES)}")
    if solver not in SOLVERS:
        raise OptimizerError(f"unknown solver {solver!r}; solvers: {', '.join(SOLVERS)}")
    if solver == "greedy" and mode is not None:
        raise OptimizerError("the greedy baseline has no multi-objective modes")
    if solver == "greedy" and max_cost is None and min_accuracy is None:
        raise OptimizerError("the greedy baseline needs --max-cost or --min-accuracy")


def _objective_uses_memory(
    mode: str | None,
    weights: str | tuple[float, float, float] | None,
    priority: str | Sequence[str] | None,
) -> bool:
    """Whether memory enters the objective (then models without a footprint cannot compete).

    Also parses ``weights`` and ``priority``, so a bad one is refused before any work.
    """
    if mode in ("weighted-sum", "minmax"):
        values = multi.parse_weights(weights) if isinstance(weights, str | None) else weights
        return bool(values[2])
    if mode == "lexicographic":
        return "memory" in multi.parse_priority(priority)
    return False


def _runner(inst: Compiled, order_model: OrderModel | None, node_limit: int | None):
    def run(objective: Objective, limits: Limits, incumbent: Solution | None) -> Solution:
        if order_model is None:
            return solve_selection(
                inst, objective, limits, node_limit=node_limit, incumbent=incumbent
            )
        if incumbent is None:  # a selection-only optimum is a good, feasible start
            start = solve_selection(inst, objective, limits, node_limit=node_limit)
            incumbent = _reorder(inst, order_model, start) if start.feasible else None
        return solve_order(
            inst, order_model, objective, limits, node_limit=node_limit, incumbent=incumbent
        )

    return run


def _reorder(inst: Compiled, order_model: OrderModel, solution: Solution) -> Solution:
    """The same assignment under the order-aware cost, with its cheapest order."""
    assert solution.assignment is not None
    slots = sorted(set(solution.assignment))
    slot_of = [slots.index(m) for m in solution.assignment]
    cost, order, _ = best_order(order_model, slot_of, [inst.cost[m] for m in slots])
    return Solution(
        solution.assignment, order, solution.accuracy, cost, solution.memory, "feasible"
    )


def _exact(
    inst: Compiled,
    limits: Limits,
    order_model: OrderModel | None,
    mode: str | None,
    weights: str | tuple[float, float, float] | None,
    priority: str | Sequence[str] | None,
    min_accuracy: float | None,
    node_limit: int | None,
) -> tuple[Solution, str]:
    run = _runner(inst, order_model, node_limit)
    if mode in ("weighted-sum", "minmax"):
        values = multi.parse_weights(weights) if isinstance(weights, str | None) else weights
        objective = multi.weighted(inst.problem, mode, values)
        text = ", ".join(f"{n}={w:g}" for n, w in zip(multi.OBJECTIVES, values, strict=True))
        return run(objective, limits, None), f"{mode} ({text})"
    if mode == "lexicographic":
        order = multi.parse_priority(priority)
    else:
        order = ("cost", "loss") if min_accuracy is not None else ("loss", "cost")
    described = " then ".join({"loss": "max accuracy"}.get(n, f"min {n}") for n in order)
    return multi.lexicographic(order, limits, run), described


def _greedy(
    inst: Compiled,
    limits: Limits,
    max_cost: float | None,
    min_accuracy: float | None,
    order_model: OrderModel | None,
    label_order: Sequence[str] | None,
    node_limit: int | None,
) -> Solution:
    solution = greedy(
        inst,
        max_cost=max_cost,
        min_accuracy=min_accuracy,
        max_memory=limits.max_memory,
        label_order=label_order,
        node_limit=GREEDY_NODE_LIMIT if node_limit is None else node_limit,
    )
    if solution.feasible and order_model is not None:
        reordered = _reorder(inst, order_model, solution)
        reordered.status, reordered.nodes, reordered.seconds = (
            solution.status,
            solution.nodes,
            solution.seconds,
        )
        return reordered
    return solution


def _unproven_message(solution: Solution) -> str:
    """Why a plan (or the lack of one) is not proven: the search's own notes, else its budget."""
    if solution.notes:
        return "; ".join(solution.notes)
    found = "the best plan found is shown" if solution.feasible else "no plan was found yet"
    return (
        f"the search stopped after {solution.nodes} nodes (node limit) before proving "
        f"optimality; {found}; raise --node-limit to prove it"
    )


def _infeasible_message(
    inst: Compiled, limits: Limits, order_model: OrderModel | None, node_limit: int | None
) -> str:
    """Why there is no plan (proven), with the closest the zoo allows (searched for with at
    most :data:`HINT_NODE_LIMIT` nodes: it is a hint, the infeasibility is already proven)."""
    hint_limit = HINT_NODE_LIMIT if node_limit is None else min(node_limit, HINT_NODE_LIMIT)
    best_possible = inst.accuracy_of([inst.acc[c[0]][t] for t, c in enumerate(inst.candidates)])
    parts = []
    if limits.min_accuracy > best_possible + 1e-12:
        parts.append(
            f"no plan reaches accuracy {limits.min_accuracy:g}: the best models give "
            f"{best_possible:.6f}"
        )
    free = Limits(max_memory=limits.max_memory)
    cheapest = solve_selection(inst, Objective("cost"), free, node_limit=hint_limit)
    if cheapest.feasible and order_model is not None:
        cheapest = solve_order(
            inst,
            order_model,
            Objective("cost"),
            free,
            node_limit=hint_limit,
            incumbent=_reorder(inst, order_model, cheapest),
        )
    if cheapest.feasible:
        if cheapest.cost > limits.max_cost + 1e-9:
            kind = "order-aware" if order_model is not None else "selection-only"
            verb = "costs" if cheapest.proven else "found costs"
            parts.append(
                f"no plan costs at most {limits.max_cost:g}: the cheapest plan {verb} "
                f"{cheapest.cost:.4f} ({kind})"
            )
    elif math.isfinite(limits.max_memory):
        parts.append(f"no plan fits in {limits.max_memory:g} bytes of memory")
    return "; ".join(parts) or "no plan meets all the bounds together"
