"""Formats the server speaks and the one content-negotiation function.

Each format family is one table with every identity of a format — the media type it is served
as, the aliases a client may ask for, the short names of the ``format`` parameter — so the
endpoint, the graph store and the service description agree (oxigraph ``cli/src/main.rs``
``content_negotiation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    """One serialisation: its canonical media type, aliases and ``format=`` names."""

    media_type: str
    names: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header value: text types say they are UTF-8."""
        if self.media_type.startswith("text/"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def all_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


#: SPARQL results (SELECT, ASK). The first is the default when the client accepts anything.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("application/sparql-results+json", ("json", "srj"), ("application/json",)),
    Format("application/sparql-results+xml", ("xml", "srx"), ("application/xml", "text/xml")),
    Format("text/csv", ("csv",)),
    Format("text/tab-separated-values", ("tsv",)),
)
#: ASK answers: the CSV/TSV result formats have no boolean form.
BOOLEAN_FORMATS: tuple[Format, ...] = RESULT_FORMATS[:2]

#: RDF graphs (CONSTRUCT, DESCRIBE, the graph store, the service description).
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("text/turtle", ("turtle", "ttl"), ("application/x-turtle",)),
    Format("application/n-triples", ("ntriples", "nt"), ("text/plain",)),
    Format("application/ld+json", ("jsonld", "json-ld", "json"), ("application/json",)),
    Format("application/rdf+xml", ("rdfxml", "rdf", "xml"), ("application/xml", "text/xml")),
    Format("application/n-quads", ("nquads", "nq"), ("text/x-nquads",)),
    Format("application/trig", ("trig",), ("application/x-trig",)),
)

RESULT_PYOXIGRAPH: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
GRAPH_PYOXIGRAPH: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs; a malformed q counts as 0 (not acceptable).

    >>> parse_accept("text/turtle;q=0.5, application/ld+json")
    [('text/turtle', 0.5), ('application/ld+json', 1.0)]
    """
    ranges = []
    for part in (header or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def _quality(media_type: str, ranges: Sequence[tuple[str, float]]) -> tuple[float, int]:
    """The q of the most specific range matching ``media_type``, and that specificity (0-2)."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] | None = None
    for media_range, q in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range in {"*/*", "*"}:
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, q)
    return (0.0, -1) if best is None else (best[1], best[0])


def negotiate(accept: str | None, formats: Sequence[Format]) -> Format | None:
    """The format to answer with, or None when the client accepts none of ``formats``.

    No (or an empty) ``Accept`` means anything: the first format. Otherwise the highest q
    wins; among equal q, the more specific match (exact type over ``type/*`` over ``*/*``),
    then the order of ``formats`` (so ``*/*`` picks the default). An alias such as
    ``application/json`` counts as its format.

    >>> negotiate("text/csv;q=0.9, application/sparql-results+xml", RESULT_FORMATS).names[0]
    'xml'
    >>> negotiate("text/*", RESULT_FORMATS).media_type
    'text/csv'
    >>> negotiate("image/png", RESULT_FORMATS) is None
    True
    """
    ranges = parse_accept(accept)
    if not ranges:
        return formats[0]
    best: tuple[float, int, int] | None = None
    chosen = None
    for index, fmt in enumerate(formats):
        # Aliases count only when named exactly: text/* must not pick XML through text/xml.
        exact_aliases = [(q, 2) for r, q in ranges if r in fmt.aliases]
        q, specificity = max([_quality(fmt.media_type, ranges), *exact_aliases])
        if q <= 0:
            continue
        key = (q, specificity, -index)
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen


def by_name(name: str, formats: Sequence[Format]) -> Format | None:
    """The format a ``format=`` parameter names: a short name or a media type."""
    wanted = name.strip().lower()
    for fmt in formats:
        if wanted in fmt.names or wanted in fmt.all_types:
            return fmt
    return None


def graph_format_of(content_type: str | None) -> RdfFormat | None:
    """The RDF format of a request body's Content-Type (parameters ignored), or None."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for fmt in GRAPH_FORMATS:
        if media in fmt.all_types:
            return GRAPH_PYOXIGRAPH[fmt.media_type]
    return None
