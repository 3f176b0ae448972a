"""The web UI and linked-data routes, as one Flask blueprint.

Routes (all GET/HEAD; the SPARQL protocol endpoint ``/sparql`` belongs to :mod:`mlkg.server.app`):

=============================  ===================================================================
``/``                          home: search box, the query editor, example queries, what's inside
``/search?q=&kind=``           full-text search (HTML; JSON with ``format=json`` or Accept)
``/query``                     the query editor (YASGUI, vendored) on ``/sparql``
``/resource/<rest>``           the resource ``{base}<rest>``: HTML or RDF by content negotiation
``/-/resource?iri=``           any other IRI the graph mentions (SPDX licences, W3C terms)
``/ontology``                  the ontology: HTML documentation, Turtle, JSON-LD, RDF/XML, N-Triples
``/.well-known/void``          the VoID/DCAT description (Turtle, JSON-LD, ..., or HTML)
``/-/static/<file>``           CSS, JS and YASGUI
=============================  ===================================================================

Every model-card string is untrusted: templates autoescape, nothing from the graph is marked
safe, links to the zoo carry ``rel="nofollow noopener noreferrer"`` and only http(s) IRIs become
external links. HTML answers carry a strict Content-Security-Policy (scripts only from this
server, no inline script), so even a missed escape could not run a script.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request
from pyoxigraph import BlankNode, Literal, NamedNode

from mlkg import search as search_index
from mlkg.config import Settings
from mlkg.errors import MlkgError, StoreError
from mlkg.namespaces import DCTERMS, MLKG, ONTOLOGY_IRI, PREFIXES, RDFS, SCHEMA, XSD
from mlkg.server.linked_data import (
    DEFAULT_RESOURCE_PREFIX,
    FORMAT_PARAM,
    HTML,
    MAX_EVALUATIONS,
    MAX_LINEAGE,
    MAX_SETTINGS,
    RDF_FORMATS,
    RESOURCE_FORMATS,
    Description,
    GraphReader,
    Reader,
    ResourcePaths,
    WorkerReader,
    choose_format,
    compact,
    describe,
    description_triples,
    labels_of,
    ontology_document,
    ontology_header,
    ontology_terms,
    raw_path,
    read_model,
    serialize_triples,
    short_name,
)
from mlkg.server.negotiation import Format

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

#: Content-Security-Policy of every HTML page: no inline or foreign script, no framing.
#: Inline *styles* are allowed because the query editor sets element styles.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
#: Hits on the search page; type-ahead asks for fewer.
SEARCH_LIMIT = 25
#: Seconds the home page's and VoID's counts are reused before they are recomputed.
SUMMARY_TTL = 300.0


#: Facts in the table at the top of a model page, in order (licence has its own row).
MODEL_FACTS: tuple[tuple[str, NamedNode], ...] = (
    ("Identifier", DCTERMS.identifier),
    ("Zoo", MLKG.hub),
    ("Publisher", DCTERMS.publisher),
    ("Task", MLKG.task),
    ("Library", MLKG.library),
    ("Formats", MLKG.format),
    ("Parameters", MLKG.parameterCount),
    ("Downloads", MLKG.downloads),
    ("Likes", MLKG.likes),
    ("Architecture", MLKG.architecture),
    ("Model type", MLKG.modelType),
    ("Version", MLKG.version),
    ("Revision", MLKG.revision),
    ("Entry type", MLKG.entryType),
    ("Entry point", MLKG.entrypoint),
    ("Fine-tunable", MLKG.fineTunable),
    ("Languages", MLKG.language),
    ("Predicts", MLKG.predicts),
    ("Trained on", MLKG.trainedOn),
    ("Collection", MLKG.inCollection),
    ("Accelerator", MLKG.accelerator),
    ("Inference cost", MLKG.inferenceCost),
    ("Memory footprint", MLKG.memoryFootprint),
    ("Created", DCTERMS.created),
    ("Modified", DCTERMS.modified),
    ("Source repository", MLKG.sourceRepository),
    ("Source ref", MLKG.sourceRef),
    ("Tags", MLKG.tag),
)
#: Links out of mlkg (the zoo page, assets, papers), shown as external links.
MODEL_LINKS: tuple[tuple[str, NamedNode], ...] = (
    ("Zoo page", SCHEMA.url),
    ("Download", SCHEMA.downloadUrl),
    ("See also", RDFS.seeAlso),
    ("References", DCTERMS.references),
    ("Citation", SCHEMA.citation),
)


# -- view models: what templates print (plain strings; Jinja escapes them) --------------------


@dataclass(frozen=True)
class TermView:
    """A term as a page shows it: text, an optional link, and a note (language or datatype)."""

    text: str
    href: str | None = None
    external: bool = False
    iri: str | None = None
    note: str | None = None


class Viewer:
    """Turns terms into :class:`TermView` with the labels and paths of one page."""

    def __init__(self, paths: ResourcePaths, labels: dict[str, str]):
        self.paths = paths
        self.labels = labels

    def term(self, term: NamedNode | BlankNode | Literal | None) -> TermView | None:
        if term is None:
            return None
        if isinstance(term, Literal):
            return TermView(term.value, note=_literal_note(term))
        if isinstance(term, BlankNode):
            return TermView(f"_:{term.value}")
        return self.iri(term.value)

    def iri(self, iri: str) -> TermView:
        href = self.paths.href(iri)
        label = self.labels.get(iri)
        if href is not None:
            return TermView(label or self.paths.display(iri), href, iri=iri)
        if label is not None:  # described in the graph (e.g. an SPDX licence): our page
            return TermView(label, self.paths.describe_href(iri), iri=iri)
        if iri.startswith(("http://", "https://")):
            return TermView(compact(iri), iri, external=True, iri=iri)
        return TermView(iri, iri=iri)  # never a link: javascript:, data:, urn:...

    def external(self, term) -> TermView | None:
        """A link out of mlkg (zoo page, paper); only http(s) IRIs become links."""
        if isinstance(term, NamedNode) and term.value.startswith(("http://", "https://")):
            return TermView(term.value, term.value, external=True, iri=term.value)
        return self.term(term)

    def terms(self, terms: Iterable) -> list[TermView]:
        return [view for view in (self.term(t) for t in terms) if view is not None]


#: Datatypes whose values read well without a note.
_PLAIN_DATATYPES = {
    XSD[name].value for name in ("string", "integer", "double", "decimal", "boolean", "float")
}


def _literal_note(literal: Literal) -> str | None:
    if literal.language:
        return literal.language
    datatype = literal.datatype.value
    return None if datatype in _PLAIN_DATATYPES else compact(datatype)


# -- the blueprint --------------------------------------------------------------------------


class PagesState:
    """What the routes share: settings, the graph reader, path mapping and small caches."""

    def __init__(self, settings: Settings | None, resource_prefix: str, sparql_path: str):
        self._settings = settings
        self._reader: Reader | None = None
        self.resource_prefix = resource_prefix
        self.sparql_path = sparql_path
        self._cache: dict[str, tuple[object, float, object]] = {}
        self._cache_lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        """The given settings, else the SPARQL server's (the app's ``mlkg`` extension)."""
        if self._settings is None:
            self._settings = current_app.extensions["mlkg"].settings
        return self._settings

    @property
    def reader(self) -> Reader:
        """The SPARQL server's workers when the app has them (``mlkg serve``), else the
        snapshot read in this process (an app with only this blueprint)."""
        if self._reader is None:
            server_state = current_app.extensions.get("mlkg")
            self._reader = (
                WorkerReader(server_state, self.settings)
                if server_state is not None
                else GraphReader(self.settings)
            )
        return self._reader

    def paths(self) -> ResourcePaths:
        return ResourcePaths(self.settings.base_iri, self.resource_prefix, request.script_root)

    def cached(self, key: str, compute: Callable[[], object]) -> object:
        """``compute()``, reused while the snapshot is the same and for at most SUMMARY_TTL."""
        version = self.reader.version
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit and hit[0] == version and now - hit[1] < SUMMARY_TTL:
                return hit[2]
        value = compute()
        with self._cache_lock:
            self._cache[key] = (version, now, value)
        return value


def _state() -> PagesState:
    return current_app.extensions["mlkg.pages"]


def create_blueprint(
    settings: Settings | None = None,
    *,
    resource_prefix: str = DEFAULT_RESOURCE_PREFIX,
    sparql_path: str = "/sparql",
) -> Blueprint:
    """The UI and linked-data blueprint for the store of ``settings``.

    Args:
        settings: data directory (store, snapshots, search index) and resource base IRI;
            default: the settings of the app's SPARQL server (:mod:`mlkg.server.state`).
        resource_prefix: server path under which ``{base}<rest>`` is served as ``<prefix><rest>``.
        sparql_path: where the SPARQL endpoint is, for the query editor and VoID.

    Example::

        app.register_blueprint(create_blueprint(settings))
    """
    if not (resource_prefix.startswith("/") and resource_prefix.endswith("/")):
        raise ValueError(f"resource_prefix must start and end with '/': {resource_prefix!r}")
    blueprint = Blueprint(
        "pages",
        __name__,
        template_folder=str(TEMPLATE_DIR),
        static_folder=str(STATIC_DIR),
        static_url_path="/-/static",
    )
    state = PagesState(settings, resource_prefix, sparql_path)

    @blueprint.record_once
    def _install(setup_state) -> None:
        setup_state.app.extensions["mlkg.pages"] = state

    blueprint.add_url_rule("/", "home", home)
    blueprint.add_url_rule("/search", "search", search_page)
    blueprint.add_url_rule("/query", "query", query_page)
    blueprint.add_url_rule(f"{resource_prefix}<path:rest>", "resource", resource_page)
    blueprint.add_url_rule("/-/resource", "any_resource", any_resource_page)
    blueprint.add_url_rule("/ontology", "ontology", ontology_page)
    blueprint.add_url_rule("/.well-known/void", "void", void_page)
    blueprint.after_request(security_headers)
    return blueprint


def security_headers(response: Response) -> Response:
    """CSP for HTML, nosniff for everything this blueprint serves."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _html(template: str, status: int = 200, **context) -> Response:
    body = render_template(template, **context)
    return Response(body, status=status, mimetype="text/html")


def _not_acceptable(offers: Iterable[Format]) -> Response:
    types = ", ".join(f.media_type for f in offers)
    return Response(
        f"406 Not Acceptable: this resource is available as {types}\n",
        status=406,
        mimetype="text/plain",
        headers={"Vary": "Accept"},
    )


def _link_header(alternates: list[tuple[str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for media, url in alternates)


def _store_missing(exc: StoreError) -> Response:
    return _html("not_found.html", 503, title="No graph yet", message=str(exc), hits=[], iri=None)


# -- home, search, query editor -------------------------------------------------------------


def home() -> Response:
    from mlkg.queries import named_queries

    state = _state()
    counts = state.cached("index-stats", lambda: search_index.index_stats(state.settings))
    hubs = state.cached("hubs", lambda: _hub_counts(state))
    return _html(
        "home.html",
        counts=counts,
        hubs=hubs,
        queries=sorted(named_queries().values(), key=lambda q: q.title),
        stale=search_index.is_stale(state.settings),
    )


HUB_COUNTS = """SELECT ?hub (COUNT(DISTINCT ?m) AS ?models) WHERE {
  ?g foaf:topic ?m . ?m a mlkg:Model ; mlkg:hub ?hub
} GROUP BY ?hub ORDER BY DESC(?models)"""


def _hub_counts(state: PagesState) -> list[tuple[TermView, int]]:
    """Models per zoo; empty when there is no graph yet or the count failed (a timeout on a
    huge store), so the home page always renders. The result, even empty, is cached."""
    try:
        rows = list(state.reader.query(HUB_COUNTS))
    except MlkgError as exc:
        logger.warning("home page: no model counts (%s)", exc)
        return []
    viewer = Viewer(state.paths(), labels_of(state.reader, [r["hub"].value for r in rows]))
    return [(viewer.iri(r["hub"].value), int(r["models"].value)) for r in rows]


def search_page() -> Response:
    state = _state()
    text = request.args.get("q", "")[:500]
    kind = request.args.get("kind") or None
    limit = _int_arg("limit", SEARCH_LIMIT, 1, search_index.MAX_LIMIT)
    prefix = request.args.get("prefix", "1") != "0"
    offset = _int_arg("offset", 0, 0, 10_000_000)
    if text.strip() or not kind:
        hits = search_index.search(state.settings, text, limit=limit, kind=kind, prefix=prefix)
    else:  # no words but a kind: list that kind by label
        hits = search_index.browse(state.settings, kind, limit=limit, offset=offset)
    paths = state.paths()
    wanted = choose_format(request.args.get("format"), request.headers.get("Accept"), (HTML, _JSON))
    if wanted is None:
        return _not_acceptable((HTML, _JSON))
    if wanted is _JSON:
        body = {
            "query": text,
            "kind": kind,
            "hits": [
                {
                    "iri": h.iri,
                    "href": paths.href(h.iri) or paths.describe_href(h.iri),
                    "label": h.label,
                    "kind": h.kind,
                    "snippet": h.snippet,
                }
                for h in hits
            ],
        }
        return Response(json.dumps(body), mimetype="application/json", headers={"Vary": "Accept"})
    views = [(h, paths.href(h.iri) or paths.describe_href(h.iri)) for h in hits]
    return _html(
        "search.html",
        query=text,
        kind=kind,
        browsing=not text.strip() and bool(kind),
        offset=offset,
        limit=limit,
        kinds=sorted(set(search_index.KINDS.values())),
        hits=views,
        stale=search_index.is_stale(state.settings),
        indexed=search_index.index_path(state.settings).exists(),
    )


_JSON = Format("application/json", ("json",))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(request.args.get(name, default))))
    except ValueError:
        return default


def query_page() -> Response:
    from mlkg.queries import named_queries

    state = _state()
    examples = [
        {
            "name": q.name,
            "title": q.title,
            "purpose": q.header.get("purpose", ""),
            "query": with_prefixes(q.text),
        }
        for q in sorted(named_queries().values(), key=lambda q: q.title)
    ]
    config = {
        "endpoint": request.host_url.rstrip("/") + request.script_root + state.sparql_path,
        "prefixes": PREFIXES,
        "examples": examples,
        "defaultQuery": with_prefixes(DEFAULT_QUERY),
    }
    return _html("query.html", config=config, examples=examples)


DEFAULT_QUERY = """# Models per task: edit and press the run button (or Ctrl+Enter)
SELECT ?task (COUNT(DISTINCT ?model) AS ?models) WHERE {
  ?model a mlkg:Model ; mlkg:task ?task .
}
GROUP BY ?task
ORDER BY DESC(?models)
"""


def with_prefixes(query: str) -> str:
    """``query`` with PREFIX lines for the known prefixes it uses, after its header comments,
    so it runs on any SPARQL endpoint (ours predeclares them; others do not).

    >>> print(with_prefixes("# t\\nSELECT * WHERE { ?m a mlkg:Model }"))
    # t
    PREFIX mlkg: <https://w3id.org/mlkg/ontology#>
    SELECT * WHERE { ?m a mlkg:Model }
    """
    lines = query.splitlines()
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    body = "\n".join(lines[header:])
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", body))
    used = [
        name
        for name in PREFIXES
        if name not in declared and re.search(rf"(?<![\w:<]){re.escape(name)}:", body)
    ]
    prologue = [f"PREFIX {name}: <{PREFIXES[name]}>" for name in used]
    return "\n".join([*lines[:header], *prologue, *lines[header:]])


# -- resources --------------------------------------------------------------------------------


def resource_page(rest: str) -> Response:
    state = _state()
    paths = state.paths()
    prefix = request.script_root + state.resource_prefix
    raw = raw_path(request.environ, request.script_root + request.path)
    raw_rest = raw[len(prefix) :] if raw.startswith(prefix) else rest
    iri = paths.iri_from_raw(raw_rest)
    if iri.startswith(state.settings.base_iri + "void/"):
        return redirect(request.script_root + "/.well-known/void", 303)
    return _resource_response(state, iri, raw)


def any_resource_page() -> Response:
    state = _state()
    iri = request.args.get("iri", "").strip()
    paths = state.paths()
    if not iri:
        return _html(
            "not_found.html", 400, title="Which IRI?", message="Give ?iri=<IRI>.", hits=[], iri=None
        )
    local = paths.href(iri)
    if local is not None:  # one page per resource: send IRIs we serve to their own path
        return redirect(local, 301)
    try:
        NamedNode(iri)
    except ValueError:
        return _html(
            "not_found.html",
            400,
            title="Not an IRI",
            message=f"{iri!r} is not an IRI.",
            hits=[],
            iri=None,
        )
    return _resource_response(state, iri, paths.describe_href(iri))


def _resource_response(state: PagesState, iri: str, page_url: str) -> Response:
    """``iri`` as HTML or RDF; ``page_url`` is this page's own URL (for its twins' links)."""
    fmt = choose_format(request.args.get("format"), request.headers.get("Accept"), RESOURCE_FORMATS)
    if fmt is None:
        return _not_acceptable(RESOURCE_FORMATS)
    try:
        description = describe(state.reader, iri)
    except StoreError as exc:
        return _store_missing(exc)
    if not description.exists:
        return _not_found(state, iri, fmt)
    alternates = _alternates_for(page_url)
    headers = {"Vary": "Accept", "Link": _link_header(alternates)}
    if fmt is not HTML:
        body = serialize_triples(description_triples(description), fmt.media_type)
        return Response(body, headers=headers, content_type=fmt.content_type)
    page = resource_context(state, description)
    template = "model.html" if MLKG.Model.value in description.types else "resource.html"
    response = _html(template, alternates=alternates, **page)
    response.headers.update(headers)
    return response


def _alternates_for(path_with_query: str) -> list[tuple[str, str]]:
    joiner = "&" if "?" in path_with_query else "?"
    return [
        (f.media_type, f"{path_with_query}{joiner}format={FORMAT_PARAM[f.media_type]}")
        for f in RDF_FORMATS
    ]


def _not_found(state: PagesState, iri: str, fmt: Format) -> Response:
    if fmt is not HTML:
        return Response(
            f"404 Not Found: the graph says nothing about <{iri}>\n",
            status=404,
            mimetype="text/plain",
        )
    guess = short_name(iri).replace("_", " ")
    hits = search_index.search(state.settings, guess, limit=10)
    paths = state.paths()
    return _html(
        "not_found.html",
        404,
        title="Not in the graph",
        message="The graph has no statement about this IRI.",
        iri=iri,
        guess=guess,
        hits=[(h, paths.href(h.iri) or paths.describe_href(h.iri)) for h in hits],
    )


def resource_context(state: PagesState, description: Description) -> dict:
    """Everything the resource templates show, as plain view models."""
    viewer = Viewer(state.paths(), description.labels)
    context: dict = {
        "iri": description.iri,
        "title": description.label,
        "types": [viewer.iri(t) for t in description.types],
        "descriptions": [v.value for v in description.values(DCTERMS.description)],
        "properties": property_rows(description, viewer),
        "incoming": incoming_rows(description, viewer),
        "outgoing_truncated": description.outgoing_truncated,
        "incoming_truncated": description.incoming_truncated,
        "graphs": [viewer.iri(g) for g in description.graphs],
        "is_model": MLKG.Model.value in description.types,
    }
    if context["is_model"]:
        context.update(model_context(state, description, viewer))
    return context


def property_rows(description: Description, viewer: Viewer) -> list[tuple[TermView, list]]:
    """(predicate, values) rows, own statements preferred, in predicate order."""
    rows = []
    seen: set[str] = set()
    for statement in description.statements:
        predicate = statement.predicate
        if predicate.value in seen:
            continue
        seen.add(predicate.value)
        values = description.values(predicate)
        if predicate in (SCHEMA.url, SCHEMA.downloadUrl, RDFS.seeAlso):
            views = [viewer.external(v) for v in values]
        else:
            views = viewer.terms(values)
        rows.append((viewer.iri(predicate.value), views))
    return rows


def incoming_rows(description: Description, viewer: Viewer) -> list[tuple[TermView, list]]:
    """Incoming links grouped by predicate: ``(predicate, [subjects])``."""
    grouped: dict[str, list[TermView]] = {}
    for subject, predicate in description.incoming:
        grouped.setdefault(predicate.value, []).append(viewer.iri(subject.value))
    return [(viewer.iri(p), subjects) for p, subjects in grouped.items()]


# -- the model page ---------------------------------------------------------------------------


def model_context(state: PagesState, description: Description, viewer: Viewer) -> dict:
    """Facts, licence, evaluations, training, lineage and links of a model."""
    model = read_model(state.reader, description.iri)
    viewer.labels.update(model.labels)
    evaluations, settings_rows, lineage = model.evaluations, model.settings, model.lineage
    return {
        "facts": _facts(description, viewer),
        "license": _license(description, viewer),
        "links": [
            (name, [viewer.external(v) for v in description.values(predicate)])
            for name, predicate in MODEL_LINKS
            if description.values(predicate)
        ],
        "evaluations": [_evaluation(row, viewer) for row in evaluations[:MAX_EVALUATIONS]],
        "evaluations_truncated": len(evaluations) > MAX_EVALUATIONS,
        "settings": [
            {
                "parameter": viewer.term(r.get("param")) or viewer.term(r.get("setting")),
                "value": viewer.term(r.get("value")),
                "raw": r["raw"].value if r.get("raw") else None,
            }
            for r in settings_rows[:MAX_SETTINGS]
        ],
        "settings_truncated": len(settings_rows) > MAX_SETTINGS,
        "training_runs": _runs(model.runs, viewer),
        "lineage": {key: _lineage(rows, viewer) for key, rows in lineage.items()},
        "lineage_truncated": any(len(rows) > MAX_LINEAGE for rows in lineage.values()),
    }


def _facts(description: Description, viewer: Viewer) -> list[tuple[str, list[TermView]]]:
    facts = []
    for name, predicate in MODEL_FACTS:
        values = description.values(predicate)
        if values:
            facts.append((name, viewer.terms(values)))
    return facts


def _license(description: Description, viewer: Viewer) -> dict:
    """The licence, and whether the card declared it or the zoo's default was applied."""
    defaulted = description.first(MLKG.licenseDefaulted)
    written = description.first(MLKG.licenseName)
    return {
        "values": viewer.terms(description.values(DCTERMS.license)),
        "defaulted": isinstance(defaulted, Literal) and defaulted.value in ("true", "1"),
        "as_written": written.value if isinstance(written, Literal) else None,
    }


def _evaluation(row: dict, viewer: Viewer) -> dict:
    dataset = row.get("dataset") or row.get("on")
    verified = row.get("verified")
    return {
        "metric": viewer.term(row.get("metric")),
        "value": row["value"].value,
        "spread": row["spread"].value if row.get("spread") else None,
        "raw": row["raw"].value if row.get("raw") else None,
        "dataset": viewer.term(dataset),
        "split": row["split"].value if row.get("split") else None,
        "label": viewer.term(row.get("label")),
        "verified": None if verified is None else verified.value in ("true", "1"),
        "name": row["name"].value if row.get("name") else None,
        "iri": viewer.term(row.get("e")),
    }


def _runs(rows: list[dict], viewer: Viewer) -> list[dict]:
    runs: dict[str, dict] = {}
    for row in rows:
        run = runs.setdefault(row["run"].value, {"run": viewer.term(row["run"]), "datasets": []})
        if row.get("dataset") is not None:
            run["datasets"].append(viewer.term(row["dataset"]))
    return list(runs.values())


def _lineage(rows: list[dict], viewer: Viewer) -> list[dict]:
    return [
        {
            "target": viewer.term(row["x"]),
            "relation": viewer.term(row.get("rel")),
            "version": row["version"].value if row.get("version") else None,
        }
        for row in rows[:MAX_LINEAGE]
    ]


# -- ontology and VoID ------------------------------------------------------------------------

ONTOLOGY_FORMATS: tuple[Format, ...] = RESOURCE_FORMATS


def ontology_page() -> Response:
    fmt = choose_format(request.args.get("format"), request.headers.get("Accept"), ONTOLOGY_FORMATS)
    if fmt is None:
        return _not_acceptable(ONTOLOGY_FORMATS)
    alternates = _alternates_for(request.script_root + "/ontology")
    headers = {"Vary": "Accept", "Link": _link_header(alternates)}
    if fmt is not HTML:
        return Response(
            ontology_document(fmt.media_type), headers=headers, content_type=fmt.content_type
        )
    paths = _state().paths()
    viewer = Viewer(paths, {t.iri: t.label for t in ontology_terms()})
    terms = [
        {
            "term": term,
            "parents": [viewer.iri(p) for p in term.parents],
            "domain": [viewer.iri(d) for d in term.domain],
            "range": [viewer.iri(r) for r in term.range],
        }
        for term in ontology_terms()
    ]
    response = _html(
        "ontology.html",
        header=ontology_header(),
        terms=terms,
        iri=ONTOLOGY_IRI,
        alternates=alternates,
    )
    response.headers.update(headers)
    return response


def void_page() -> Response:
    from mlkg.export import void_counts, void_description

    state = _state()
    fmt = choose_format(request.args.get("format"), request.headers.get("Accept"), RESOURCE_FORMATS)
    if fmt is None:
        return _not_acceptable(RESOURCE_FORMATS)
    endpoint = request.host_url.rstrip("/") + request.script_root + state.sparql_path
    try:
        counts = state.cached("void", lambda: void_counts(state.reader, state.settings))
        triples = void_description(state.reader, state.settings, endpoint, counts=counts)
    except StoreError as exc:
        return _store_missing(exc)
    alternates = _alternates_for(request.script_root + "/.well-known/void")
    headers = {"Vary": "Accept", "Link": _link_header(alternates)}
    if fmt is not HTML:
        return Response(
            serialize_triples(triples, fmt.media_type),
            headers=headers,
            content_type=fmt.content_type,
        )
    turtle = serialize_triples(triples, "text/turtle").decode("utf-8")
    response = _html(
        "void.html",
        counts=counts,
        turtle=turtle,
        alternates=alternates,
        endpoint=endpoint,
        title="VoID description",
    )
    response.headers.update(headers)
    return response
