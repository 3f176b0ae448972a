"""The constraint-based ML inference query optimizer (Li et al., ICWE 2023; MOO follow-up).

Given a Boolean query over labels (``(person & car) | bus``), pick a model for each predicate —
and, with the order-aware cost model, an execution order — to maximise the estimated accuracy
within a cost budget, minimise cost above an accuracy floor, or trade accuracy, cost and memory
off. Candidates come from the graph in SPARQL (:mod:`~mlkg.optimizer.retrieve`); the exact
solvers prove optimality (:mod:`~mlkg.optimizer.exact`); the authors' greedy baseline is there
for comparison (:mod:`~mlkg.optimizer.greedy`).

Modules: ``formula`` (parse/normalise), ``problem`` (the instance, checks, dominance),
``estimate`` (accuracy, both cost models, best order), ``exact``, ``greedy``, ``multi``,
``solve`` (options → plan), ``retrieve`` (SPARQL), ``profile`` (``mlkg import-profile``),
``plan`` (the answer), ``synthetic`` (zoos generated like the paper's), ``api`` (:func:`optimize`).
"""

from mlkg.optimizer.api import load_problem, optimize
from mlkg.optimizer.formula import Formula, parse_formula
from mlkg.optimizer.plan import Plan, PlanStep
from mlkg.optimizer.problem import ModelInfo, Problem, build_problem
from mlkg.optimizer.retrieve import CandidateFilters
from mlkg.optimizer.solve import solve

__all__ = [
    "CandidateFilters",
    "Formula",
    "ModelInfo",
    "Plan",
    "PlanStep",
    "Problem",
    "build_problem",
    "load_problem",
    "optimize",
    "parse_formula",
    "solve",
]
