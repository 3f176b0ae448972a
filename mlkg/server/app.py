"""The web application: an app factory and every route in one registry.

:func:`create_app` builds a Flask app over a data directory; :func:`_routes` lists every route
this module serves (datasette ``app.py`` ``_routes()``), and :func:`_blueprints` the blueprints
of the other parts of the web app (UI, resource pages, linked data), one line each. System pages
live under ``/-/``, a prefix no resource path uses.

Serving: ``mlkg serve`` runs the app under waitress (:mod:`mlkg.cli.serve`). Queries run in
worker processes over read-only snapshots of the store (:mod:`mlkg.server.workers`,
:mod:`mlkg.snapshots`), or are proxied to an external store (:mod:`mlkg.server.remote`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, jsonify

from mlkg import __version__
from mlkg.config import Settings
from mlkg.server import graph_store, optimize_api, pages, sparql
from mlkg.server.errors import render_error
from mlkg.server.settings import SERVER_SETTINGS, ServerSettings, resolve_server_settings
from mlkg.server.state import EXTENSION, ServerState, server_state
from mlkg.snapshots import current_sequence


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    view: Callable[[], Response]
    methods: tuple[str, ...]


def _routes() -> tuple[Route, ...]:
    """Every route of this module: (path, endpoint name, view, methods)."""
    return (
        Route("/sparql", "sparql", sparql.endpoint, ("GET", "POST")),
        Route(
            "/sparql/store",
            "graph_store",
            graph_store.endpoint,
            ("GET", "HEAD", "PUT", "POST", "DELETE"),
        ),
        Route("/-/limits", "limits", limits, ("GET",)),
        Route("/-/status", "status", status, ("GET",)),
    )


def _blueprints() -> tuple[Blueprint, ...]:
    """Blueprints of the other parts of the web app, registered after the routes above."""
    return (pages.create_blueprint(), optimize_api.create_blueprint())


def create_app(
    settings: Settings,
    *,
    limits: ServerSettings | None = None,
    start_workers: bool = False,
) -> Flask:
    """A Flask app serving the store of ``settings.data_dir``.

    Args:
        settings: data directory, base IRI and the update token (None: read-only server).
        limits: the server's limits; default: :func:`resolve_server_settings` (environment).
        start_workers: start the worker processes now instead of on the first query.

    Call ``app.extensions["mlkg"].close()`` (or :func:`close_app`) to stop the workers.
    """
    app = Flask("mlkg.server")
    limits = limits or resolve_server_settings()
    app.config["MAX_CONTENT_LENGTH"] = limits.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = limits.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    state = ServerState(settings, limits)
    app.extensions[EXTENSION] = state
    for route in _routes():
        app.add_url_rule(
            route.rule,
            route.endpoint,
            route.view,
            methods=list(route.methods),
            strict_slashes=False,
        )
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    app.register_error_handler(Exception, render_error)
    app.after_request(_cors)
    if start_workers:
        state.start()
    return app


def close_app(app: Flask) -> None:
    """Stop the app's worker processes."""
    app.extensions[EXTENSION].close()


def _cors(response: Response) -> Response:
    """Let browser-based SPARQL clients on other origins read answers (never with cookies)."""
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    response.headers.setdefault(
        "Access-Control-Expose-Headers", "MLKG-Results-Truncated, MLKG-Results-Limit"
    )
    return response


def limits() -> Response:
    """``/-/limits``: every server setting with its value in force and its meaning."""
    state = server_state()
    values = state.limits.as_dict()
    return jsonify(
        {
            "settings": [
                {"name": name, "env": env, "value": values[name], "help": help_text}
                for name, env, _default, help_text in SERVER_SETTINGS
            ],
            "updates_enabled": bool(state.settings.update_token),
        }
    )


def status() -> Response:
    """``/-/status``: version, the snapshot being served, whether updates are on."""
    state = server_state()
    return jsonify(
        {
            "ok": True,
            "version": __version__,
            "snapshot": current_sequence(state.settings),
            "store": "external" if state.settings.remote else "embedded",
            "workers": state.limits.workers,
            "worker_pids": state.worker_pids(),
            "updates_enabled": bool(state.settings.update_token),
        }
    )
