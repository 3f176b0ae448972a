"""Commands of the query optimizer: import-profile (load a profiled zoo) and optimize."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from mlkg.cli._common import settings_of


@click.command("import-profile")
@click.argument("zoo_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--metric",
    default="ap",
    show_default=True,
    help="What the matrix holds: ap, f1, precision, recall (a metric of vocab/metrics.ttl).",
)
@click.option(
    "--selectivity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A class,selectivity CSV of label statistics for --dataset.",
)
@click.option(
    "--selectivity-basis",
    type=click.Choice(["auto", "instances", "annotations"]),
    default="auto",
    show_default=True,
    help="instances: fractions of items carrying each label (what --order needs); "
    "annotations: shares of all annotations (they sum to 1; stored, never used as "
    "selectivity); auto: annotations when the values sum to 1.",
)
@click.option(
    "--ground-truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Per-item ground truth (id, then labels or BIO tags, or 0/1 columns): loaded as "
    "DataInstances so selectivities are computed in SPARQL.",
)
@click.option("--dataset", default="coco", show_default=True, help="Dataset the profile is on.")
@click.option("--zoo", help="Name of this profile [default: the CSV file's stem].")
@click.option(
    "--hub", help="The models' zoo (a hub of vocab/hubs.ttl or a new name) [default: --zoo]."
)
@click.option("--task", help="The models' task, e.g. object-detection.")
@click.option("--licence", "--license", "licence", help="The models' licence (SPDX id).")
@click.option(
    "--cost-unit",
    default="relative cost per item",
    show_default=True,
    help="Unit of the cost column (stored as mlkg:costUnit).",
)
@click.option("--hardware", help="Hardware the costs were measured on (mlkg:hardware).")
@click.option(
    "--memory-unit",
    type=click.Choice(["B", "KB", "MB", "GB", "KiB", "MiB", "GiB"], case_sensitive=False),
    default="MB",
    show_default=True,
    help="Unit of the memory column (stored in bytes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_context
def import_profile(
    ctx: click.Context,
    zoo_csv: Path,
    metric: str,
    selectivity: Path | None,
    selectivity_basis: str,
    ground_truth: Path | None,
    dataset: str,
    zoo: str | None,
    hub: str | None,
    task: str | None,
    licence: str | None,
    cost_unit: str,
    hardware: str | None,
    memory_unit: str,
    as_json: bool,
) -> None:
    """Load a profiled model zoo ZOO_CSV (model × label quality matrix + cost) into the graph.

    ZOO_CSV has one row per model: its id (first column or model_name), one column per label
    (the model's quality on it in [0, 1]; empty or 0: cannot answer), a cost column and
    optionally memory (--memory-unit) and parameters (a count, for --max-parameters).
    Each model becomes an mlkg:Model with its inference cost, memory and one mlkg:Evaluation
    per label (mlkg:forLabel, --metric, on --dataset), in its own named graph with provenance,
    validated by the SHACL shapes and loaded atomically (re-importing replaces what changed and
    drops models that left the file). Label statistics and ground-truth items become
    mlkg:LabelSelectivity and mlkg:DataInstance nodes.

    \b
    Example:
        mlkg import-profile model_stats_ap.csv --metric ap --dataset coco --task object-detection
        mlkg import-profile f1.csv --metric f1 --dataset tweet_eval --zoo tweeteval \\
            --ground-truth gt_.csv --cost-unit "s per tweet"
    """
    from mlkg.optimizer.profile import ProfileOptions
    from mlkg.optimizer.profile import import_profile as run_import

    options = ProfileOptions(
        metric=metric,
        dataset=dataset,
        zoo=zoo,
        hub=hub,
        task=task,
        licence=licence,
        cost_unit=cost_unit,
        hardware=hardware,
        memory_unit=memory_unit,
        selectivity_basis=selectivity_basis,
    )
    report = run_import(
        settings_of(ctx), zoo_csv, options, selectivity=selectivity, ground_truth=ground_truth
    )
    build = report.build
    summary = {
        "models": report.models,
        "labels": report.labels,
        "evaluations": report.evaluations,
        "selectivity_basis": report.selectivity_basis,
        "label_statistics": report.selectivities,
        "instances": report.instances,
        "records_accepted": build.accepted,
        "records_quarantined": build.quarantined,
        "records_unchanged": build.unchanged,
        "graphs_added": build.added,
        "graphs_replaced": build.replaced,
        "graphs_removed": build.removed,
        "notes": report.notes,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    elif not ctx.meta.get("quiet"):
        click.echo(
            f"{zoo_csv.name}: {report.models} models, {report.labels} labels, "
            f"{report.evaluations} evaluations ({metric}); {report.selectivities} label "
            f"statistics ({report.selectivity_basis or '-'}), {report.instances} instances; "
            f"records: {build.accepted} accepted, {build.quarantined} quarantined, "
            f"{build.unchanged} unchanged; graphs: {build.added} added, {build.replaced} "
            f"replaced, {build.removed} removed",
            err=True,
        )
        for note in report.notes:
            click.echo(f"note: {note}", err=True)


@click.command()
@click.argument("formula")
@click.option("--metric", default="ap", show_default=True, help="Per-label quality to use.")
@click.option("--max-cost", type=float, help="Cost budget: maximise accuracy within it.")
@click.option(
    "--min-accuracy", type=float, help="Accuracy floor in [0, 1]: minimise cost reaching it."
)
@click.option("--max-memory", type=float, help="Memory bound in bytes (Σ over distinct models).")
@click.option(
    "--order",
    is_flag=True,
    help="Order-aware cost: predicates run in an order and skip decided items (needs label "
    "selectivities); default: selection-only cost (every model sees every item).",
)
@click.option(
    "--objective",
    type=click.Choice(["auto", "weighted-sum", "minmax", "lexicographic"]),
    default="auto",
    show_default=True,
    help="auto: accuracy (with --max-cost) or cost (with --min-accuracy), ties broken by the "
    "other; or a multi-objective mode over accuracy loss, cost and memory.",
)
@click.option("--weights", help="For weighted-sum/minmax: e.g. loss=1,cost=0.5,memory=0.1.")
@click.option("--priority", help="For lexicographic: e.g. loss,cost,memory.")
@click.option("--dataset", help="Only evaluations on this dataset (name or IRI).")
@click.option("--task", help="Only models of this task.")
@click.option("--licence", "--license", "licence", help="Only models under this licence.")
@click.option("--hub", help="Only models of this zoo.")
@click.option("--max-parameters", type=click.IntRange(min=1), help="Only models this small.")
@click.option(
    "--solver",
    type=click.Choice(["exact", "greedy"]),
    default="exact",
    show_default=True,
    help="exact: branch and bound, proves optimality; greedy: the paper's baseline.",
)
@click.option(
    "--node-limit",
    type=click.IntRange(min=0),
    default=2_000_000,
    show_default=True,
    help="Search budget; when it runs out the plan says optimal=false. 0: no limit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.pass_context
def optimize(
    ctx: click.Context,
    formula: str,
    metric: str,
    max_cost: float | None,
    min_accuracy: float | None,
    max_memory: float | None,
    order: bool,
    objective: str,
    weights: str | None,
    priority: str | None,
    dataset: str | None,
    task: str | None,
    licence: str | None,
    hub: str | None,
    max_parameters: int | None,
    solver: str,
    node_limit: int,
    as_json: bool,
) -> None:
    """Choose a model for each predicate of FORMULA (and an order, with --order).

    FORMULA combines labels with & and |, e.g. "(person & car) | bus". Candidates are the
    models with a per-label evaluation (--metric) in the graph; the plan maximises estimated
    accuracy within --max-cost, or minimises cost reaching --min-accuracy. Prints the plan:
    order, model per predicate, what each step does to an item, accuracy, cost, solver time,
    and whether optimality is proven. Exits 1 when no plan meets the bounds.

    \b
    Example:
        mlkg optimize "(person & car) | bus" --dataset coco --metric ap --max-cost 100
        mlkg optimize "bottle & chair" --min-accuracy 0.8 --order --json
        mlkg optimize "person | car" --objective weighted-sum --weights loss=1,cost=1
    """
    from mlkg.optimizer.api import optimize as run_optimize

    _check_options(max_cost, min_accuracy, objective, weights, priority, solver)
    plan = run_optimize(
        settings_of(ctx),
        formula,
        metric=metric,
        dataset=dataset,
        task=task,
        licence=licence,
        hub=hub,
        max_parameters=max_parameters,
        max_cost=max_cost,
        min_accuracy=min_accuracy,
        max_memory=max_memory,
        order=order,
        mode=None if objective == "auto" else objective,
        weights=weights,
        priority=priority,
        solver=solver,
        node_limit=node_limit or None,
    )
    click.echo(plan.to_json() if as_json else plan.render())
    if not plan.feasible:
        click.get_current_context().exit(1)


def _check_options(
    max_cost: float | None,
    min_accuracy: float | None,
    objective: str,
    weights: str | None,
    priority: str | None,
    solver: str,
) -> None:
    """Refuse conflicting options before any work (click.UsageError, exit 2)."""
    if max_cost is not None and min_accuracy is not None:
        raise click.UsageError("--max-cost and --min-accuracy conflict: give one of them")
    if max_cost is not None and not (math.isfinite(max_cost) and max_cost >= 0):
        raise click.UsageError("--max-cost must be a number ≥ 0")
    if min_accuracy is not None and not 0.0 <= min_accuracy <= 1.0:
        raise click.UsageError("--min-accuracy must be in [0, 1]")
    if weights and objective not in ("weighted-sum", "minmax"):
        raise click.UsageError("--weights needs --objective weighted-sum or minmax")
    if priority and objective != "lexicographic":
        raise click.UsageError("--priority needs --objective lexicographic")
    if solver == "greedy" and objective != "auto":
        raise click.UsageError("--solver greedy has no multi-objective modes")
    if solver == "greedy" and max_cost is None and min_accuracy is None:
        raise click.UsageError("--solver greedy needs --max-cost or --min-accuracy")
