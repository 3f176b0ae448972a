"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/sparql/store`` (indirect identification).

https://www.w3.org/TR/sparql11-http-rdf-update/ — ``?graph=IRI`` names a graph, ``?default``
the store's default graph (the real one, not the union the query endpoint shows). GET/HEAD read
it from the current snapshot like any query; PUT replaces, POST merges (a multipart form may
carry several RDF files), DELETE drops — each in one transaction on the live store, then a new
snapshot is published. A POST with neither parameter creates a graph and answers 201 with its
IRI in ``Location``. Writes need the update token, as SPARQL Update does.
"""

from __future__ import annotations

from flask import Response, request

from mlkg.server import negotiation
from mlkg.server.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from mlkg.server.execute import GraphReadJob, GraphWriteJob
from mlkg.server.negotiation import GRAPH_FORMATS, GRAPH_PYOXIGRAPH
from mlkg.server.sparql import graph_iris, outcome_response, require_update_token
from mlkg.server.state import server_state

_EXTENSIONS = {fmt.file_extension: fmt for fmt in GRAPH_PYOXIGRAPH.values()}


def endpoint() -> Response:
    """``/sparql/store``: one graph's GET, HEAD, PUT, POST or DELETE."""
    graph, create = _target()
    if request.method in {"GET", "HEAD"}:
        return _read(graph)
    require_update_token()
    state = server_state()
    if request.method == "DELETE":
        job = GraphWriteJob("DELETE", graph)
    else:
        job = GraphWriteJob(
            request.method, graph, _payload(), base_iri=graph or request.base_url, create=create
        )
    return outcome_response(state.write(job, what=f"graph {request.method}"))


def _target() -> tuple[str | None, bool]:
    """(graph IRI or None for the default graph, whether to create a new graph)."""
    graphs = graph_iris(request.args, "graph")
    if len(graphs) > 1:
        raise BadRequest("name one graph: the request has several 'graph' parameters")
    is_default = "default" in request.args
    if graphs and is_default:
        raise BadRequest("use either ?graph=IRI or ?default, not both")
    if graphs:
        return graphs[0], False
    if is_default:
        return None, False
    if request.method == "POST":
        return None, True
    raise BadRequest("name the graph: ?graph=IRI (URL-encoded) or ?default")


def _read(graph: str | None) -> Response:
    state = server_state()
    format_name = request.args.get("format")
    if format_name:
        fmt = negotiation.by_name(format_name, GRAPH_FORMATS)
        if fmt is None:
            raise BadRequest(f"unknown RDF format={format_name!r}; try turtle, jsonld, ntriples")
    else:
        fmt = negotiation.negotiate(request.headers.get("Accept"), GRAPH_FORMATS)
        if fmt is None:
            raise NotAcceptable(
                "cannot answer in any of the types in Accept; offered: "
                + ", ".join(f.media_type for f in GRAPH_FORMATS)
            )
    job = GraphReadJob(graph, fmt.media_type, state.limits.max_result_rows)
    return outcome_response(
        state.query(job, what="graph read"), max_rows=state.limits.max_result_rows
    )


def _payload() -> tuple[tuple[bytes, str], ...]:
    """The RDF documents of a PUT/POST body as (bytes, media type) pairs."""
    if request.mimetype == "multipart/form-data":
        parts = []
        for upload in request.files.values():
            media = _media_type(upload.mimetype, upload.filename)
            parts.append((upload.read(), media))
        if not parts:
            raise BadRequest("the multipart body has no file parts")
        return tuple(parts)
    return ((request.get_data(cache=False), _media_type(request.mimetype, None)),)


def _media_type(content_type: str | None, filename: str | None) -> str:
    rdf_format = negotiation.graph_format_of(content_type)
    if rdf_format is None and filename and "." in filename:
        rdf_format = _EXTENSIONS.get(filename.rsplit(".", 1)[1].lower())
    if rdf_format is None:
        raise UnsupportedMediaType(
            f"unsupported RDF media type {content_type!r}; send one of "
            + ", ".join(f.media_type for f in GRAPH_FORMATS)
        )
    return rdf_format.media_type
