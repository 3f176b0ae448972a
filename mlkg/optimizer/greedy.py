"""The authors' greedy baseline (Li et al., ICWE 2023), for comparison with the exact solvers.

Reconstructed from the authors' description ("when cost is constrained, select the most accurate
model each time, until it satisfies the conditions"; "when accuracy is constrained, select the
cheapest model each time") and checked against their recorded outputs: with the rules below it
reproduces all 66 recorded ``baseline_pareto`` rows of ``_history/577787d/output/coco``.

Rules, per predicate in a fixed label order (the authors' order came from a Python ``set`` of
labels, i.e. arbitrary; here it is the formula's order unless ``label_order`` is given):

1. Candidates of a label are the models on that label's own (quality, cost) Pareto frontier
   (``pareto=True``, the recorded ``baseline_pareto``) or all models answering it.
2. **Cost-constrained** (``max_cost``): try candidates by quality, best first; skip one that
   costs more than the budget left. **Accuracy-constrained** (``min_accuracy``): try candidates
   by cost, cheapest first; skip one whose quality is below ``min_label_accuracy`` (0.3 in the
   authors' code).
3. The chosen model answers every remaining predicate it is a candidate for (a multi-label model
   is paid once), is charged once, and is not offered again.
4. Recurse on the remaining predicates with the budget left. When all are answered: the
   cost-constrained search accepts; the accuracy-constrained one accepts if the estimate reaches
   ``min_accuracy`` and otherwise tries the next candidate.
5. Backtracking: when a recursion finds nothing, try the next candidate; the first complete plan
   found is returned. There is no bound, so the search can be exponential: it gives up after
   ``node_limit`` nodes (the authors had a 15 s time-out, commented out) and says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from mlkg.optimizer.exact import Solution
from mlkg.optimizer.problem import Compiled

#: The authors' floor on a predicate's quality in the accuracy-constrained baseline.
MIN_LABEL_ACCURACY = 0.3
#: Default node budget of the greedy search.
GREEDY_NODE_LIMIT = 200_000
_TOLERANCE = 1e-9


def pareto_candidates(inst: Compiled, t: int) -> list[int]:
    """Models on label ``t``'s own (quality ↑, cost ↓) Pareto frontier, ties kept."""
    models = [m for m in range(inst.n) if inst.acc[m][t] > 0]
    frontier = []
    for m in models:
        a, c = inst.acc[m][t], inst.cost[m]
        if not any(
            inst.acc[o][t] >= a and inst.cost[o] <= c and (inst.acc[o][t] > a or inst.cost[o] < c)
            for o in models
        ):
            frontier.append(m)
    return frontier


def greedy(
    inst: Compiled,
    *,
    max_cost: float | None = None,
    min_accuracy: float | None = None,
    max_memory: float = math.inf,
    pareto: bool = True,
    label_order: Sequence[str] | None = None,
    min_label_accuracy: float = MIN_LABEL_ACCURACY,
    node_limit: int = GREEDY_NODE_LIMIT,
) -> Solution:
    """Run the baseline: cost-constrained when ``max_cost`` is given, else accuracy-constrained.

    The cost is the selection-only cost (the authors' baseline ignores order). Returns a
    ``feasible`` solution, ``no-plan`` when the search ended without one, or ``limit`` when it
    gave up after ``node_limit`` nodes.
    """
    start = time.perf_counter()
    search = _Greedy(inst, max_cost, min_accuracy, max_memory, pareto, min_label_accuracy)
    order = _label_order(inst, label_order)
    search.node_limit = node_limit
    found = search.run(order)
    if found is None:
        status = "limit" if search.exhausted else "no-plan"
        result = Solution(None, None, 0.0, 0.0, 0.0, status)
    else:
        assignment = tuple(found[t] for t in range(inst.k))
        models = set(assignment)
        result = Solution(
            assignment,
            tuple(range(inst.k)),
            search.accuracy(found),
            sum(inst.cost[m] for m in models),
            sum(inst.memory[m] for m in models),
            "feasible",
        )
    result.nodes = search.nodes
    result.seconds = time.perf_counter() - start
    return result


def _label_order(inst: Compiled, label_order: Sequence[str] | None) -> list[int]:
    if label_order is None:
        return list(range(inst.k))
    index = {label: i for i, label in enumerate(inst.labels)}
    order = [index[label] for label in label_order if label in index]
    return order + [t for t in range(inst.k) if t not in order]


class _Greedy:
    def __init__(
        self,
        inst: Compiled,
        max_cost: float | None,
        min_accuracy: float | None,
        max_memory: float,
        pareto: bool,
        min_label_accuracy: float,
    ):
        self.inst = inst
        self.by_cost = max_cost is None
        self.max_cost = math.inf if max_cost is None else max_cost
        self.min_accuracy = min_accuracy or 0.0
        self.max_memory = max_memory
        self.min_label_accuracy = min_label_accuracy
        self.allowed = [
            set(pareto_candidates(inst, t) if pareto else inst.candidates[t]) for t in range(inst.k)
        ]
        self.ranked = [self._rank(t) for t in range(inst.k)]
        self.nodes = 0
        self.node_limit = 0
        self.exhausted = False

    def _rank(self, t: int) -> list[int]:
        inst = self.inst
        models = sorted(self.allowed[t])  # zoo order, so ties keep it (stable sorts below)
        if self.by_cost:
            return sorted(models, key=lambda m: inst.cost[m])
        return sorted(models, key=lambda m: -inst.acc[m][t])

    def accuracy(self, chosen: dict[int, int]) -> float:
        return self.inst.accuracy_of([self.inst.acc[chosen[t]][t] for t in range(self.inst.k)])

    def run(self, order: list[int]) -> dict[int, int] | None:
        return self._step(order, self.max_cost, self.max_memory, frozenset(), {})

    def _step(
        self,
        remaining: list[int],
        budget: float,
        memory: float,
        used: frozenset[int],
        chosen: dict[int, int],
    ) -> dict[int, int] | None:
        self.nodes += 1
        if self.nodes > self.node_limit:
            self.exhausted = True
            return None
        inst, t = self.inst, remaining[0]
        for m in self.ranked[t]:
            if self.exhausted:
                return None
            if m in used:
                continue
            if self.by_cost and inst.acc[m][t] < self.min_label_accuracy:
                continue
            if inst.cost[m] > budget + _TOLERANCE or inst.memory[m] > memory + _TOLERANCE:
                continue
            answered = [x for x in remaining if m in self.allowed[x]]
            rest = [x for x in remaining if m not in self.allowed[x]]
            plan = {**chosen, **dict.fromkeys(answered, m)}
            if not rest:
                if self.by_cost and self.accuracy(plan) < self.min_accuracy - _TOLERANCE:
                    continue
                return plan
            found = self._step(
                rest, budget - inst.cost[m], memory - inst.memory[m], used | {m}, plan
            )
            if found is not None:
                return found
        return None
