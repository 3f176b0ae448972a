"""Commands that read the graph: query, queries, stats, export, reindex."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mlkg.cli._common import settings_of

#: CLI name → format; the formats themselves live in :mod:`mlkg.export`.
EXPORT_FORMATS: tuple[str, ...] = ("nquads", "trig", "turtle", "ntriples", "jsonld", "rdfxml")


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
    from mlkg.store import connect

    settings = settings_of(ctx)
    bindings = {}
    for param in params:
        name, sep, value = param.partition("=")
        if not sep:
            raise click.UsageError(f"--param takes NAME=VALUE, got {param!r}")
        bindings[name] = value
    sparql = resolve_query(query)
    with connect(settings, read_only=True) as store:
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
    from mlkg.store import connect

    settings = settings_of(ctx)
    with connect(settings, read_only=True) as store:
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
    help="File to write; a name ending in .gz is gzip-compressed. '-' for stdout. The file "
    "appears only when complete (written to a temporary name, then renamed).",
)
@click.option(
    "--void",
    "void_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the VoID/DCAT description (Turtle) "
    "[default: OUTPUT.void.ttl beside the dump; none for stdout].",
)
@click.option("--no-void", is_flag=True, help="Write no VoID description.")
@click.option(
    "--dump-url",
    metavar="URL",
    help="URL the dump will be published at, for void:dataDump [default: its file name, "
    "relative to the VoID file].",
)
@click.option(
    "--sparql-endpoint",
    metavar="URL",
    help="Public SPARQL endpoint URL for void:sparqlEndpoint [default: none].",
)
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    output: Path,
    void_path: Path | None,
    no_void: bool,
    dump_url: str | None,
    sparql_endpoint: str | None,
) -> None:
    """Dump the whole graph to a file others can load into their own store, with a VoID
    description of it (counts, classes, licences, sources, endpoint, dump).

    Reads the store (read-only); writes OUTPUT and, unless --no-void, its VoID file.

    \b
    Example:
        mlkg export --format nquads --output mlkg.nq.gz        # + mlkg.nq.gz.void.ttl
        mlkg export --format turtle --output - --no-void | head
    """
    from mlkg.export import default_void_path
    from mlkg.export import export as export_graph

    if no_void and void_path is not None:
        raise click.UsageError("--void and --no-void cannot be used together")
    if void_path is None and not no_void and str(output) != "-":
        void_path = default_void_path(output)
    result = export_graph(
        settings_of(ctx),
        fmt,
        output,
        void=None if no_void else void_path,
        dump_url=dump_url,
        endpoint_url=sparql_endpoint,
    )
    if not ctx.meta.get("quiet") and str(output) != "-":
        click.echo(f"wrote {result.output}", err=True)
        if result.void is not None:
            click.echo(f"wrote {result.void}", err=True)


@click.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the full-text search index (data_dir/search.sqlite) from the store.

    Builds now run the index with each load; use this for a store built before the index
    existed, or when a warning said the index missed a load. Reads the store (read-only);
    replaces the index file when complete, so searches keep working meanwhile.

    \b
    Example:
        mlkg reindex
    """
    from mlkg.search import rebuild_index

    count = rebuild_index(settings_of(ctx))
    if not ctx.meta.get("quiet"):
        click.echo(f"indexed {count} resources", err=True)
