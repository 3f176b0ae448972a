"""HTTP errors of the server and the one function that renders every error response.

Handlers raise :class:`HttpError` (or a subclass) with the status the protocol asks for and a
message for a person; :func:`render_error` turns it — and Werkzeug's own 404/405/413, and any
unexpected exception as a logged 500 — into JSON ``{"ok": false, "error": ..., "status": ...}``
for API clients or a small HTML page for browsers. 4xx: the caller's mistake. 5xx: ours, or a
limit (503 for a timeout or a busy store) — logged.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping

from flask import Response, request
from werkzeug.exceptions import HTTPException

from mlkg.errors import MlkgError

logger = logging.getLogger(__name__)


class HttpError(MlkgError):
    """An error answer: status, one-line message, extra headers (Allow, Retry-After, ...)."""

    status = 500

    def __init__(
        self, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class BadRequest(HttpError):
    """400: a malformed request or a query/update/RDF body that does not parse."""

    status = 400


class Unauthorized(HttpError):
    """401: updates are enabled but the request has no (or a wrong) bearer token."""

    status = 401

    def __init__(self, message: str):
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="mlkg"'})


class Forbidden(HttpError):
    """403: updates are disabled on this server."""

    status = 403


class NotFound(HttpError):
    status = 404


class NotAcceptable(HttpError):
    """406: no representation the client accepts."""

    status = 406


class UnsupportedMediaType(HttpError):
    """415: a request body in a media type (or charset) the endpoint does not take."""

    status = 415


class ServiceUnavailable(HttpError):
    """503: a query timed out, every worker is busy, or a build holds the store."""

    status = 503


def _prefers_html() -> bool:
    """Whether the client is a browser: it ranks text/html above JSON in Accept."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > max(
        accept.quality("application/json"), accept.quality("application/sparql-results+json")
    )


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The error body for this request: HTML for browsers, JSON otherwise."""
    if request.method == "HEAD":
        body, mimetype = "", "application/json"
    elif request.accept_mimetypes.provided and _prefers_html():
        body, mimetype = _html_page(status, message), "text/html"
    else:
        body = json.dumps({"ok": False, "error": message, "status": status})
        mimetype = "application/json"
    response = Response(body, status=status, mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_error(exc: Exception) -> Response:
    """Flask error handler for every exception: our HttpErrors, Werkzeug's, and the rest."""
    if isinstance(exc, HttpError):
        status, message, headers = exc.status, exc.message, exc.headers
    elif isinstance(exc, HTTPException):
        status, message = exc.code or 500, exc.description or exc.name
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    else:
        logger.exception("internal error on %s %s", request.method, request.path)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log")
    if status >= 500:
        logger.warning("%s %s -> %d: %s", request.method, request.path, status, message)
    return error_response(status, message, headers)


def _html_page(status: int, message: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>Error {status}</title></head>\n<body><h1>Error {status}</h1>\n"
        f"<p>{html.escape(message)}</p>\n<p><a href=/sparql>SPARQL endpoint</a></p></body></html>\n"
    )
