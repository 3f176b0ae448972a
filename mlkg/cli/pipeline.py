"""Commands that run the pipeline: crawl, map, validate, load, build, demo."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from mlkg.cli._common import (
    crawl_options,
    print_report,
    settings_of,
    show_progress,
    source_names,
)
from mlkg.cli.serve import serve_options


@click.command()
@click.argument("source", type=click.Choice(source_names()))
@crawl_options
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes that map and validate while this one loads "
    "[default: MLKG_BUILD_WORKERS or the CPUs minus one, at most 3; 0: none].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON on stdout.")
@click.pass_context
def build(
    ctx: click.Context,
    source: str,
    location: str | None,
    limit: int | None,
    options: dict[str, str],
    workers: int | None,
    as_json: bool,
) -> None:
    """Crawl, map, validate and load one SOURCE into the store.

    Reads the zoo (or --from a local copy), writes raw records to DATA_DIR/raw, quarantines
    records that fail the SHACL shapes (DATA_DIR/quarantine, see `mlkg validate --report`) and
    loads the rest, one named graph per record. Re-runs skip unchanged records, replace changed
    ones atomically, and drop records that left the source (unless --limit is given). A killed
    build resumes where it stopped.

    \b
    Example:
        mlkg build tfhub --from ../tfhub.dev
        mlkg build pytorch-hub --from https://codeload.github.com/pytorch/hub/tar.gz/refs/heads/master
    """
    from mlkg.pipeline import build as run_build

    settings = settings_of(ctx)
    if workers is not None:
        settings = dataclasses.replace(settings, build_workers=workers)
    report = run_build(
        settings,
        source,
        location=location,
        limit=limit,
        options=options,
        show_progress=show_progress(ctx),
    )
    print_report(ctx, report)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))


@click.command()
@click.argument("source", type=click.Choice(source_names()))
@crawl_options
@click.pass_context
def crawl(
    ctx: click.Context,
    source: str,
    location: str | None,
    limit: int | None,
    options: dict[str, str],
) -> None:
    """Fetch SOURCE's records into DATA_DIR/raw/SOURCE.jsonl (one JSON object per record).

    A killed crawl resumes: records already written are not fetched again.

    \b
    Example:
        mlkg crawl tfhub --from ../tfhub.dev --limit 100
    """
    from crawlers import get_source
    from mlkg.raw import crawl as run_crawl
    from mlkg.report import BuildReport

    zoo = get_source(source)
    report = BuildReport(source)
    path = run_crawl(
        settings_of(ctx),
        zoo,
        location or zoo.default_location,
        limit=limit,
        options=options,
        report=report,
        show_progress=show_progress(ctx),
    )
    if not ctx.meta.get("quiet"):
        click.echo(f"{report.crawled + report.resumed} records in {path}", err=True)


@click.command("map")
@click.argument("source", type=click.Choice(source_names()))
@click.pass_context
def map_command(ctx: click.Context, source: str) -> None:
    """Map DATA_DIR/raw/SOURCE.jsonl to RDF, into DATA_DIR/mapped/SOURCE.jsonl.

    Pure: no network, no store. Records that cannot be mapped are kept with their error.

    \b
    Example:
        mlkg map tfhub
    """
    from mlkg.pipeline import map_stage

    print_report(ctx, map_stage(settings_of(ctx), source, show_progress=show_progress(ctx)))


@click.command()
@click.argument("source", type=click.Choice(source_names()))
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the SHACL validation report (Turtle) to this file.",
)
@click.pass_context
def validate(ctx: click.Context, source: str, report_path: Path | None) -> None:
    """Check mapped records against the SHACL shapes, into DATA_DIR/validated/SOURCE.jsonl.

    \b
    Example:
        mlkg validate tfhub --report tfhub-report.ttl
    """
    from mlkg.pipeline import validate_stage

    print_report(ctx, validate_stage(settings_of(ctx), source, report_path=report_path))


@click.command()
@click.argument("source", type=click.Choice(source_names()))
@click.pass_context
def load(ctx: click.Context, source: str) -> None:
    """Load validated records into the store: new graphs in bulk, changed ones atomically.

    \b
    Example:
        mlkg load tfhub
    """
    from mlkg.pipeline import load_stage

    print_report(ctx, load_stage(settings_of(ctx), source))


DEMO_QUERIES = ("models-per-task", "variants-of-model", "best-model-per-dataset-and-metric")


@click.command()
@click.option(
    "--no-serve",
    is_flag=True,
    help="Only build the sample and print the example queries; do not start the server.",
)
@serve_options
@click.pass_context
def demo(
    ctx: click.Context,
    no_serve: bool,
    host: str,
    port: int,
    workers: int | None,
    query_timeout: float | None,
    max_result_rows: int | None,
) -> None:
    """Build the bundled sample zoo (TF Hub and PyTorch Hub pages), show example queries, serve.

    Everything is offline: the sample is a small hand-written zoo shipped with mlkg. After the
    queries it runs `mlkg serve` on the sample (Ctrl-C stops it) unless --no-serve is given.

    \b
    Example:
        mlkg --data-dir /tmp/mlkg-demo demo                # then open http://127.0.0.1:7878/sparql
        mlkg --data-dir /tmp/mlkg-demo demo --no-serve
    """
    from mlkg.pipeline import build as run_build
    from mlkg.queries import format_results, named_queries
    from mlkg.sample_zoo import sample_sources
    from mlkg.store import connect

    settings = settings_of(ctx)
    for source, folder in sample_sources().items():
        print_report(
            ctx,
            run_build(settings, source, location=str(folder), show_progress=show_progress(ctx)),
        )
    queries = named_queries()
    with connect(settings) as store:
        for name in DEMO_QUERIES:
            if name in queries:
                click.echo(f"\n## {queries[name].title}  (mlkg query {name})\n")
                result = store.query(queries[name].text)
                click.echo(format_results(result, "table", base=settings.base_iri))
    click.echo(f"\nThe graph is in {settings.data_dir}. Try `mlkg queries`, `mlkg stats`.")
    if no_serve:
        return
    from mlkg.cli.serve import run_server

    limits = {
        "workers": workers,
        "query_timeout": query_timeout,
        "max_result_rows": max_result_rows,
    }
    run_server(settings, host=host, port=port, limits=limits)
