"""``mlkg generate``: write a synthetic model zoo in the crawlers' own formats (for benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mlkg.cli._common import show_progress


@click.command()
@click.option(
    "--models",
    type=click.IntRange(min=1),
    required=True,
    help="Models to write: Hugging Face repositories plus TF Hub model pages.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="The same seed (and options) always writes byte-identical files.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="A new or empty folder; generation never overwrites.",
)
@click.option(
    "--hub-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.9,
    show_default=True,
    help="Share of the models that are Hugging Face repositories; the rest are TF Hub pages.",
)
@click.option(
    "--datasets",
    type=click.IntRange(min=0),
    help="Hugging Face dataset repositories to add [default: one per ten Hub models].",
)
@click.option(
    "--broken-share",
    type=click.FloatRange(0.0, 0.5),
    default=0.001,
    show_default=True,
    help="Share of records no crawler can map (they must end in quarantine).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes writing shards in parallel [default: all cores]. Output does not change.",
)
@click.option(
    "--refresh",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    help="Instead of a new zoo: rewrite this share of the models of the zoo in OUTPUT (written "
    "with the same options) as a later revision, to measure incremental re-builds.",
)
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which later revision --refresh writes (each one changes other models).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON on stdout.")
@click.pass_context
def generate(
    ctx: click.Context,
    models: int,
    seed: int,
    output: Path,
    hub_share: float,
    datasets: int | None,
    broken_share: float,
    workers: int | None,
    refresh: float | None,
    revision: int,
    as_json: bool,
) -> None:
    """Write a synthetic zoo of MODELS models, shaped like the real Hub and TF Hub.

    Writes OUTPUT/huggingface (API JSON, model cards, config.json, dataset cards: the offline
    layout `mlkg build huggingface --from` reads), OUTPUT/tfhub (a tfhub.dev checkout) and
    OUTPUT/manifest.json (the ground truth: models per task, lineage links per relation, dirty
    cards, ids that must be quarantined). Task and library mix, downloads, lineage, evaluations,
    hyperparameters and dirty cards follow distributions measured on real snapshots (see the
    mlkg.generate module). Memory stays flat; 2,000,000 models fit in a few gigabytes of disk.

    \b
    Example:
        mlkg generate --models 100000 --seed 1 --output /tmp/zoo
        mlkg build huggingface --from /tmp/zoo/huggingface
        mlkg build tfhub --from /tmp/zoo/tfhub
        mlkg generate --models 100000 --seed 1 --output /tmp/zoo --refresh 0.01
    """
    from mlkg.generate import generate_zoo

    report = generate_zoo(
        output,
        models=models,
        seed=seed,
        hub_share=hub_share,
        datasets=datasets,
        broken_share=broken_share,
        workers=workers,
        show_progress=show_progress(ctx),
        refresh=refresh,
        revision=revision,
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    if ctx.meta.get("quiet"):
        return
    if refresh is not None:
        click.echo(
            f"rewrote {report.models} models as revision {revision} in {report.seconds:.1f}s "
            f"(ids in {output / f'refresh-{revision}.json'}); rebuild with the same commands",
            err=True,
        )
        return
    click.echo(
        f"wrote {report.models} models ({report.huggingface_models} Hugging Face, "
        f"{report.tfhub_models} TF Hub) and {report.datasets} datasets: {report.files} files, "
        f"{report.bytes / 1e6:.1f} MB in {report.seconds:.1f}s "
        f"({report.files_per_second:.0f} files/s) to {output}\n"
        f"ground truth: {report.manifest}\n"
        "build it with:\n"
        f"  mlkg build huggingface --from {output / 'huggingface'}\n"
        f"  mlkg build tfhub --from {output / 'tfhub'}",
        err=True,
    )
