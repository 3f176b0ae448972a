"""``mlkg serve``: the SPARQL endpoint and web app under a production WSGI server.

The WSGI server is waitress: pure Python (it installs and runs the same on every machine and in
CI, no compiler, no fork), threaded, and enough here because the work is done in mlkg's own
query worker processes — the HTTP threads only wait on them. gunicorn would fork HTTP worker
processes, each needing its own query workers, for no gain.
"""

from __future__ import annotations

import sys

import click

from mlkg.cli._common import settings_of
from mlkg.config import Settings


def serve_options(command):
    """--host, --port and the limits, shared by ``serve`` and ``demo``."""
    options = [
        click.option(
            "--host",
            default="127.0.0.1",
            show_default=True,
            help="Interface to listen on (0.0.0.0 for every interface).",
        ),
        click.option(
            "--port",
            "-p",
            type=click.IntRange(0, 65535),
            default=7878,
            show_default=True,
            help="Port to listen on; 0 picks a free one (printed on stderr).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            envvar="MLKG_WORKERS",
            help="Query worker processes [default: MLKG_WORKERS or the number of CPUs].",
        ),
        click.option(
            "--timeout",
            "query_timeout",
            type=click.FloatRange(min=0, min_open=True),
            envvar="MLKG_QUERY_TIMEOUT",
            help="Seconds a query may run before it is stopped [default: 30].",
        ),
        click.option(
            "--max-rows",
            "max_result_rows",
            type=click.IntRange(min=1),
            envvar="MLKG_MAX_RESULT_ROWS",
            help="Most rows/triples in one answer; longer ones are cut and marked "
            "[default: 100000].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@serve_options
@click.option(
    "--get",
    "get_path",
    metavar="PATH",
    help="Make one request to PATH in-process, print the body and exit (non-zero unless 200).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int | None,
    query_timeout: float | None,
    max_result_rows: int | None,
    get_path: str | None,
) -> None:
    """Serve the graph: SPARQL 1.1 Protocol at /sparql, Graph Store Protocol at /sparql/store.

    Read-only unless MLKG_UPDATE_TOKEN is set; then SPARQL Update and Graph Store writes are
    accepted from requests with `Authorization: Bearer <token>`. Queries run in worker
    processes over a read-only snapshot of the store, so a running `mlkg build` never blocks
    them: they see the new data when the build finishes. With an external store
    (--store-url / MLKG_STORE_URL) queries and updates are proxied to it instead, with the
    same limits. Limits (see GET /-/limits):
    MLKG_QUERY_TIMEOUT, MLKG_MAX_RESULT_ROWS, MLKG_MAX_REQUEST_BYTES, MLKG_WORKERS,
    MLKG_QUEUE_TIMEOUT, MLKG_SERVER_THREADS. Prints "listening on URL" on stderr.

    \b
    Example:
        mlkg serve --port 7878
        curl 'http://127.0.0.1:7878/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%203'
        mlkg serve --get '/sparql?query=ASK%7B%7D'
    """
    limits = {
        "workers": workers,
        "query_timeout": query_timeout,
        "max_result_rows": max_result_rows,
    }
    settings = settings_of(ctx)
    if get_path is not None:
        sys.exit(get_once(settings, get_path, limits))
    run_server(settings, host=host, port=port, limits=limits)


def get_once(settings: Settings, path: str, limits: dict) -> int:
    """One in-process GET; the body to stdout. Returns the exit code: 0 only for 200."""
    from mlkg.server.app import close_app, create_app
    from mlkg.server.settings import resolve_server_settings
    from mlkg.snapshots import ensure_snapshot

    ensure_snapshot(settings)  # nothing to do for an external store
    app = create_app(settings, limits=resolve_server_settings(**limits))
    try:
        response = app.test_client().get(path)
        sys.stdout.buffer.write(response.get_data())
        sys.stdout.flush()
        if response.status_code != 200:
            click.echo(f"{path}: HTTP {response.status_code}", err=True)
        return 0 if response.status_code == 200 else 1
    finally:
        close_app(app)


def run_server(settings: Settings, *, host: str, port: int, limits: dict) -> None:
    """Start the workers, then serve until interrupted (Ctrl-C / SIGTERM)."""
    import signal

    from waitress.server import create_server

    from mlkg.server.app import close_app, create_app
    from mlkg.server.settings import resolve_server_settings
    from mlkg.snapshots import ensure_snapshot

    server_limits = resolve_server_settings(**limits)
    if not settings.remote and ensure_snapshot(settings) is None:
        click.echo(
            "no snapshot of the store yet (a build holds it): queries answer 503 until it ends",
            err=True,
        )
    app = create_app(settings, limits=server_limits, start_workers=True)
    server = create_server(
        app,
        host=host,
        port=port,
        threads=server_limits.threads,
        max_request_body_size=server_limits.max_request_bytes,
        ident="mlkg",
    )
    url_host = f"[{host}]" if ":" in host else host
    mode = "read-write (token)" if settings.update_token else "read-only"
    if settings.remote:
        click.echo(
            f"mlkg: serving the external store {settings.store_url} ({mode}, up to "
            f"{server_limits.workers} queries at once)",
            err=True,
        )
    else:
        click.echo(
            f"mlkg: serving {settings.data_dir} ({mode}, {server_limits.workers} workers)",
            err=True,
        )
    click.echo(f"listening on http://{url_host}:{server.effective_port}/", err=True)
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: close workers on the way out
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("mlkg: stopping", err=True)
    finally:
        server.close()
        close_app(app)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
