"""Multi-objective modes over (accuracy loss, cost, memory), as in the follow-up paper.

* **weighted sum**: minimise ``Σ wᵢ · fᵢ / sᵢ``;
* **weighted min-max** (Chebyshev): minimise ``max wᵢ · fᵢ / sᵢ``;
* **lexicographic**: optimise the objectives one after the other, each subject to the earlier
  ones staying at their optimum (within :data:`LEXICOGRAPHIC_TOLERANCE`).

``f`` = (loss ``1 − accuracy``, cost, memory). Scales ``s`` make the three comparable: loss is
already in [0, 1]; cost and memory are divided by the largest any plan can have (Σ over the
query's labels of the most expensive / largest candidate), so each normalised term is in [0, 1].
Every mode is solved exactly by the same branch and bound (any monotone objective works there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from mlkg.errors import OptimizerError
from mlkg.optimizer.exact import Limits, Objective, Solution
from mlkg.optimizer.problem import Problem

OBJECTIVES = ("loss", "cost", "memory")
MODES = ("weighted-sum", "minmax", "lexicographic")
#: Slack kept on an earlier objective of a lexicographic order (absolute).
LEXICOGRAPHIC_TOLERANCE = 1e-9

Run = Callable[[Objective, Limits, Solution | None], Solution]


def parse_weights(text: str | None) -> tuple[float, float, float]:
    """``"loss=2,cost=1"`` → (2, 1, 0); missing names weigh 0; default (1, 1, 1).

    >>> parse_weights("loss=2, cost=0.5")
    (2.0, 0.5, 0.0)
    """
    if not text:
        return (1.0, 1.0, 1.0)
    weights = dict.fromkeys(OBJECTIVES, 0.0)
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip().lower().replace("accuracy", "loss")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or name not in weights or not math.isfinite(number) or number < 0:
            raise OptimizerError(
                f"bad weight {part.strip()!r}: write NAME=NUMBER with NAME in "
                f"{', '.join(OBJECTIVES)} and a number ≥ 0"
            )
        weights[name] = number
    if not any(weights.values()):
        raise OptimizerError("at least one weight must be positive")
    return (weights["loss"], weights["cost"], weights["memory"])


def parse_priority(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"cost,loss"`` → ("cost", "loss"); each name once; default loss, cost, memory."""
    if not text:
        return OBJECTIVES
    names = text.split(",") if isinstance(text, str) else list(text)
    result = tuple(n.strip().lower().replace("accuracy", "loss") for n in names if n.strip())
    if not result or len(set(result)) != len(result) or set(result) - set(OBJECTIVES):
        raise OptimizerError(
            f"bad priority {text!r}: list objectives from {', '.join(OBJECTIVES)}, each once"
        )
    return result


def scales(problem: Problem) -> tuple[float, float, float]:
    """(1, largest plan cost, largest plan memory) over *all* the query's candidates.

    Computed before dominance pruning, so the objective does not depend on what was pruned.
    """
    cost = memory = 0.0
    for label in problem.labels:
        answering = [m for m in problem.models if label in m.accuracy]
        cost += max(m.cost for m in answering)
        memory += max(m.memory or 0.0 for m in answering)
    return (1.0, cost or 1.0, memory or 1.0)


def weighted(problem: Problem, kind: str, weights: tuple[float, float, float]) -> Objective:
    """A weighted-sum or min-max objective with the problem's scales."""
    if kind not in ("weighted-sum", "minmax"):
        raise OptimizerError(f"unknown objective {kind!r}")
    return Objective(kind, weights, scales(problem))


def single(name: str) -> Objective:
    return Objective({"loss": "accuracy", "cost": "cost", "memory": "memory"}[name])


def lexicographic(priority: Sequence[str], limits: Limits, run: Run) -> Solution:
    """Optimise ``priority[0]``, then each next objective with the earlier ones held.

    The result is proven optimal only if every stage was; the nodes and seconds add up.
    """
    solution: Solution | None = None
    nodes, seconds, proven = 0, 0.0, True
    for name in priority:
        stage = run(single(name), limits, solution)
        nodes += stage.nodes
        seconds += stage.seconds
        proven = proven and stage.proven
        if not stage.feasible:
            stage.nodes, stage.seconds = nodes, seconds
            return stage
        solution = stage
        limits = _hold(limits, name, stage)
    assert solution is not None
    solution.nodes, solution.seconds = nodes, seconds
    if not proven:
        solution.status = "limit"
    return solution


def _hold(limits: Limits, name: str, stage: Solution) -> Limits:
    """Limits that keep objective ``name`` at the value ``stage`` reached."""
    slack = LEXICOGRAPHIC_TOLERANCE
    if name == "loss":
        return Limits(limits.max_cost, limits.max_memory, stage.accuracy - slack)
    if name == "cost":
        return Limits(stage.cost + slack, limits.max_memory, limits.min_accuracy)
    return Limits(limits.max_cost, stage.memory + slack, limits.min_accuracy)
