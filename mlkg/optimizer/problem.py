"""The optimizer's instance: candidate models, their per-label quality, cost, memory, selectivity.

A :class:`Problem` is built from plain data (a CSV, a SPARQL answer, a test's literal), checked
once (:func:`build_problem`) and compiled into index-based arrays (:class:`Compiled`) that the
solvers share. Checks turn bad input into typed errors with a clear message: no models at all
(:class:`~mlkg.errors.EmptyZooError`), a label no model answers
(:class:`~mlkg.errors.UnknownLabelError`), a quality outside [0, 1] or a negative cost
(:class:`~mlkg.errors.OptimizerError`).

Only provably useless candidates are removed (:func:`dominated_models`): a model is dropped when
another model is at least as good on **every query label it answers**, no more expensive and
needs no more memory. Per-label Pareto pruning is *not* used by the exact solvers: with
multi-label models a plan's best model can be on no single label's frontier.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mlkg.errors import EmptyZooError, OptimizerError, UnknownLabelError
from mlkg.optimizer.formula import Formula, Node, label_key

#: Accuracy values closer than this count as equal (ties, dominance).
EPSILON = 1e-12


@dataclass(frozen=True)
class ModelInfo:
    """One candidate model.

    Attributes:
        id: the model's zoo id (what a plan's assignment shows).
        cost: inference cost per item, in the zoo's cost unit.
        accuracy: label key → quality in (0, 1] (per-class AP, F1, ...). Labels the model
            cannot answer are absent (or 0).
        memory: memory footprint in bytes, if known.
        iri: the model's IRI in the graph, if it came from the graph.
    """

    id: str
    cost: float
    accuracy: Mapping[str, float]
    memory: float | None = None
    iri: str | None = None


@dataclass
class Problem:
    """A checked optimizer instance: a formula, candidate models and label selectivities.

    ``selectivity`` maps a label to the fraction of items that carry it (needed by the
    order-aware cost only). ``warnings`` collects what was dropped or repaired on the way.
    """

    formula: Formula
    models: tuple[ModelInfo, ...]
    selectivity: Mapping[str, float] | None = None
    metric: str = ""
    dataset: str | None = None
    selectivity_source: str = ""
    cost_unit: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.formula.labels


def build_problem(
    formula: Formula,
    models: Iterable[ModelInfo],
    *,
    selectivity: Mapping[str, float] | None = None,
    metric: str = "",
    dataset: str | None = None,
    selectivity_source: str = "",
    cost_unit: str = "",
    warnings: Sequence[str] = (),
) -> Problem:
    """Check the input and keep the models that answer at least one query label.

    Raises:
        EmptyZooError: there are no models at all.
        UnknownLabelError: some query label is answered by no model (with close label names).
        OptimizerError: a quality outside [0, 1], a negative or non-finite cost or memory.
    """
    all_models = list(models)
    if not all_models:
        raise EmptyZooError(
            "no candidate models: import a profiled zoo (mlkg import-profile) or loosen the "
            "filters (--dataset, --metric, --task, --licence, --hub, --max-parameters)"
        )
    wanted = set(formula.labels)
    kept: list[ModelInfo] = []
    known: set[str] = set()
    for info in all_models:
        _check_model(info)
        scores = {
            label_key(k): float(v) for k, v in info.accuracy.items() if v and not math.isnan(v)
        }
        known.update(scores)
        useful = {k: v for k, v in scores.items() if k in wanted and v > 0}
        if useful:
            kept.append(ModelInfo(info.id, float(info.cost), useful, info.memory, info.iri))
    covered = {label for info in kept for label in info.accuracy}
    missing = [label for label in formula.labels if label not in covered]
    if missing:
        raise UnknownLabelError(
            missing, {m: difflib.get_close_matches(m, sorted(known), n=3) for m in missing}
        )
    if selectivity is not None:
        selectivity = {label_key(k): float(v) for k, v in selectivity.items()}
    return Problem(
        formula,
        tuple(kept),
        selectivity,
        metric,
        dataset,
        selectivity_source,
        cost_unit,
        list(warnings),
    )


def _check_model(info: ModelInfo) -> None:
    if not math.isfinite(info.cost) or info.cost < 0:
        raise OptimizerError(f"model {info.id}: cost {info.cost!r} is not a number ≥ 0")
    if info.memory is not None and (not math.isfinite(info.memory) or info.memory < 0):
        raise OptimizerError(f"model {info.id}: memory {info.memory!r} is not a number ≥ 0")
    for label, value in info.accuracy.items():
        if value is not None and not math.isnan(value) and not 0.0 <= value <= 1.0:
            raise OptimizerError(
                f"model {info.id}: quality {value!r} on label {label!r} is outside [0, 1] "
                "(percentages must be divided by 100)"
            )


def dominated_models(
    models: Sequence[ModelInfo], labels: Sequence[str], *, use_memory: bool
) -> set[int]:
    """Indices of models that cannot be in any optimal plan.

    Model ``m`` is dominated by ``d`` when ``d`` answers every query label ``m`` answers with at
    least ``m``'s quality, costs no more and (``use_memory``) needs no more memory; of two
    identical models the later one goes. Swapping ``m`` for ``d`` in any plan keeps every label's
    quality, never raises the selection-only cost, the order-aware cost (``c_d·max(f_d, f_m) ≤
    c_d·f_d + c_m·f_m``) or the memory, so some optimum avoids ``m`` — for every objective here.
    """
    index = {label: i for i, label in enumerate(labels)}
    masks = []
    for info in models:
        mask = 0
        for label in info.accuracy:
            mask |= 1 << index[label]
        masks.append(mask)
    order = sorted(range(len(models)), key=lambda i: (models[i].cost, i))
    dominated: set[int] = set()
    for position, m in enumerate(order):
        for d in order[:position]:
            if d in dominated or masks[d] & masks[m] != masks[m]:
                continue
            if _dominates(models[d], models[m], d, m, use_memory):
                dominated.add(m)
                break
    return dominated


def _dominates(d: ModelInfo, m: ModelInfo, d_index: int, m_index: int, use_memory: bool) -> bool:
    if d.cost > m.cost:
        return False
    if use_memory:
        if d.memory is None or (m.memory is not None and d.memory > m.memory):
            return False
        if m.memory is None:
            return False
    strictly = d.cost < m.cost or (use_memory and d.memory < m.memory)  # type: ignore[operator]
    for label, value in m.accuracy.items():
        other = d.accuracy.get(label, 0.0)
        if other < value - EPSILON:
            return False
        strictly = strictly or other > value + EPSILON
    return strictly or d_index < m_index


@dataclass
class Compiled:
    """Index-based arrays for the solvers (labels 0..k-1, models 0..n-1 after pruning).

    ``candidates[t]`` lists the models answering label ``t``, best quality first (ties: cheaper
    first, then zoo order). ``accuracy_of(alpha)`` evaluates the formula on a list of per-label
    qualities.
    """

    problem: Problem
    models: tuple[ModelInfo, ...]
    labels: tuple[str, ...]
    acc: list[list[float]]
    cost: list[float]
    memory: list[float]
    candidates: list[list[int]]
    accuracy_of: Callable[[Sequence[float]], float]
    pruned: int

    @property
    def k(self) -> int:
        return len(self.labels)

    @property
    def n(self) -> int:
        return len(self.models)


def compile_problem(problem: Problem, *, prune: bool = True, use_memory: bool = False) -> Compiled:
    """Drop dominated models (when ``prune``) and build the solvers' arrays."""
    labels = problem.labels
    models = list(problem.models)
    if use_memory and all(m.memory is None for m in models):
        problem.warnings.append("no candidate has a memory footprint: memory counts as 0")
        use_memory = False
    elif use_memory:
        missing = [m.id for m in models if m.memory is None]
        if missing:
            problem.warnings.append(
                f"{len(missing)} model(s) without a memory footprint were left out "
                f"(e.g. {', '.join(missing[:3])})"
            )
            models = [m for m in models if m.memory is not None]
    pruned = 0
    if prune:
        gone = dominated_models(models, labels, use_memory=use_memory)
        pruned = len(gone)
        models = [m for i, m in enumerate(models) if i not in gone]
    acc = [[m.accuracy.get(label, 0.0) for label in labels] for m in models]
    cost = [m.cost for m in models]
    memory = [m.memory or 0.0 for m in models]
    candidates = [
        sorted(
            (i for i in range(len(models)) if acc[i][t] > 0),
            key=lambda i, t=t: (-acc[i][t], cost[i], i),
        )
        for t in range(len(labels))
    ]
    for t, label in enumerate(labels):
        if not candidates[t]:
            raise UnknownLabelError([label])
    return Compiled(
        problem,
        tuple(models),
        labels,
        acc,
        cost,
        memory,
        candidates,
        compile_accuracy(problem.formula, labels),
        pruned,
    )


def compile_accuracy(formula: Formula, labels: Sequence[str]) -> Callable[[Sequence[float]], float]:
    """The formula's accuracy estimate as a fast function of a list of per-label qualities.

    The generated expression only holds label indices and operators (no user text), so
    compiling it is safe.
    """
    index = {label: i for i, label in enumerate(labels)}

    def expression(node: Node) -> str:
        if node.op == "label":
            return f"a[{index[node.name]}]"
        parts = [expression(child) for child in node.children]
        if node.op == "and":
            return "(" + "*".join(parts) + ")"
        return "(1.0-" + "*".join(f"(1.0-{p})" for p in parts) + ")"

    code = compile(f"lambda a: {expression(formula.root)}", "<formula>", "eval")
    return eval(code, {"__builtins__": {}})
