"""The query optimizer's exact solvers: scaling, and the greedy baseline on the COCO workloads.

    python benchmarks/optimizer.py                      # all sections; the order-aware COCO
                                                        # rows take longest (an hour+ on 2 cores)
    python benchmarks/optimizer.py --sections scaling,recorded,selectivity   # a few minutes
    python benchmarks/optimizer.py --full               # 125…1,600 models in five steps,
                                                        # 2,000,000 nodes per solve (hours)
    python benchmarks/optimizer.py --sections coco --node-limit 500000

Sections (each prints a table):

* ``scaling``: exact-solver time against the number of predicates (2 to 32) and of models (125
  to 1,600) on synthetic zoos generated like the paper's (:mod:`mlkg.optimizer.synthetic`, 80
  labels), for both cost models. Queries are CNF of OR-pairs (a DNF of many groups saturates
  the estimate at 1.0); the budget is halfway between the cheapest plan's cost and the cost of
  the most accurate plan, so it binds.
* ``coco``: the COCO workloads of ``simulation/coco_query*_gt.csv`` on the AP zoo (125 models,
  80 labels), cost bounds 50/100/150, both cost models: how often the greedy baseline finds no
  plan or a worse one than the exact solver, with both solvers' times. The order-aware runs use
  ``coco_selectivity.csv`` (annotation shares) as the authors' runs did — the fraction of images
  per label is not derivable from the shipped data for most labels.
* ``recorded``: the authors' recorded outputs (``_history/577787d/output/coco``, F1 zoo) beside
  ours, on the zoo the runs used (without ``model_44``) and on the zoo as shipped.
* ``selectivity``: what the ground truth says about the fraction of images carrying each label.
  ``simulation/coco_query_gt.csv`` gives, for 24 queries, the set of COCO val2017 images (of
  5,000) that satisfy each; per image, a label is known present or absent when some query's
  answer forces it (unit propagation). The bounds are set beside ``coco_selectivity.csv``,
  which holds shares of annotations, not fractions of images.

Every solve has a node budget (``--node-limit``, per stage of the lexicographic objective;
default per section: scaling 100,000, coco 10,000, recorded 100,000); an instance that exhausts
it is reported as not proven ("limit"), never as optimal. Not a test: nothing here fails. Needs
../shared for the ``coco``, ``recorded`` and ``selectivity`` sections (found like the tests do,
or ``--shared DIR``).
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import statistics
import time
from pathlib import Path

from mlkg.optimizer import build_problem, parse_formula, solve
from mlkg.optimizer.formula import Formula, Node
from mlkg.optimizer.profile import problem_models, selectivities
from mlkg.optimizer.synthetic import synthetic_query, synthetic_zoo
from mlkg.queries import render_table

ZOO = "optimizer-zoo/Project_Boolean_Query_Plan"
WORKLOADS = ("coco_query_gt.csv", "coco_query_dnf_gt.csv", "coco_query_cnf_gt.csv")
NODE_LIMITS = {"scaling": 100_000, "coco": 10_000, "recorded": 100_000}
FULL_NODE_LIMIT = 2_000_000


def find_shared(option: str | None) -> Path | None:
    repo = Path(__file__).resolve().parents[1]
    for candidate in (option, os.environ.get("MLKG_SHARED_DIR"), repo.parent / "shared"):
        if candidate and (Path(candidate) / ZOO).is_dir():
            return Path(candidate)
    return None


def timed(problem, **options):
    start = time.perf_counter()
    plan = solve(problem, **options)
    return plan, time.perf_counter() - start


def scaling(models: list[int], predicates: list[int], node_limit: int) -> None:
    rows = []
    for n in models:
        zoo, selectivity = synthetic_zoo(n, 80, seed=n)
        for p in predicates:
            formula = parse_formula(synthetic_query(80, p, seed=p, form="CNF"))
            problem = build_problem(formula, zoo, selectivity=selectivity)
            best = solve(problem, node_limit=node_limit)
            cheapest = solve(problem, min_accuracy=0.0, node_limit=node_limit)
            budget = round(cheapest.cost + 0.5 * (best.cost - cheapest.cost), 2)
            for order in (False, True):
                plan, seconds = timed(problem, max_cost=budget, order=order, node_limit=node_limit)
                rows.append(
                    [
                        str(n),
                        str(p),
                        "order" if order else "selection",
                        str(plan.candidates),
                        f"{budget:g}",
                        f"{seconds:.2f}",
                        str(plan.nodes),
                        "yes" if plan.optimal else plan.status,
                        f"{plan.accuracy:.5f}" if plan.feasible else "-",
                    ]
                )
                print(" ".join(rows[-1]), flush=True)
    headers = ["models", "predicates", "cost model", "candidates", "budget", "seconds", "nodes"]
    print("\nExact solver on synthetic zoos (CNF of OR-pairs, 80 labels)")
    print(render_table([*headers, "proven", "accuracy"], rows))


def workload_queries(shared: Path) -> list[str]:
    csv.field_size_limit(1 << 30)
    queries: list[str] = []
    for name in WORKLOADS:
        with (shared / ZOO / "simulation" / name).open() as handle:
            queries.extend(row["query"] for row in csv.DictReader(handle))
    return list(dict.fromkeys(queries))


def coco(shared: Path, node_limit: int) -> None:
    zoo = problem_models(shared / ZOO / "repository/model_stats_ap.csv")
    selectivity = selectivities(shared / ZOO / "repository/coco_selectivity.csv")
    queries = workload_queries(shared)
    summary = []
    for order in (False, True):
        for bound in (50.0, 100.0, 150.0):
            counts = {"cases": 0, "greedy none": 0, "greedy worse": 0, "equal": 0, "limit": 0}
            exact_times, greedy_times, gaps = [], [], []
            for query in queries:
                problem = build_problem(parse_formula(query), zoo, selectivity=selectivity)
                exact, exact_s = timed(problem, max_cost=bound, order=order, node_limit=node_limit)
                greedy, greedy_s = timed(problem, max_cost=bound, order=order, solver="greedy")
                counts["cases"] += 1
                counts["limit"] += not exact.optimal
                exact_times.append(exact_s)
                greedy_times.append(greedy_s)
                if exact.feasible and not greedy.feasible:
                    counts["greedy none"] += 1
                elif exact.feasible and greedy.accuracy < exact.accuracy - 1e-9:
                    counts["greedy worse"] += 1
                    gaps.append(exact.accuracy - greedy.accuracy)
                else:
                    counts["equal"] += 1
            summary.append(
                [
                    "order" if order else "selection",
                    f"{bound:g}",
                    str(counts["cases"]),
                    str(counts["greedy none"]),
                    str(counts["greedy worse"]),
                    f"{max(gaps):.4f}" if gaps else "-",
                    str(counts["equal"]),
                    str(counts["limit"]),
                    f"{statistics.median(exact_times):.3f}/{max(exact_times):.2f}",
                    f"{statistics.median(greedy_times):.3f}/{max(greedy_times):.2f}",
                ]
            )
            print(" ".join(summary[-1]), flush=True)
    print(f"\nGreedy baseline vs exact on {len(queries)} COCO workload queries (AP zoo)")
    headers = ["cost model", "bound", "queries", "greedy: no plan", "greedy: worse"]
    headers += ["max gap", "same", "exact unproven", "exact s (median/max)", "greedy s"]
    print(render_table(headers, summary))


def recorded(shared: Path, node_limit: int) -> None:
    folder = shared / ZOO / "_history/577787d"
    zoo = problem_models(folder / "repository/model_stats_f1.csv")
    as_run = [m for m in zoo if m.id != "model_44"]
    selectivity = selectivities(shared / ZOO / "repository/coco_selectivity.csv")
    rows = []
    for kind, name in (
        ("selection", "summary_cost_optimizer.csv"),
        ("order", "summary_order_cost_optimizer.csv"),
    ):
        best: dict[tuple[str, float], float] = {}
        with (folder / "output/coco" / name).open() as handle:
            for row in csv.DictReader(handle):
                key = (row["query"], float(row["bound"]))
                best[key] = max(best.get(key, 0.0), float(row["accuracy"]))
        for (query, bound), theirs in sorted(best.items()):
            formula = parse_formula(query)
            options = {"max_cost": bound, "order": kind == "order", "node_limit": node_limit}
            mine = solve(build_problem(formula, as_run, selectivity=selectivity), **options)
            shipped = solve(build_problem(formula, zoo, selectivity=selectivity), **options)
            verdict = "reproduced" if abs((mine.accuracy or 0) - theirs) < 1e-6 else "beaten"
            if (mine.accuracy or 0) < theirs - 1e-6:
                verdict = "WORSE"
            rows.append(
                [
                    kind,
                    query,
                    f"{bound:g}",
                    f"{theirs:.6f}",
                    f"{mine.accuracy or 0:.6f}",
                    f"{shipped.accuracy or 0:.6f}",
                    "yes" if mine.optimal and shipped.optimal else "no",
                    verdict,
                ]
            )
    print("\nThe authors' recorded optimizer outputs (F1 zoo) and ours")
    headers = ["cost model", "query", "bound", "authors", "ours (as run)", "ours (shipped)"]
    print(render_table([*headers, "proven", "verdict"], rows, max_width=70))


def ground_truth_selectivity(shared: Path) -> None:
    """Bounds on each label's fraction of images, from the query answer sets (see the module
    docstring), beside the annotation shares of ``coco_selectivity.csv``."""
    csv.field_size_limit(1 << 30)
    folder = shared / ZOO / "simulation"
    with (folder / "filename.csv").open() as handle:
        images = len(list(csv.DictReader(handle)))
    facts: list[tuple[Formula, set[int]]] = []
    with (folder / "coco_query_gt.csv").open() as handle:
        for row in csv.DictReader(handle):
            facts.append((parse_formula(row["query"]), set(ast.literal_eval(row["index"]))))
    labels = sorted({t for formula, _ in facts for t in formula.labels})
    present = dict.fromkeys(labels, 0)
    absent = dict.fromkeys(labels, 0)
    for image in range(images):
        known = propagate([(f.root, image in answer) for f, answer in facts], labels)
        for label, value in known.items():
            (present if value else absent)[label] += 1
    shares = selectivities(shared / ZOO / "repository/coco_selectivity.csv")
    rows = []
    for label in labels:
        low, high = present[label] / images, 1 - absent[label] / images
        share = shares.get(label)
        inside = share is not None and low - 1e-12 <= share <= high + 1e-12
        rows.append(
            [
                label,
                f"{low:.4f}",
                f"{high:.4f}",
                f"{share:.4f}" if share is not None else "-",
                "yes" if inside else "no",
            ]
        )
    print(f"\nFraction of {images} COCO val2017 images carrying each label, bounded by the")
    print("answer sets of simulation/coco_query_gt.csv, beside coco_selectivity.csv")
    headers = ["label", "at least", "at most", "annotation share", "share within bounds"]
    print(render_table(headers, rows))


def propagate(facts: list[tuple[Node, bool]], labels: list[str]) -> dict[str, bool]:
    """Labels whose value every assignment consistent with the facts agrees on (a sound, not
    complete, propagation: a value is fixed when its opposite makes one fact impossible)."""
    known: dict[str, bool] = {}
    changed = True
    while changed:
        changed = False
        for label in labels:
            if label in known:
                continue
            for value in (True, False):
                trial = {**known, label: value}
                if any(not _possible(root, truth, trial) for root, truth in facts):
                    known[label] = not value
                    changed = True
                    break
    return known


def _possible(root: Node, truth: bool, known: dict[str, bool]) -> bool:
    """Whether the formula can still take ``truth`` with the unknown labels free (monotone)."""
    default = truth  # unknown labels as favourable as they can be
    return _value(root, known, default) == truth


def _value(node: Node, known: dict[str, bool], default: bool) -> bool:
    if node.op == "label":
        return known.get(node.name, default)
    parts = (_value(child, known, default) for child in node.children)
    return all(parts) if node.op == "and" else any(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", help="the ../shared folder")
    parser.add_argument("--node-limit", type=int, help="per solve (default: per section)")
    parser.add_argument(
        "--full", action="store_true", help="125, 250, 500, 1000, 1600 models; 2M nodes"
    )
    parser.add_argument(
        "--sections",
        default="scaling,coco,recorded,selectivity",
        help="comma-separated: scaling,coco,recorded,selectivity",
    )
    args = parser.parse_args()
    sections = set(args.sections.split(","))

    def limit(section: str) -> int:
        if args.node_limit is not None:
            return args.node_limit
        return FULL_NODE_LIMIT if args.full else NODE_LIMITS[section]

    if "scaling" in sections:
        models = [125, 250, 500, 1000, 1600] if args.full else [125, 400, 1600]
        scaling(models, [2, 4, 8, 16, 32], limit("scaling"))
    shared = find_shared(args.shared)
    if shared is None and sections - {"scaling"}:
        print("\n../shared/optimizer-zoo not found: skipping the sections that need it")
        return
    if "coco" in sections:
        coco(shared, limit("coco"))
    if "recorded" in sections:
        recorded(shared, limit("recorded"))
    if "selectivity" in sections:
        ground_truth_selectivity(shared)


if __name__ == "__main__":
    main()
