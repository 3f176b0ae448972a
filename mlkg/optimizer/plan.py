"""The plan: what the optimizer answers, as a Python object, a JSON object and text.

A :class:`Plan` says whether a plan exists (``feasible``), whether it is proven optimal
(``optimal``: the whole search space was explored or pruned by valid bounds), its estimated
accuracy, cost and memory, the model of each predicate (``assignment``: label → the model's zoo
id), the execution order and, per step, the model, the fraction of items it sees and what it does
to an item. An infeasible or unproven answer carries a ``message`` saying why and what to change.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mlkg.optimizer.estimate import OrderModel
from mlkg.optimizer.exact import Solution
from mlkg.optimizer.formula import Formula
from mlkg.optimizer.problem import Compiled


@dataclass
class PlanStep:
    """One predicate of the plan, in execution order."""

    position: int
    label: str
    model: str
    quality: float
    fraction: float
    effect: str


@dataclass
class Plan:
    """An optimizer answer. ``to_dict()`` is the JSON object of ``mlkg optimize --json``."""

    query: str
    form: str
    feasible: bool
    optimal: bool
    status: str
    accuracy: float | None
    cost: float | None
    memory: float | None
    cost_model: str
    objective: str
    assignment: dict[str, str]
    order: list[str]
    steps: list[PlanStep] = field(default_factory=list)
    bounds: dict[str, float] = field(default_factory=dict)
    solver: str = "branch-and-bound"
    seconds: float = 0.0
    nodes: int = 0
    candidates: int = 0
    pruned: int = 0
    metric: str = ""
    dataset: str | None = None
    selectivity_source: str = ""
    cost_unit: str = ""
    model_iris: dict[str, str] = field(default_factory=dict)
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("accuracy", "cost", "memory"):
            if data[key] is not None:
                data[key] = round(data[key], 12)
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self) -> str:
        """The plan as text for a terminal."""
        lines = [f"query: {self.query}   [{self.form}, {self.cost_model} cost, {self.objective}]"]
        if self.bounds:
            lines.append("bounds: " + ", ".join(f"{k} {v:g}" for k, v in self.bounds.items()))
        if not self.feasible:
            lines.append(f"no plan: {self.message or self.status}")
            return "\n".join([*lines, f"solver: {self._solver_line()}"])
        unit = f" {self.cost_unit}" if self.cost_unit else ""
        lines.append(
            f"estimated accuracy {self.accuracy:.6f}   cost {self.cost:.4f}{unit}"
            + (f"   memory {self.memory:.0f} B" if self.memory else "")
        )
        width = max(len(s.label) for s in self.steps)
        model_width = max(len(s.model) for s in self.steps)
        for step in self.steps:
            lines.append(
                f"  {step.position}. {step.label:<{width}}  {step.model:<{model_width}}  "
                f"q={step.quality:.3f}  items={step.fraction:.4f}  {step.effect}"
            )
        lines.append(f"solver: {self._solver_line()}")
        if self.message:
            lines.append(self.message)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _solver_line(self) -> str:
        proof = "proven optimal" if self.optimal else f"NOT proven optimal ({self.status})"
        return (
            f"{self.solver}, {self.seconds:.3f} s, {self.nodes} nodes, {self.candidates} "
            f"candidate models ({self.pruned} dominated, pruned); {proof}"
        )


def step_effects(formula: Formula, order: list[str], cost_model: str) -> list[str]:
    """What each step does to an item, in the formula's normal form."""
    if cost_model != "order" or formula.groups is None:
        return ["runs on every item" for _ in order]
    group_of = {label: g for g, group in enumerate(formula.groups) for label in group}
    seen: dict[int, int] = {}
    effects = []
    many = len(formula.groups) > 1
    for label in order:
        g = group_of[label]
        seen[g] = seen.get(g, 0) + 1
        last = seen[g] == len(formula.groups[g])
        name = f"group {g + 1}" if many else "the query"
        if formula.form == "DNF":
            effects.append(
                f"has it → {'accept (' + name + ' holds)' if last else 'stay in ' + name}; "
                f"lacks it → {name} fails" + (" (rejected)" if not many else "")
            )
        else:
            effects.append(
                f"has it → {name} holds; lacks it → "
                + (f"{name} fails (rejected)" if last else f"try the rest of {name}")
            )
    return effects


def build_plan(
    inst: Compiled,
    solution: Solution,
    *,
    cost_model: str,
    objective: str,
    bounds: dict[str, float],
    solver: str,
    order_model: OrderModel | None = None,
    message: str = "",
) -> Plan:
    """Turn a solver's index-form solution into a :class:`Plan`."""
    problem = inst.problem
    formula = problem.formula
    plan = Plan(
        query=str(formula),
        form=formula.form,
        feasible=solution.feasible,
        optimal=solution.proven,
        status=solution.status,
        accuracy=None,
        cost=None,
        memory=None,
        cost_model=cost_model,
        objective=objective,
        assignment={},
        order=[],
        bounds={k: v for k, v in bounds.items() if v is not None and math.isfinite(v)},
        solver=solver,
        seconds=solution.seconds,
        nodes=solution.nodes,
        candidates=inst.n,
        pruned=inst.pruned,
        metric=problem.metric,
        dataset=problem.dataset,
        selectivity_source=problem.selectivity_source if cost_model == "order" else "",
        cost_unit=problem.cost_unit,
        message=message,
        warnings=list(problem.warnings) + list(solution.notes),
    )
    if solution.assignment is None:
        return plan
    labels = inst.labels
    order = list(solution.order or range(inst.k))
    plan.accuracy = solution.accuracy
    plan.cost = solution.cost
    plan.memory = solution.memory if any(inst.memory) else None
    plan.assignment = {labels[t]: inst.models[solution.assignment[t]].id for t in range(inst.k)}
    plan.order = [labels[t] for t in order]
    plan.model_iris = {
        info.id: info.iri for m in set(solution.assignment) if (info := inst.models[m]).iri
    }
    fractions = order_model.fractions(order) if order_model else [1.0] * inst.k
    effects = step_effects(formula, plan.order, cost_model)
    plan.steps = [
        PlanStep(
            position=i + 1,
            label=labels[t],
            model=inst.models[solution.assignment[t]].id,
            quality=inst.acc[solution.assignment[t]][t],
            fraction=fractions[i],
            effect=effects[i],
        )
        for i, t in enumerate(order)
    ]
    return plan
