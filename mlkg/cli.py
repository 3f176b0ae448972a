"""The ``mlkg`` command: a thin shell over the library.

Each command parses options, calls one library function and formats the result. Data goes to
stdout; progress, logs and messages to stderr. Errors print one line with the next step and exit
1; ``--debug`` (or ``MLKG_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import gzip
import json
import logging
import sys
from pathlib import Path

import click
from pyoxigraph import RdfFormat

from mlkg import __version__
from mlkg.config import Settings, resolve_settings
from mlkg.errors import MlkgError

logger = logging.getLogger("mlkg")

EXPORT_FORMATS: dict[str, RdfFormat] = {
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings)


def _sources() -> list[str]:
    from crawlers import source_names

    return source_names()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MLKG_DATA_DIR",
    show_envvar=True,
    help="Folder for the store, raw records and quarantine [default: the per-user data directory].",
)
@click.option(
    "--base-iri",
    envvar="MLKG_BASE_IRI",
    show_envvar=True,
    help="Base of resource IRIs [default: https://w3id.org/mlkg/resource/].",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summaries on stderr.")
@click.option("--debug", is_flag=True, envvar="MLKG_DEBUG", help="Show tracebacks on errors.")
@click.version_option(__version__, prog_name="mlkg")
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: Path | None,
    base_iri: str | None,
    verbose: int,
    quiet: bool,
    debug: bool,
) -> None:
    """mlkg: a knowledge graph of public machine-learning model zoos.

    Crawl zoos (TF Hub, PyTorch Hub, ...), map their metadata onto the mlkg OWL ontology,
    validate it with SHACL, store it in Oxigraph and query it with SPARQL.

    \b
    Example:
        mlkg demo                                  # build the sample zoo, show example queries
        mlkg build tfhub --from ./tfhub.dev        # a local checkout of tensorflow/tfhub.dev
        mlkg query models-per-task --format csv
    """
    level = logging.WARNING - 10 * verbose if not quiet else logging.ERROR
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = resolve_settings(data_dir=data_dir, base_iri=base_iri, debug=debug)
    ctx.meta["quiet"] = quiet


def _show_progress(ctx: click.Context) -> bool:
    return not ctx.meta.get("quiet")


def _print_report(ctx: click.Context, report) -> None:
    if ctx.meta.get("quiet"):
        return
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    click.echo(
        f"{report.source}: {report.crawled + report.resumed} crawled"
        f"{f' ({report.resumed} resumed)' if report.resumed else ''}, "
        f"{report.unchanged} unchanged, "
        f"{report.mapped} mapped ({report.warnings} warnings), {report.accepted} accepted, "
        f"{report.quarantined} quarantined; graphs: {report.added} added, {report.replaced} "
        f"replaced, {report.removed} removed; {report.triples_written} triples written; "
        f"{report.unresolved_references} unresolved lineage references [{stages}]",
        err=True,
    )


@cli.command()
@click.argument("source", type=click.Choice(_sources()))
@click.option(
    "--from",
    "location",
    metavar="PATH_OR_URL",
    help="A local checkout, archive or snapshot folder, or a URL "
    "[default: the zoo's public repository].",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N records (no deletions).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON on stdout.")
@click.pass_context
def build(
    ctx: click.Context, source: str, location: str | None, limit: int | None, as_json: bool
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

    report = run_build(
        _settings(ctx), source, location=location, limit=limit, show_progress=_show_progress(ctx)
    )
    _print_report(ctx, report)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))


@cli.command()
@click.argument("source", type=click.Choice(_sources()))
@click.option("--from", "location", metavar="PATH_OR_URL", help="Where to crawl from.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N records.")
@click.pass_context
def crawl(ctx: click.Context, source: str, location: str | None, limit: int | None) -> None:
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
        _settings(ctx),
        zoo,
        location or zoo.default_location,
        limit=limit,
        report=report,
        show_progress=_show_progress(ctx),
    )
    if not ctx.meta.get("quiet"):
        click.echo(f"{report.crawled + report.resumed} records in {path}", err=True)


@cli.command("map")
@click.argument("source", type=click.Choice(_sources()))
@click.pass_context
def map_command(ctx: click.Context, source: str) -> None:
    """Map DATA_DIR/raw/SOURCE.jsonl to RDF, into DATA_DIR/mapped/SOURCE.jsonl.

    Pure: no network, no store. Records that cannot be mapped are kept with their error.

    \b
    Example:
        mlkg map tfhub
    """
    from mlkg.pipeline import map_stage

    _print_report(ctx, map_stage(_settings(ctx), source, show_progress=_show_progress(ctx)))


@cli.command()
@click.argument("source", type=click.Choice(_sources()))
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

    _print_report(ctx, validate_stage(_settings(ctx), source, report_path=report_path))


@cli.command()
@click.argument("source", type=click.Choice(_sources()))
@click.pass_context
def load(ctx: click.Context, source: str) -> None:
    """Load validated records into the store: new graphs in bulk, changed ones atomically.

    \b
    Example:
        mlkg load tfhub
    """
    from mlkg.pipeline import load_stage

    _print_report(ctx, load_stage(_settings(ctx), source))


@cli.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format (CSV and JSON are the SPARQL 1.1 formats).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a query variable: <iri>, prefix:name, a number or text. Repeatable.",
)
@click.pass_context
def query(ctx: click.Context, query: str, fmt: str, params: tuple[str, ...]) -> None:
    """Run a SPARQL QUERY: a .rq file, a name from queries/ (see `mlkg queries`), or text.

    Without GRAPH, patterns match the union of all named graphs. The usual prefixes
    (mlkg, rdfs, dcterms, prov, skos, schema, ...) are predeclared.

    \b
    Example:
        mlkg query models-per-task
        mlkg query 'SELECT ?m WHERE { ?m a mlkg:Model } LIMIT 5' --format csv
        mlkg query evaluations-of-model --param model=<https://w3id.org/mlkg/resource/model/pytorch-hub/pytorch/vision/resnet18>
    """
    from mlkg.queries import format_results, resolve_query, substitutions
    from mlkg.store import open_store

    settings = _settings(ctx)
    bindings = {}
    for param in params:
        name, sep, value = param.partition("=")
        if not sep:
            raise click.UsageError(f"--param takes NAME=VALUE, got {param!r}")
        bindings[name] = value
    sparql = resolve_query(query)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        result = store.query(sparql, substitutions=substitutions(bindings))
        click.echo(format_results(result, fmt, base=settings.base_iri))


@cli.command("queries")
def list_queries() -> None:
    """List the named queries shipped in queries/ with their titles.

    \b
    Example:
        mlkg queries
    """
    from mlkg.queries import named_queries

    for name, named in sorted(named_queries().items()):
        click.echo(f"{name:40} {named.title}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts per class and source, and metadata coverage per hub.

    \b
    Example:
        mlkg stats --json
    """
    from dataclasses import asdict

    from mlkg.queries import render_table
    from mlkg.stats import COVERAGE_PATTERNS, compute_stats
    from mlkg.store import open_store

    settings = _settings(ctx)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        result = compute_stats(store)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
        return
    click.echo(f"{result.triples} triples in {sum(result.records.values())} record graphs\n")
    rows = [
        [source, name, str(n)]
        for source, counts in result.classes.items()
        for name, n in counts.items()
    ]
    click.echo(render_table(["source", "class", "count"], rows) + "\n")
    fields = list(COVERAGE_PATTERNS)
    rows = [
        [hub, str(result.models[hub])] + [f"{result.coverage[hub][f]:.0%}" for f in fields]
        for hub in result.coverage
    ]
    click.echo(render_table(["hub", "models", *fields], rows))


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(EXPORT_FORMATS)),
    required=True,
    help="nquads/trig/jsonld keep the named graphs; turtle/ntriples/rdfxml write the union graph.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write; a name ending in .gz is gzip-compressed. '-' for stdout.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path) -> None:
    """Dump the whole graph to a file others can load into their own store.

    \b
    Example:
        mlkg export --format nquads --output mlkg.nq.gz
    """
    from mlkg.store import open_store

    settings = _settings(ctx)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        if str(output) == "-":
            store.dump(sys.stdout.buffer, EXPORT_FORMATS[fmt])
            return
        opener = gzip.open if output.suffix == ".gz" else open
        with opener(output, "wb") as handle:
            store.dump(handle, EXPORT_FORMATS[fmt])
    if not ctx.meta.get("quiet"):
        click.echo(f"wrote {output}", err=True)


DEMO_QUERIES = ("models-per-task", "variants-of-model", "best-model-per-dataset-and-metric")


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Build the bundled sample zoo (TF Hub and PyTorch Hub pages) and run example queries.

    Everything is offline: the sample is a small hand-written zoo shipped with mlkg.

    \b
    Example:
        mlkg --data-dir /tmp/mlkg-demo demo
    """
    from mlkg.pipeline import build as run_build
    from mlkg.queries import format_results, named_queries
    from mlkg.sample_zoo import sample_sources
    from mlkg.store import open_store

    settings = _settings(ctx)
    for source, folder in sample_sources().items():
        _print_report(
            ctx,
            run_build(settings, source, location=str(folder), show_progress=_show_progress(ctx)),
        )
    queries = named_queries()
    with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
        for name in DEMO_QUERIES:
            if name in queries:
                click.echo(f"\n## {queries[name].title}  (mlkg query {name})\n")
                result = store.query(queries[name].text)
                click.echo(format_results(result, "table", base=settings.base_iri))
    click.echo(f"\nThe graph is in {settings.data_dir}. Try `mlkg queries`, `mlkg stats`.")


def main() -> None:
    """Entry point: run the CLI, turning mlkg errors into one-line messages (exit 1)."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except MlkgError as exc:
        if _debug_requested():
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def _debug_requested() -> bool:
    import os

    from mlkg.config import is_true

    return "--debug" in sys.argv or is_true(os.environ.get("MLKG_DEBUG"))
