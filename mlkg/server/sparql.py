"""The SPARQL 1.1 Protocol at ``/sparql``: query and update operations.

https://www.w3.org/TR/sparql11-protocol/ — a query comes by GET (``?query=``), by POST of a
URL-encoded form, or by POST of ``application/sparql-query``; an update by POST of a form
(``update=``) or of ``application/sparql-update``. ``default-graph-uri``/``named-graph-uri`` set
a query's dataset (else the default graph is the union of all graphs, as everywhere in mlkg);
``using-graph-uri``/``using-named-graph-uri`` an update's. A GET without a query returns the
service description. Errors: 400 (syntax, malformed request; the parser's message), 401/403
(updates), 406 (no acceptable format), 413 (body too large), 415 (body media type or charset),
503 (timeout, busy).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Response, current_app, request
from pyoxigraph import NamedNode
from werkzeug.datastructures import MultiDict

from mlkg.server import negotiation
from mlkg.server.errors import (
    BadRequest,
    Forbidden,
    HttpError,
    NotAcceptable,
    Unauthorized,
    UnsupportedMediaType,
)
from mlkg.server.execute import Outcome, QueryJob, UpdateJob
from mlkg.server.negotiation import BOOLEAN_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, Format
from mlkg.server.service_description import service_description
from mlkg.server.sparql_text import add_using, has_using_or_with
from mlkg.server.state import server_state

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
#: A UI that registers a view under this endpoint name gets browsers' GET /sparql (no query).
QUERY_EDITOR_ENDPOINT = "ui.query_editor"


def endpoint() -> Response:
    """``/sparql``: dispatch on method and body type to a query, an update or the description."""
    if request.method == "GET":
        return _get()
    media = request.mimetype
    if media == FORM:
        return _post_form()
    if media in {QUERY_TYPE, UPDATE_TYPE}:
        text = _utf8_body()
        params = request.args
        return _query(text, params) if media == QUERY_TYPE else _update(text, params)
    if not media:
        raise UnsupportedMediaType(
            f"a POST to /sparql needs a Content-Type: {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}"
        )
    raise UnsupportedMediaType(
        f"unsupported Content-Type {media!r}: use {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}"
    )


def _get() -> Response:
    if "update" in request.args:
        raise BadRequest("a SPARQL update must be sent with POST, not GET")
    queries = request.args.getlist("query")
    if not queries:
        return _service_description()
    return _query(_single(queries, "query"), request.args)


def _post_form() -> Response:
    _require_utf8_charset()
    form = request.form
    queries, updates = form.getlist("query"), form.getlist("update")
    if queries and updates:
        raise BadRequest("a request carries either a query or an update, not both")
    params = MultiDict([*request.args.items(multi=True), *form.items(multi=True)])
    if queries:
        return _query(_single(queries, "query"), params)
    if updates:
        return _update(_single(updates, "update"), params)
    raise BadRequest("the form has no 'query' or 'update' parameter")


def _single(values: list[str], name: str) -> str:
    if len(values) > 1:
        raise BadRequest(f"the request has {len(values)} '{name}' parameters; send one")
    return values[0]


def _require_utf8_charset() -> None:
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(f"charset {charset!r} is not supported: send UTF-8")


def _utf8_body() -> str:
    _require_utf8_charset()
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid UTF-8: {exc}") from exc


def graph_iris(params: MultiDict, name: str) -> tuple[str, ...]:
    """The IRIs of a repeatable graph parameter, each checked to be an absolute IRI."""
    values = params.getlist(name)
    for value in values:
        try:
            NamedNode(value)
        except ValueError as exc:
            raise BadRequest(f"{name}={value!r} is not an absolute IRI: {exc}") from exc
    return tuple(values)


# -- queries -----------------------------------------------------------------------------------


def _query(text: str, params: MultiDict) -> Response:
    default = graph_iris(params, "default-graph-uri")
    named = graph_iris(params, "named-graph-uri")
    results, boolean, graph = _negotiate_all(params.get("format"))
    limits = server_state().limits
    job = QueryJob(
        query=text,
        base_iri=request.base_url,
        default_graph=default if default or named else None,
        named_graphs=named if default or named else None,
        results_type=results and results.media_type,
        boolean_type=boolean and boolean.media_type,
        graph_type=graph and graph.media_type,
        max_rows=limits.max_result_rows,
    )
    return outcome_response(server_state().query(job), max_rows=limits.max_result_rows)


def _negotiate_all(format_name: str | None) -> tuple[Format | None, ...]:
    """The format for each kind of answer, from ``format=`` if given, else from Accept."""
    families = (RESULT_FORMATS, BOOLEAN_FORMATS, GRAPH_FORMATS)
    if format_name:
        chosen = tuple(negotiation.by_name(format_name, family) for family in families)
        if not any(chosen):
            raise BadRequest(f"unknown format={format_name!r}; try json, xml, csv, tsv, turtle")
        return chosen
    accept = request.headers.get("Accept")
    chosen = tuple(negotiation.negotiate(accept, family) for family in families)
    if not any(chosen):
        raise NotAcceptable(
            f"cannot answer in any of the types in Accept: {accept!r}; offered: "
            + ", ".join(f.media_type for f in (*RESULT_FORMATS, *GRAPH_FORMATS))
        )
    return chosen


def outcome_response(outcome: Outcome, *, max_rows: int | None = None) -> Response:
    """A worker's outcome as an HTTP response (or the error it carries, raised)."""
    if outcome.status >= 400:
        raise HttpError(outcome.message or "error", status=outcome.status, headers=outcome.headers)
    response = Response(outcome.body, status=outcome.status)
    if outcome.media_type:
        response.headers["Content-Type"] = _content_type(outcome.media_type)
    response.headers["Vary"] = "Accept"
    if outcome.truncated:
        response.headers["MLKG-Results-Truncated"] = "true"
        if max_rows is not None:
            response.headers["MLKG-Results-Limit"] = str(max_rows)
    for name, value in outcome.headers.items():
        response.headers[name] = value
    return response


def _content_type(media_type: str) -> str:
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        if fmt.media_type == media_type:
            return fmt.content_type
    return media_type


def _service_description() -> Response:
    accept = request.headers.get("Accept")
    editor: Callable | None = current_app.view_functions.get(QUERY_EDITOR_ENDPOINT)
    wants_html = request.accept_mimetypes.quality("text/html") > max(
        request.accept_mimetypes.quality(fmt.media_type) for fmt in GRAPH_FORMATS
    )
    if editor is not None and wants_html and "format" not in request.args:
        return editor()
    fmt = _graph_format(request.args.get("format"), accept)
    body = service_description(
        endpoint=request.base_url,
        updates_enabled=bool(server_state().settings.update_token),
        media_type=fmt.media_type,
    )
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _graph_format(format_name: str | None, accept: str | None) -> Format:
    if format_name:
        fmt = negotiation.by_name(format_name, GRAPH_FORMATS)
        if fmt is None:
            raise BadRequest(f"unknown RDF format={format_name!r}; try turtle, jsonld, ntriples")
        return fmt
    fmt = negotiation.negotiate(accept, GRAPH_FORMATS)
    if fmt is None:
        raise NotAcceptable(
            f"cannot answer in any of the types in Accept: {accept!r}; offered: "
            + ", ".join(f.media_type for f in GRAPH_FORMATS)
        )
    return fmt


# -- updates -----------------------------------------------------------------------------------


def require_update_token() -> None:
    """Refuse a write unless updates are on and the request has the bearer token.

    403 when the server has no MLKG_UPDATE_TOKEN (no token could help); 401 otherwise, with a
    constant-time comparison so the token cannot be guessed byte by byte from timings.
    """
    token = server_state().settings.update_token
    if not token:
        raise Forbidden(
            "updates are disabled on this server: start it with MLKG_UPDATE_TOKEN set to enable "
            "SPARQL Update and the Graph Store Protocol"
        )
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("this request changes the store: send Authorization: Bearer <token>")
    if not hmac.compare_digest(credentials.strip().encode("utf-8"), token.encode("utf-8")):
        raise Unauthorized("wrong bearer token")


def _update(text: str, params: MultiDict) -> Response:
    require_update_token()
    using = graph_iris(params, "using-graph-uri")
    using_named = graph_iris(params, "using-named-graph-uri")
    if (using or using_named) and has_using_or_with(text):
        raise BadRequest(
            "the update has USING or WITH and the request has using-graph-uri or "
            "using-named-graph-uri: the protocol allows one or the other"
        )
    job = UpdateJob(add_using(text, using, using_named), base_iri=request.base_url)
    return outcome_response(server_state().write(job, what="update"))
