"""The ``mlkg`` command: a thin shell over the library.

Each command parses options, calls one library function and formats the result. Data goes to
stdout; progress, logs and messages to stderr. Errors print one line with the next step and exit
1; ``--debug`` (or ``MLKG_DEBUG=1``) shows the traceback instead. Commands live in one module
per group (:mod:`mlkg.cli.pipeline`, :mod:`mlkg.cli.graph`) and are registered in
:data:`COMMANDS`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from mlkg import __version__
from mlkg.cli import generate, graph, optimize, pipeline, serve
from mlkg.config import is_true, resolve_settings
from mlkg.errors import MlkgError

logger = logging.getLogger("mlkg")


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
@click.option(
    "--store-url",
    metavar="URL",
    envvar="MLKG_STORE_URL",
    show_envvar=True,
    help="SPARQL query endpoint of an external store to use instead of the embedded one "
    "(see docs/external-store.md).",
)
@click.option(
    "--store-update-url",
    metavar="URL",
    envvar="MLKG_STORE_UPDATE_URL",
    show_envvar=True,
    help="SPARQL Update endpoint of the external store [default: --store-url].",
)
@click.option(
    "--store-gsp-url",
    metavar="URL",
    envvar="MLKG_STORE_GSP_URL",
    show_envvar=True,
    help="Graph Store Protocol endpoint of the external store [default: none, write with "
    "SPARQL Update].",
)
@click.option(
    "--store-user",
    envvar="MLKG_STORE_USER",
    show_envvar=True,
    help="User for the external store (the password only from MLKG_STORE_PASSWORD).",
)
@click.option(
    "--store-auth",
    type=click.Choice(["basic", "digest"]),
    envvar="MLKG_STORE_AUTH",
    show_envvar=True,
    help="HTTP authentication scheme of the external store [default: basic].",
)
@click.option(
    "--store-default-graph",
    type=click.Choice(["union", "named"]),
    envvar="MLKG_STORE_DEFAULT_GRAPH",
    show_envvar=True,
    help="union: the store's default graph is already the union of its named graphs; named: "
    "it is not, mlkg sends the graphs as the dataset [default: named].",
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
    store_url: str | None,
    store_update_url: str | None,
    store_gsp_url: str | None,
    store_user: str | None,
    store_auth: str | None,
    store_default_graph: str | None,
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
    ctx.obj = resolve_settings(
        data_dir=data_dir,
        base_iri=base_iri,
        debug=debug,
        store_url=store_url,
        store_update_url=store_update_url,
        store_gsp_url=store_gsp_url,
        store_user=store_user,
        store_auth=store_auth,
        store_default_graph=store_default_graph,
    )
    ctx.meta["quiet"] = quiet


#: Every command, in one place.
COMMANDS: tuple[click.Command, ...] = (
    pipeline.build,
    pipeline.crawl,
    pipeline.map_command,
    pipeline.validate,
    pipeline.load,
    pipeline.demo,
    graph.query,
    graph.list_queries,
    graph.stats,
    graph.export,
    graph.reindex,
    serve.serve,
    optimize.import_profile,
    optimize.optimize,
    generate.generate,
)
for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Entry point: run the CLI, turning mlkg errors into one-line messages (exit 1)."""
    try:
        # without standalone mode click returns a command's ctx.exit(n) code instead of exiting
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
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

    return "--debug" in sys.argv or is_true(os.environ.get("MLKG_DEBUG"))
