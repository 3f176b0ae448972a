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

    return "--debug" in sys.argv or is_true(os.environ.get("MLKG_DEBUG"))
