"""The estimates a plan is judged by: accuracy, the two cost models, memory, the best order.

Definitions (as the authors' optimizers compute them):

* **accuracy**: each predicate gets its model's quality on that label; AND multiplies and OR is
  ``a + b − ab``, along the formula (:meth:`Formula.accuracy`).
* **selection-only cost**: the sum of the costs of the *distinct* models used — a multi-label
  model serving several predicates is paid once (every model runs on every item).
* **order-aware cost**: predicates run in an order and an item skips a predicate once its
  answer is decided. In a DNF, an item that satisfied a whole earlier AND-group is accepted and
  skips the rest; inside a group, an item that failed an earlier predicate is dropped from that
  group. In a CNF the converse: an item that failed a whole earlier OR-clause is rejected, and
  inside a clause an item that passed an earlier predicate skips the rest of the clause. With
  independent labels of selectivity ``s`` (fraction of items carrying the label), the fraction of
  items that still reach predicate ``t`` given the set ``P`` of predicates run before it is::

      DNF: Π_{groups h ≠ g(t), h ⊆ P} (1 − Π_{u∈h} s_u)  ×  Π_{u ∈ P ∩ g(t)} s_u
      CNF: Π_{clauses h ≠ g(t), h ⊆ P} (1 − Π_{u∈h} (1 − s_u))  ×  Π_{u ∈ P ∩ g(t)} (1 − s_u)

  A model pays its cost times the **largest** fraction among the positions it serves (it runs
  once per item that needs any of its predicates; the authors' ``max`` over positions).
* **memory**: the sum of the memory footprints of the distinct models used (all resident).

:func:`best_order` finds the cheapest order for a fixed assignment exactly: a dynamic program
over sets of placed predicates that keeps, per set, the Pareto-minimal vectors of per-model
"largest fraction so far" (the final cost is ``Σ c_m · max(cur_m, later_m)``, monotone in each
``cur_m``). When no model serves two predicates the cost is additive and the classic exchange
argument gives the order directly (:func:`additive_order`), for any number of predicates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlkg.errors import MissingSelectivityError, UnsupportedFormulaError
from mlkg.optimizer.formula import Formula

#: Most predicates the exact order DP handles when models are shared (2^k sets of predicates).
MAX_DP_LABELS = 18
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class OrderModel:
    """The fractions of items reaching each predicate, for one DNF/CNF formula.

    Labels are indexed as in ``formula.labels``; ``fraction(t, placed)`` takes a bit mask of the
    predicates placed before ``t``.
    """

    labels: tuple[str, ...]
    form: str
    group_of: tuple[int, ...]
    group_masks: tuple[int, ...]
    own: tuple[float, ...]
    completion: tuple[float, ...]
    group_sizes: tuple[int, ...] = ()

    @classmethod
    def build(cls, formula: Formula, selectivity: Mapping[str, float] | None) -> OrderModel:
        """Raises UnsupportedFormulaError (nested/repeated labels), MissingSelectivityError."""
        if formula.groups is None or not formula.read_once:
            raise UnsupportedFormulaError(
                f"the order-aware cost needs a DNF or CNF formula in which each label occurs "
                f"once; {formula} is not (use the selection-only cost, i.e. drop --order)"
            )
        missing = [t for t in formula.labels if not selectivity or t not in selectivity]
        if missing:
            raise MissingSelectivityError(
                f"no selectivity for label(s) {', '.join(missing)}: import label statistics "
                "(mlkg import-profile --selectivity FILE, or DataInstances with mlkg:hasLabel) "
                "or drop --order"
            )
        assert selectivity is not None
        for label in formula.labels:
            value = selectivity[label]
            if not 0.0 <= value <= 1.0:
                raise MissingSelectivityError(f"selectivity {value!r} of {label} is not in [0, 1]")
        labels = formula.labels
        index = {t: i for i, t in enumerate(labels)}
        group_of = [0] * len(labels)
        masks = []
        for g, group in enumerate(formula.groups):
            mask = 0
            for label in group:
                group_of[index[label]] = g
                mask |= 1 << index[label]
            masks.append(mask)
        dnf = formula.form == "DNF"
        own = tuple(selectivity[t] if dnf else 1.0 - selectivity[t] for t in labels)
        completion = []
        for group in formula.groups:
            if dnf:  # an item goes on past a whole group only if the group was false
                completion.append(1.0 - math.prod(selectivity[t] for t in group))
            else:  # ... past a whole clause only if the clause was true
                completion.append(1.0 - math.prod(1.0 - selectivity[t] for t in group))
        sizes = tuple(len(group) for group in formula.groups)
        return cls(
            labels, formula.form, tuple(group_of), tuple(masks), own, tuple(completion), sizes
        )

    @property
    def k(self) -> int:
        return len(self.labels)

    def fraction(self, t: int, placed: int) -> float:
        """The fraction of items that reach predicate ``t`` after the predicates in ``placed``."""
        own_group = self.group_of[t]
        value = 1.0
        for g, mask in enumerate(self.group_masks):
            if g != own_group and mask & placed == mask:
                value *= self.completion[g]
        rest = placed & self.group_masks[own_group]
        while rest:
            low = rest & -rest
            value *= self.own[low.bit_length() - 1]
            rest ^= low
        return value

    def minimum_fraction(self, t: int) -> float:
        """The smallest fraction ``t`` can get: every other predicate placed before it."""
        full = (1 << self.k) - 1
        return self.fraction(t, full & ~(1 << t))

    def group_floor(self, g: int) -> float:
        """The fraction the first predicate of group ``g`` gets when every other group ran."""
        return math.prod(c for h, c in enumerate(self.completion) if h != g)

    def fractions(self, order: Sequence[int]) -> list[float]:
        """The fraction at each position of ``order`` (label indices), in O(k)."""
        completed = 1.0  # product of the completion factors of the groups already complete
        own_product = [1.0] * len(self.group_masks)
        left = list(self.group_sizes)
        result = []
        for t in order:
            g = self.group_of[t]
            result.append(completed * own_product[g])
            own_product[g] *= self.own[t]
            left[g] -= 1
            if left[g] == 0:
                completed *= self.completion[g]
        return result


def order_cost(
    model: OrderModel, slot_of: Sequence[int], slot_cost: Sequence[float], order: Sequence[int]
) -> float:
    """The order-aware cost of ``order``: Σ over models of cost × largest fraction served.

    ``slot_of[t]`` is the model (slot) serving predicate ``t`` (``-1``: free, costs nothing).
    """
    largest = [0.0] * len(slot_cost)
    for t, fraction in zip(order, model.fractions(order), strict=True):
        slot = slot_of[t]
        if slot >= 0 and fraction > largest[slot]:
            largest[slot] = fraction
    return sum(c * f for c, f in zip(slot_cost, largest, strict=True))


def best_order(
    model: OrderModel,
    slot_of: Sequence[int],
    slot_cost: Sequence[float],
    *,
    bound: float = math.inf,
    exact_cost: bool = True,
) -> tuple[float, tuple[int, ...] | None, bool]:
    """The cheapest order for a fixed assignment: ``(cost, order, proven)``.

    ``bound``: only orders costing at most this are of interest; when none exists the answer is
    ``(inf, None, True)``. With ``exact_cost=False`` any order within ``bound`` will do (the
    caller only needs feasibility), so a good heuristic order is returned as soon as it fits.
    Exact (``proven``) by :func:`additive_order` when no model serves two predicates, else by
    the subset DP up to :data:`MAX_DP_LABELS` predicates; beyond that the best heuristic order
    is returned with ``proven=False``.
    """
    shared = len({s for s in slot_of if s >= 0}) < sum(1 for s in slot_of if s >= 0)
    if not shared:
        order = additive_order(model, slot_of, slot_cost)
        cost = order_cost(model, slot_of, slot_cost, order)
        return (cost, order, True) if cost <= bound + _TOLERANCE else (math.inf, None, True)
    order = additive_order(model, slot_of, slot_cost)
    cost = order_cost(model, slot_of, slot_cost, order)
    if not exact_cost and cost <= bound + _TOLERANCE:
        return cost, order, True
    if exact_cost or model.k > MAX_DP_LABELS:
        rounds = 3 if model.k <= MAX_DP_LABELS else 1
        order = improve_order(model, slot_of, slot_cost, order, rounds=rounds)
        cost = order_cost(model, slot_of, slot_cost, order)
        if not exact_cost and cost <= bound + _TOLERANCE:
            return cost, order, True
    if model.k > MAX_DP_LABELS:
        return (cost, order, False) if cost <= bound + _TOLERANCE else (math.inf, None, False)
    if _start_bound(model, slot_of, slot_cost) > bound + _TOLERANCE:
        return math.inf, None, True
    return _subset_dp(model, slot_of, slot_cost, min(bound, cost), (cost, order), bound)


def improve_order(
    model: OrderModel,
    slot_of: Sequence[int],
    slot_cost: Sequence[float],
    order: Sequence[int],
    *,
    rounds: int = 3,
) -> tuple[int, ...]:
    """Local search over non-interleaved orders: move a whole group, or a predicate inside its
    group, while the cost drops (some optimal order is non-interleaved, see _next_labels)."""
    groups: list[list[int]] = []
    for t in order:
        g = model.group_of[t]
        if not groups or model.group_of[groups[-1][0]] != g:
            groups.append([t])
        else:
            groups[-1].append(t)

    def cost_of(candidate: list[list[int]]) -> float:
        return order_cost(model, slot_of, slot_cost, [t for group in candidate for t in group])

    best_cost = cost_of(groups)
    for _ in range(rounds):
        improved = False
        for candidate in _neighbours(groups):
            cost = cost_of(candidate)
            if cost < best_cost - _TOLERANCE:
                groups, best_cost, improved = candidate, cost, True
        if not improved:
            break
    return tuple(t for group in groups for t in group)


def _neighbours(groups: list[list[int]]):
    """Orders one move away: a group elsewhere, or a predicate elsewhere in its group."""
    for i in range(len(groups)):
        for j in range(len(groups)):
            if i != j:
                moved = groups[:i] + groups[i + 1 :]
                moved.insert(j, groups[i])
                yield moved
    for g, group in enumerate(groups):
        for i in range(len(group)):
            for j in range(len(group)):
                if i != j:
                    inner = group[:i] + group[i + 1 :]
                    inner.insert(j, group[i])
                    yield [*groups[:g], inner, *groups[g + 1 :]]


def _start_bound(model: OrderModel, slot_of: Sequence[int], slot_cost: Sequence[float]) -> float:
    """A lower bound on any order's cost: each model at its predicates' least fractions."""
    floor = [0.0] * len(slot_cost)
    for t, slot in enumerate(slot_of):
        if slot >= 0:
            floor[slot] = max(floor[slot], model.minimum_fraction(t))
    return sum(c * f for c, f in zip(slot_cost, floor, strict=True))


def additive_order(
    model: OrderModel, slot_of: Sequence[int], slot_cost: Sequence[float]
) -> tuple[int, ...]:
    """The optimal order when each model serves one predicate (costs add up).

    Groups are never interleaved (running a whole group h before the rest of a group g only
    lowers g's fractions); inside a group predicates go by cost per item they decide
    (``c / (1 − own)``), and groups by expected cost per item they decide
    (``C_g / (1 − completion_g)``) — the classic rule for sequential filters.
    """
    groups: list[tuple[float, list[int]]] = []
    for g, mask in enumerate(model.group_masks):
        members = [t for t in range(model.k) if mask >> t & 1]

        def price(t: int) -> float:
            c = slot_cost[slot_of[t]] if slot_of[t] >= 0 else 0.0
            return _ratio(c, 1.0 - model.own[t])

        members.sort(key=lambda t: (price(t), t))
        expected, reach = 0.0, 1.0
        for t in members:
            expected += reach * (slot_cost[slot_of[t]] if slot_of[t] >= 0 else 0.0)
            reach *= model.own[t]
        groups.append((_ratio(expected, 1.0 - model.completion[g]), members))
    groups.sort(key=lambda item: (item[0], item[1][0]))
    return tuple(t for _, members in groups for t in members)


def _ratio(cost: float, decided: float) -> float:
    if decided <= 0.0:
        return math.inf if cost > 0 else 0.0
    return cost / decided


def _subset_dp(
    model: OrderModel,
    slot_of: Sequence[int],
    slot_cost: Sequence[float],
    limit: float,
    incumbent: tuple[float, tuple[int, ...]],
    bound: float,
) -> tuple[float, tuple[int, ...] | None, bool]:
    """Exact DP over sets of placed predicates (groups not interleaved, see _next_labels).

    A state is (cost of models whose predicates are all placed, largest fraction so far of each
    *open* model — some predicates placed, some not). Models not started have fraction 0, so
    the state is small. States are kept per placed set as a Pareto front; a state whose cost so
    far plus what its open and unstarted models must still pay (their predicates' least
    fractions) exceeds ``limit`` is dropped.
    """
    k = model.k
    full = (1 << k) - 1
    slots = len(slot_cost)
    members = [0] * slots
    for t, slot in enumerate(slot_of):
        if slot >= 0:
            members[slot] |= 1 << t
    floor = [model.minimum_fraction(t) for t in range(k)]
    fronts: dict[int, list[tuple[float, tuple[float, ...], tuple[int, ...]]]] = {0: [(0.0, (), ())]}
    for placed in range(full):
        front = fronts.pop(placed, None)
        if not front:
            continue
        open_slots = [j for j in range(slots) if 0 != members[j] & placed != members[j]]
        steps = [(t, model.fraction(t, placed)) for t in _next_labels(model, placed)]
        for closed, vector, order in front:
            current = dict(zip(open_slots, vector, strict=True))
            for t, fraction in steps:
                after = placed | 1 << t
                slot = slot_of[t]
                new_closed, state = closed, dict(current)
                if slot >= 0:
                    peak = max(state.pop(slot, 0.0), fraction)
                    if members[slot] & after == members[slot]:
                        new_closed += slot_cost[slot] * peak
                    else:
                        state[slot] = peak
                estimate = new_closed + _future(after, state, members, floor, slot_cost, slot_of)
                if estimate > limit + _TOLERANCE:
                    continue
                vector_after = tuple(state[j] for j in sorted(state))
                _insert(fronts.setdefault(after, []), new_closed, vector_after, (*order, t))
    final = fronts.get(full, [])
    if not final:
        cost, order = incumbent
        return (cost, order, True) if cost <= bound + _TOLERANCE else (math.inf, None, True)
    closed, _, order = min(final, key=lambda item: item[0])
    return closed, order, True


def _next_labels(model: OrderModel, placed: int) -> list[int]:
    """Predicates that may run next in a non-interleaved order.

    Some optimal order never interleaves groups: moving a group's earlier predicates to just
    before its last one only adds predecessors to them (fractions never rise with more
    predecessors) and removes, from the predicates in between, predecessors of a group that was
    not complete yet (which do not change their fractions). So once a group is started, finish it.
    """
    for mask in model.group_masks:
        started = mask & placed
        if started and started != mask:
            return [t for t in range(model.k) if mask >> t & 1 and not placed >> t & 1]
    return [t for t in range(model.k) if not placed >> t & 1]


def _future(
    placed: int,
    state: dict[int, float],
    members: Sequence[int],
    floor: Sequence[float],
    slot_cost: Sequence[float],
    slot_of: Sequence[int],
) -> float:
    """Open models' cost so far plus the least every model with open predicates still adds."""
    need = dict(state)
    for t, slot in enumerate(slot_of):
        if slot >= 0 and not placed >> t & 1 and floor[t] > need.get(slot, 0.0):
            need[slot] = floor[t]
    return sum(slot_cost[j] * value for j, value in need.items())


def _insert(
    front: list[tuple[float, tuple[float, ...], tuple[int, ...]]],
    closed: float,
    vector: tuple[float, ...],
    order: tuple[int, ...],
) -> None:
    """Add a state unless a kept one is ≤ it everywhere; drop the kept ones it dominates."""
    for kept_closed, kept, _ in front:
        if kept_closed <= closed + _TOLERANCE and all(
            a <= b + _TOLERANCE for a, b in zip(kept, vector, strict=True)
        ):
            return
    front[:] = [
        item
        for item in front
        if not (
            closed <= item[0] + _TOLERANCE
            and all(a <= b + _TOLERANCE for a, b in zip(vector, item[1], strict=True))
        )
    ]
    front.append((closed, vector, order))
