"""Exact solvers: branch and bound that proves optimality, for both cost models.

Why not a MIP: the accuracy estimate is a polynomial in the chosen qualities (AND multiplies, OR
is ``a + b − ab``), so a linear MIP (HiGHS) cannot state it exactly, and a piecewise-linear
approximation would not prove the optimum of the *true* estimate. The authors used Gurobi's
non-convex MIQCP; we use a problem-specific branch and bound that exploits one fact: the
estimate is monotone non-decreasing in every predicate's quality, and every objective here is
monotone (lower loss, cost, memory are better).

**Selection-only model** (:class:`SelectionSearch`). A plan is a set ``S`` of models; each
predicate takes the best model of ``S`` for its label (given ``S`` that is optimal, by
monotonicity). Variables: for each label ``t`` in turn, the model ``r_t ∈ S`` *responsible* for
it. Branches: the best model already in ``S`` for ``t``, or a new model better on ``t`` than all
of ``S``. Constraints: a model added later must not beat ``r_t`` on ``t`` (``a[m,t] ≤ a[r_t,t]``
— this makes every set reachable along exactly one path, up to ties), Σ cost ≤ B, Σ memory ≤ M,
estimate ≥ A. Bound: decided predicates keep ``a[r_t,t]``; each open predicate takes the best
quality of a model in ``S`` or of a model that can still be added (fits the remaining budget and
the caps); the objective at ``(1 − F(upper qualities), cost(S), memory(S))`` is a lower bound.

**Order-aware model** (:class:`OrderSearch`). Here the cheapest plan may give a predicate a
model that is not the best of ``S`` (its runs are already paid for), so the variables are the
assignment ``x[t] = m`` itself, plus the order. Some optimal order never interleaves the groups
of the DNF/CNF (see :func:`~mlkg.optimizer.estimate._next_labels`), which gives the cost lower
bounds of a partial assignment, the larger of:

* ``Σ_m c_m · max_{t→m} fmin(t)`` (``fmin(t)``: ``t``'s fraction when every other predicate
  runs first) plus, for each open predicate, the cheapest raise of a candidate model split among
  the open predicates that model could serve (a maximum is at least an average);
* the *group bound*: every group has a first predicate, which gets at least the group's floor
  (all other groups ran before it), and the group run first overall gets fraction 1 — the least
  cost over the choices of first group and first predicates.

Branches are pruned when the objective at (1 − upper accuracy, lower cost, memory) cannot beat
the incumbent (seeded with the selection-only optimum, which is feasible here too). At a
complete assignment the order is optimised exactly (:func:`~mlkg.optimizer.estimate.best_order`:
a DP over placed sets, or the exact additive rule when no model is shared); beyond the DP's
size limit a heuristic order is used and the result is marked not proven.

Both searches stop when the node budget runs out and then say so (``proven=False``); a result
is only called optimal when the whole tree was explored or pruned by a valid bound.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlkg.optimizer.estimate import MAX_DP_LABELS, OrderModel, best_order
from mlkg.optimizer.problem import EPSILON, Compiled

_TOLERANCE = 1e-9
#: Most (first group × first predicate per group) combinations the group bound enumerates.
GROUP_BOUND_LIMIT = 256


@dataclass(frozen=True)
class Objective:
    """What to minimise: a monotone function of (accuracy loss, cost, memory).

    ``kind`` is ``accuracy`` (minimise the loss ``1 − accuracy``), ``cost``, ``memory``,
    ``weighted-sum`` (Σ wᵢ·fᵢ/sᵢ) or ``minmax`` (max wᵢ·fᵢ/sᵢ, the weighted Chebyshev norm);
    ``weights`` and ``scales`` are for (loss, cost, memory).
    """

    kind: str = "accuracy"
    weights: tuple[float, float, float] = (1.0, 0.0, 0.0)
    scales: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def terms(self, loss: float, cost: float, memory: float) -> tuple[float, float, float]:
        return tuple(  # type: ignore[return-value]
            w * v / s if w else 0.0
            for w, v, s in zip(self.weights, (loss, cost, memory), self.scales, strict=True)
        )

    def value(self, loss: float, cost: float, memory: float) -> float:
        if self.kind == "accuracy":
            return loss
        if self.kind == "cost":
            return cost
        if self.kind == "memory":
            return memory
        terms = self.terms(loss, cost, memory)
        return max(terms) if self.kind == "minmax" else sum(terms)

    def cost_limit(self, loss: float, memory: float, best: float) -> float:
        """The largest cost at which (loss, cost, memory) could still beat ``best``."""
        if math.isinf(best):
            return math.inf
        if self.kind == "cost":
            return best - _TOLERANCE
        if self.kind in ("accuracy", "memory"):
            return math.inf if self.value(loss, 0.0, memory) < best - _TOLERANCE else -math.inf
        w_cost, s_cost = self.weights[1], self.scales[1]
        rest = self.value(loss, 0.0, memory)
        if rest >= best - _TOLERANCE:
            return -math.inf
        if not w_cost:
            return math.inf
        if self.kind == "minmax":
            return best * s_cost / w_cost
        return (best - rest) * s_cost / w_cost

    @property
    def prefers_cost(self) -> bool:
        """Explore cheap branches first (else accurate ones first)."""
        return self.kind in ("cost", "memory")


@dataclass(frozen=True)
class Limits:
    """Hard constraints: cost ≤ max_cost, memory ≤ max_memory, accuracy ≥ min_accuracy."""

    max_cost: float = math.inf
    max_memory: float = math.inf
    min_accuracy: float = 0.0


@dataclass
class Solution:
    """A solver's answer in index form (see :mod:`mlkg.optimizer.plan` for the public form).

    ``status``: ``optimal`` (proven), ``infeasible`` (proven: no plan meets the constraints),
    ``limit`` (the node budget ran out: ``assignment`` is the best found, if any, unproven),
    ``feasible`` (a heuristic's plan) or ``no-plan`` (a heuristic found none).
    """

    assignment: tuple[int, ...] | None
    order: tuple[int, ...] | None
    accuracy: float
    cost: float
    memory: float
    status: str
    nodes: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.assignment is not None

    @property
    def proven(self) -> bool:
        return self.status in ("optimal", "infeasible")


class _Budget:
    """Counts nodes; ``exhausted`` once ``node_limit`` is passed."""

    def __init__(self, node_limit: int | None):
        self.limit = node_limit
        self.nodes = 0
        self.exhausted = False

    def tick(self) -> bool:
        self.nodes += 1
        if self.limit is not None and self.nodes > self.limit:
            self.exhausted = True
        return not self.exhausted


class _Search:
    """What both searches share: the instance, objective, limits, node budget, the incumbent
    (the best plan so far, possibly given from outside) and the label order — fewest candidates
    first, so the tree branches little near its root."""

    def __init__(
        self,
        inst: Compiled,
        objective: Objective,
        limits: Limits,
        node_limit: int | None,
        incumbent: Solution | None,
    ):
        self.inst = inst
        self.objective = objective
        self.limits = limits
        self.budget = _Budget(node_limit)
        self.order = sorted(range(inst.k), key=lambda t: (len(inst.candidates[t]), t))
        self.best_value = math.inf
        self.best: Solution | None = None
        #: Why a part of the space was not searched exhaustively (then nothing is proven).
        self.unproven: list[str] = []
        if incumbent is not None and incumbent.assignment is not None:
            self.best_value = objective.value(
                1.0 - incumbent.accuracy, incumbent.cost, incumbent.memory
            )
            self.best = incumbent

    def _visit(self, depth: int) -> None:
        raise NotImplementedError

    def run(self) -> Solution:
        start = time.perf_counter()
        self._visit(0)
        result = self._result(unproven=self.budget.exhausted or bool(self.unproven))
        result.notes.extend(self.unproven)
        result.nodes = self.budget.nodes
        result.seconds = time.perf_counter() - start
        return result

    def _result(self, *, unproven: bool) -> Solution:
        """The incumbent as ``optimal``, or ``infeasible`` when there is none — unless some part
        of the space was not searched exhaustively (``unproven``): then ``limit``."""
        if self.best is None:
            return Solution(None, None, 0.0, 0.0, 0.0, "limit" if unproven else "infeasible")
        self.best.status = "limit" if unproven else "optimal"
        return self.best


class SelectionSearch(_Search):
    """Branch and bound over model sets for the selection-only cost model."""

    def __init__(
        self,
        inst: Compiled,
        objective: Objective,
        limits: Limits,
        *,
        node_limit: int | None = None,
        incumbent: Solution | None = None,
    ):
        super().__init__(inst, objective, limits, node_limit, incumbent)
        k, n = inst.k, inst.n
        self.in_set = [False] * n
        self.cost = 0.0
        self.memory = 0.0
        self.best_in = [0.0] * k
        self.best_model = [-1] * k
        self.cap = [math.inf] * k
        self.responsible = [-1] * k

    # -- the tree -------------------------------------------------------------------------

    def _addable(self, m: int, depth: int) -> bool:
        inst, limits = self.inst, self.limits
        if self.in_set[m]:
            return False
        cost, memory = self.cost + inst.cost[m], self.memory + inst.memory[m]
        if cost > limits.max_cost + _TOLERANCE or memory > limits.max_memory + _TOLERANCE:
            return False
        if self.objective.value(0.0, cost, memory) >= self.best_value - _TOLERANCE:
            return False
        row = inst.acc[m]
        return all(row[j] <= self.cap[j] + EPSILON for j in self.order[:depth])

    def _upper(self, t: int, depth: int) -> float:
        value = self.best_in[t]
        for m in self.inst.candidates[t]:
            if self.inst.acc[m][t] <= value + EPSILON:
                break
            if self._addable(m, depth):
                return self.inst.acc[m][t]
        return value

    def _visit(self, depth: int) -> None:
        if not self.budget.tick():
            return
        inst, k = self.inst, self.inst.k
        alpha = [0.0] * k
        for j in self.order[:depth]:
            alpha[j] = self.cap[j]
        for t in self.order[depth:]:
            alpha[t] = self._upper(t, depth)
            if alpha[t] <= 0.0:
                return
        upper = inst.accuracy_of(alpha)
        if upper < self.limits.min_accuracy - _TOLERANCE:
            return
        bound = self.objective.value(1.0 - upper, self.cost, self.memory)
        if bound >= self.best_value - _TOLERANCE:
            return
        if depth == k:
            self._record(upper)
            return
        t = self.order[depth]
        options = [
            m
            for m in inst.candidates[t]
            if inst.acc[m][t] > self.best_in[t] + EPSILON and self._addable(m, depth)
        ]
        if self.objective.prefers_cost:
            options.sort(key=lambda m: (inst.cost[m], -inst.acc[m][t], m))
        existing = self.best_model[t] if self.best_in[t] > 0.0 else -1
        if existing >= 0:
            if self.objective.prefers_cost:
                options.insert(0, existing)
            else:
                options.append(existing)
        for m in options:
            if self.budget.exhausted:
                return
            if m == existing:
                self._decide(t, m, depth)
            else:
                undo = self._add(m)
                self._decide(t, m, depth)
                self._remove(m, undo)

    def _decide(self, t: int, m: int, depth: int) -> None:
        self.cap[t] = self.inst.acc[m][t]
        self.responsible[t] = m
        self._visit(depth + 1)
        self.cap[t] = math.inf
        self.responsible[t] = -1

    def _add(self, m: int) -> list[tuple[int, float, int]]:
        inst = self.inst
        self.in_set[m] = True
        self.cost += inst.cost[m]
        self.memory += inst.memory[m]
        undo = []
        for t, value in enumerate(inst.acc[m]):
            if value > self.best_in[t]:
                undo.append((t, self.best_in[t], self.best_model[t]))
                self.best_in[t] = value
                self.best_model[t] = m
        return undo

    def _remove(self, m: int, undo: list[tuple[int, float, int]]) -> None:
        inst = self.inst
        self.in_set[m] = False
        self.cost -= inst.cost[m]
        self.memory -= inst.memory[m]
        for t, value, model in undo:
            self.best_in[t] = value
            self.best_model[t] = model

    def _record(self, accuracy: float) -> None:
        assignment = tuple(self.responsible)
        models = set(assignment)
        cost = sum(self.inst.cost[m] for m in models)
        memory = sum(self.inst.memory[m] for m in models)
        value = self.objective.value(1.0 - accuracy, cost, memory)
        if value < self.best_value - _TOLERANCE:
            self.best_value = value
            order = tuple(range(self.inst.k))
            self.best = Solution(assignment, order, accuracy, cost, memory, "optimal")


class OrderSearch(_Search):
    """Branch and bound over assignments (and, at the leaves, orders) for the order-aware cost."""

    def __init__(
        self,
        inst: Compiled,
        model: OrderModel,
        objective: Objective,
        limits: Limits,
        *,
        node_limit: int | None = None,
        incumbent: Solution | None = None,
    ):
        super().__init__(inst, objective, limits, node_limit, incumbent)
        self.model = model
        k, n = inst.k, inst.n
        self.fmin = [model.minimum_fraction(t) for t in range(k)]
        self.groups = [[t for t in range(k) if mask >> t & 1] for mask in model.group_masks]
        self.floors = [model.group_floor(g) for g in range(len(self.groups))]
        self.combinations = len(self.groups) * math.prod(len(g) for g in self.groups)
        self.assign = [-1] * k
        self.users = [0] * n  # predicates served per model
        self.peak = [0.0] * n  # largest fmin among a model's predicates
        self.base = 0.0  # Σ c_m · peak_m
        self.memory = 0.0
        self.cost_matters = objective.kind == "cost" or (
            objective.kind in ("weighted-sum", "minmax") and objective.weights[1] > 0
        )
        self.cache: dict[tuple[int, ...], tuple[float, float, tuple[int, ...] | None, bool]] = {}

    def _group_bound(self, floor: float) -> float:
        """A lower bound from the order's structure (groups are not interleaved, WLOG), or
        ``floor`` as soon as it is clear the bound cannot exceed it.

        Every group has a first predicate, which gets at least the group's floor (every other
        group ran before), and the group run first overall gets fraction 1. Enumerate which
        group runs first and which predicate runs first in each group; an assigned predicate
        raises its model's peak to that level, an open one adds the cheapest candidate's raise,
        split among the groups that model could open (a max is at least an average). The least
        total over the choices bounds every order of every completion of the assignment.
        """
        groups = self.groups
        if self.combinations > GROUP_BOUND_LIMIT:
            return floor
        inst = self.inst
        opens: dict[int, int] = {}
        for members in groups:
            for m in {m for t in members if self.assign[t] < 0 for m in inst.candidates[t]}:
                opens[m] = opens.get(m, 0) + 1
        ranked = self._ranked_raises(opens)
        best = math.inf
        for first in range(len(groups)):
            levels = [1.0 if g == first else self.floors[g] for g in range(len(groups))]
            for leaders in itertools.product(*groups):
                best = min(best, self._leader_cost(leaders, levels, opens, ranked))
                if best <= floor:
                    return floor
        return best

    def _ranked_raises(
        self, opens: dict[int, int]
    ) -> dict[tuple[int, float], list[tuple[float, int]]]:
        """Per open predicate and level: candidates by the (split) raise they would need."""
        inst, ranked = self.inst, {}
        for g, members in enumerate(self.groups):
            for t in members:
                if self.assign[t] >= 0:
                    continue
                for level in {1.0, self.floors[g]}:
                    ranked[t, level] = sorted(
                        (inst.cost[m] * max(0.0, level - self.peak[m]) / opens[m], m)
                        for m in inst.candidates[t]
                    )
        return ranked

    def _leader_cost(
        self,
        leaders: Sequence[int],
        levels: Sequence[float],
        opens: dict[int, int],
        ranked: dict[tuple[int, float], list[tuple[float, int]]],
    ) -> float:
        inst = self.inst
        raised: dict[int, float] = {}
        for g, t in enumerate(leaders):
            m = self.assign[t]
            if m >= 0 and levels[g] > raised.get(m, self.peak[m]):
                raised[m] = levels[g]
        total = self.base + sum(
            inst.cost[m] * (level - self.peak[m]) for m, level in raised.items()
        )
        for g, t in enumerate(leaders):
            if self.assign[t] >= 0:
                continue
            # the cheapest candidate not raised by this choice, or a raised one (cheaper now)
            options = ranked[t, levels[g]]
            value = next((v for v, m in options if m not in raised), math.inf)
            for m, peak in raised.items():
                if inst.acc[m][t] > 0:
                    value = min(value, inst.cost[m] * max(0.0, levels[g] - peak) / opens[m])
            total += value
        return total

    def _shares(self) -> float:
        """What the open predicates must still add, each model's increase split evenly among
        the open predicates it could serve (a model's max is at least their average)."""
        inst = self.inst
        open_labels = [t for t in range(inst.k) if self.assign[t] < 0]
        if not open_labels:
            return 0.0
        serves: dict[int, int] = {}
        for t in open_labels:
            for m in inst.candidates[t]:
                serves[m] = serves.get(m, 0) + 1
        total = 0.0
        for t in open_labels:
            total += min(self._marginal(m, t) / serves[m] for m in inst.candidates[t])
        return total

    def _marginal(self, m: int, t: int) -> float:
        c = self.inst.cost[m]
        if self.users[m]:
            return c * max(0.0, self.fmin[t] - self.peak[m])
        return c * self.fmin[t]

    def _affordable(self, m: int, t: int) -> bool:
        """Whether giving ``t`` to ``m`` keeps the cheap cost bound within the limits."""
        cost = self.base + self._marginal(m, t)
        memory = self.memory + (0.0 if self.users[m] else self.inst.memory[m])
        return not self._cut(0.0, cost, memory)

    def _cut(self, loss: float, cost: float, memory: float) -> bool:
        """Whether a node with these lower bounds can hold no plan better than the incumbent."""
        if cost > self.limits.max_cost + _TOLERANCE or memory > self.limits.max_memory + _TOLERANCE:
            return True
        return self.objective.value(loss, cost, memory) >= self.best_value - _TOLERANCE

    def _lower_cost(self, loss: float) -> float | None:
        """A lower bound on the cost of every completion, or None when it prunes the node.

        The cheap bound first; the group bound (dearer) only when the cheap one does not prune.
        """
        cheap = self.base + self._shares()
        if self._cut(loss, cheap, self.memory):
            return None
        lower = self._group_bound(cheap)
        return None if self._cut(loss, lower, self.memory) else lower

    def _visit(self, depth: int) -> None:
        if not self.budget.tick():
            return
        inst, k = self.inst, self.inst.k
        alpha = [0.0] * k
        for j in self.order[:depth]:
            alpha[j] = inst.acc[self.assign[j]][j]
        for t in self.order[depth:]:
            alpha[t] = next(
                (inst.acc[m][t] for m in inst.candidates[t] if self._affordable(m, t)), 0.0
            )
            if alpha[t] <= 0.0:
                return
        upper = inst.accuracy_of(alpha)
        if upper < self.limits.min_accuracy - _TOLERANCE:
            return
        lower_cost = self._lower_cost(1.0 - upper)
        if lower_cost is None:
            return
        if depth == k:
            self._leaf(upper, lower_cost)
            return
        t = self.order[depth]
        options = [m for m in inst.candidates[t] if self._affordable(m, t)]
        if self.objective.prefers_cost:
            options.sort(key=lambda m: (self._marginal(m, t), -inst.acc[m][t], m))
        for m in options:
            if self.budget.exhausted:
                return
            self._assign(t, m)
            self._visit(depth + 1)
            self._unassign(t, m)

    def _assign(self, t: int, m: int) -> None:
        self.assign[t] = m
        if self.users[m] == 0:
            self.memory += self.inst.memory[m]
        self.users[m] += 1
        self._refresh(m)

    def _unassign(self, t: int, m: int) -> None:
        self.assign[t] = -1
        self.users[m] -= 1
        if self.users[m] == 0:
            self.memory -= self.inst.memory[m]
        self._refresh(m)

    def _refresh(self, m: int) -> None:
        peak = max((self.fmin[t] for t in range(self.inst.k) if self.assign[t] == m), default=0.0)
        self.base += self.inst.cost[m] * (peak - self.peak[m])
        self.peak[m] = peak

    def _leaf(self, accuracy: float, lower_cost: float) -> None:
        loss = 1.0 - accuracy
        limit = min(
            self.limits.max_cost, self.objective.cost_limit(loss, self.memory, self.best_value)
        )
        if limit < lower_cost - _TOLERANCE:
            return
        assignment = tuple(self.assign)
        cost, order, proven = self._order(assignment, limit)
        if not proven and not self.unproven:  # also with no order: a cheaper one might fit
            self.unproven.append(
                "some orders were found by local search, not proven cheapest (a model shared "
                f"by several predicates and more than {MAX_DP_LABELS} predicates, the exact "
                "order DP's limit): optimality is not proven"
            )
        if order is None or cost > limit + _TOLERANCE:
            return
        value = self.objective.value(loss, cost, self.memory)
        if value < self.best_value - _TOLERANCE:
            self.best_value = value
            self.best = Solution(assignment, order, accuracy, cost, self.memory, "optimal")

    def _order(
        self, assignment: tuple[int, ...], limit: float
    ) -> tuple[float, tuple[int, ...] | None, bool]:
        cached = self.cache.get(assignment)
        if cached is not None:
            used_limit, cost, order, proven = cached
            if order is not None or limit <= used_limit:
                return cost, order, proven
        slots = sorted(set(assignment))
        slot_index = {m: i for i, m in enumerate(slots)}
        slot_of = [slot_index[m] for m in assignment]
        slot_cost = [self.inst.cost[m] for m in slots]
        cost, order, proven = best_order(
            self.model, slot_of, slot_cost, bound=limit, exact_cost=self.cost_matters
        )
        self.cache[assignment] = (limit, cost, order, proven)
        return cost, order, proven


def solve_selection(
    inst: Compiled,
    objective: Objective,
    limits: Limits,
    *,
    node_limit: int | None = None,
    incumbent: Solution | None = None,
) -> Solution:
    """The proven optimum under the selection-only cost (or a ``limit`` status).

    Without an ``incumbent`` the search starts from :func:`heuristic_plan`'s, when it finds one
    (a good first bound prunes large zoos much earlier; it never affects what is optimal).
    """
    if incumbent is None:
        incumbent = heuristic_plan(inst, objective, limits)
    return SelectionSearch(
        inst, objective, limits, node_limit=node_limit, incumbent=incumbent
    ).run()


def heuristic_plan(inst: Compiled, objective: Objective, limits: Limits) -> Solution | None:
    """A quick feasible plan: a cheap cover of the labels, then the best-value upgrades.

    Cover: for each label not yet answered, the candidate with the least cost per label it
    would newly answer. Upgrade: repeatedly add the model that most improves the objective per
    unit of cost, while the bounds hold. ``None`` when the result breaks a bound.
    """
    k = inst.k
    chosen: list[int] = []
    best = [0.0] * k
    for t in sorted(range(k), key=lambda t: len(inst.candidates[t])):
        if best[t] > 0:
            continue
        m = min(
            inst.candidates[t],
            key=lambda m: (inst.cost[m] / sum(1 for u in range(k) if inst.acc[m][u] > best[u]), m),
        )
        chosen.append(m)
        best = [max(b, a) for b, a in zip(best, inst.acc[m], strict=True)]
    value = _plan_value(inst, objective, chosen, best)
    pool = sorted({m for cands in inst.candidates for m in cands} - set(chosen))
    while pool:
        step = None
        cost_now = sum(inst.cost[x] for x in chosen)
        memory_now = sum(inst.memory[x] for x in chosen)
        for m in pool:
            if (
                cost_now + inst.cost[m] > limits.max_cost + _TOLERANCE
                or memory_now + inst.memory[m] > limits.max_memory + _TOLERANCE
            ):
                continue
            trial = [max(b, a) for b, a in zip(best, inst.acc[m], strict=True)]
            gain = value - _plan_value(inst, objective, [*chosen, m], trial)
            rate = gain / max(inst.cost[m], 1e-9)
            if gain > _TOLERANCE and (step is None or rate > step[0]):
                step = (rate, m, trial)
        if step is None:
            break
        chosen.append(step[1])
        best = step[2]
        value = _plan_value(inst, objective, chosen, best)
        pool.remove(step[1])
    return _heuristic_solution(inst, limits, chosen, best)


def _heuristic_solution(
    inst: Compiled, limits: Limits, chosen: list[int], best: list[float]
) -> Solution | None:
    accuracy = inst.accuracy_of(best)
    assignment = tuple(max(chosen, key=lambda m, t=t: inst.acc[m][t]) for t in range(inst.k))
    used = set(assignment)
    cost = sum(inst.cost[m] for m in used)
    memory = sum(inst.memory[m] for m in used)
    if (
        cost > limits.max_cost + _TOLERANCE
        or memory > limits.max_memory + _TOLERANCE
        or accuracy < limits.min_accuracy - _TOLERANCE
    ):
        return None
    return Solution(assignment, tuple(range(inst.k)), accuracy, cost, memory, "feasible")


def _plan_value(
    inst: Compiled, objective: Objective, chosen: list[int], best: list[float]
) -> float:
    cost = sum(inst.cost[m] for m in chosen)
    memory = sum(inst.memory[m] for m in chosen)
    return objective.value(1.0 - inst.accuracy_of(best), cost, memory)


def solve_order(
    inst: Compiled,
    model: OrderModel,
    objective: Objective,
    limits: Limits,
    *,
    node_limit: int | None = None,
    incumbent: Solution | None = None,
) -> Solution:
    """The proven optimum under the order-aware cost, with its order (or a ``limit`` status)."""
    search = OrderSearch(inst, model, objective, limits, node_limit=node_limit, incumbent=incumbent)
    return search.run()
