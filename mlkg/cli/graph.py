"""Commands that read the graph: query, queries, stats, export."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import click
from pyoxigraph import RdfFormat

from mlkg.cli._common import settings_of

EXPORT_FORMATS: dict[str, RdfFormat] = {
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}


@click.command()
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

    settings = settings_of(ctx)
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


@click.command("queries")
def list_queries() -> None:
    """List the named queries shipped in queries/ with their titles.

    \b
    Example:
        mlkg queries
    """
    from mlkg.queries import named_queries

    for name, named in sorted(named_queries().items()):
        click.echo(f"{name:40} {named.title}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts per class and source, metadata coverage per hub, and the quarantine.

    Coverage is the share of each hub's models with a task, a training dataset, an evaluation,
    hyperparameters, lineage and a licence. The quarantine part gives, per source, how many
    records were refused, the rate, and the most common reasons.

    \b
    Example:
        mlkg stats --json
    """
    from dataclasses import asdict

    from mlkg.quarantine import quarantine_summary
    from mlkg.queries import render_table
    from mlkg.stats import COVERAGE_PATTERNS, compute_stats
    from mlkg.store import open_store

    settings = settings_of(ctx)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        result = compute_stats(store, quarantine=quarantine_summary(settings))
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
    sources = sorted(set(result.records) | set(result.quarantined))
    rows = [
        [
            s,
            str(result.records.get(s, 0)),
            str(result.quarantined.get(s, 0)),
            f"{result.quarantine_rate(s):.1%}",
        ]
        for s in sources
    ]
    click.echo("\n" + render_table(["source", "loaded", "quarantined", "rate"], rows))
    for source, reasons in result.quarantine_reasons.items():
        if reasons:
            click.echo(f"\ntop quarantine reasons for {source}:")
            for reason, count in reasons:
                click.echo(f"  {count:>6}  {reason}")


@click.command()
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

    settings = settings_of(ctx)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        if str(output) == "-":
            store.dump(sys.stdout.buffer, EXPORT_FORMATS[fmt])
            return
        opener = gzip.open if output.suffix == ".gz" else open
        with opener(output, "wb") as handle:
            store.dump(handle, EXPORT_FORMATS[fmt])
    if not ctx.meta.get("quiet"):
        click.echo(f"wrote {output}", err=True)
