"""Just enough SPARQL lexing to apply the protocol's dataset parameters to a request's text.

Pyoxigraph takes a query's dataset as arguments but has no such arguments for updates, and its
union-default-graph option overrides a query's own ``FROM``. So the endpoint needs to know
whether a query names its dataset, whether an update has ``USING``/``WITH`` (the protocol
forbids combining them with ``using-graph-uri``), and to add ``USING`` clauses to an update's
operations. A lexer that skips IRIs, strings and comments and tracks brace depth is enough: these
keywords only matter outside group graph patterns (depth 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
        |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    | (?P<var>[?$][\w\u00b7\u00c0-\uffff]+)
    | (?P<word>[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*(?::[^\s{}()<>,;'"]*)?
        |:[^\s{}()<>,;'"]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    depth: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens with their brace depth (whitespace and comments dropped)."""
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in {"space", "comment"}:
            continue
        value = match.group()
        if value == "}":
            depth = max(0, depth - 1)
        yield Token(kind, value, match.start(), depth)
        if value == "{":
            depth += 1


def has_dataset_clause(query: str) -> bool:
    """Whether a query has its own ``FROM`` / ``FROM NAMED``.

    >>> has_dataset_clause("SELECT * FROM <g> WHERE { ?s ?p '# FROM' }")
    True
    >>> has_dataset_clause("SELECT * WHERE { ?s <http://e/FROM> ?o } # FROM <x>")
    False
    """
    return any(t.depth == 0 and t.is_keyword("FROM") for t in tokens(query))


def has_using_or_with(update: str) -> bool:
    """Whether an update names its own dataset with ``USING`` or ``WITH``.

    >>> has_using_or_with("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    True
    >>> has_using_or_with("INSERT DATA { <s> <p> 'WITH' }")
    False
    """
    return any(t.depth == 0 and t.is_keyword("USING", "WITH") for t in tokens(update))


def add_using(update: str, default: Sequence[str], named: Sequence[str]) -> str:
    """Add ``USING <g>`` / ``USING NAMED <g>`` to each DELETE/INSERT ... WHERE operation.

    That is what the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` mean
    (https://www.w3.org/TR/sparql11-protocol/#update-dataset). ``DELETE WHERE`` and the
    ``DATA`` forms take no ``USING`` and are left as they are.

    >>> add_using("INSERT { ?s a <C> } WHERE { ?s a <D> }", ["http://e/g"], [])
    'INSERT { ?s a <C> } USING <http://e/g> WHERE { ?s a <D> }'
    """
    clauses = " ".join(
        [f"USING <{iri}>" for iri in default] + [f"USING NAMED <{iri}>" for iri in named]
    )
    if not clauses:
        return update
    inserts = []
    previous: Token | None = None
    for token in tokens(update):
        if token.depth == 0 and token.is_keyword("WHERE") and previous and previous.text == "}":
            inserts.append(token.start)
        previous = token
    for position in reversed(inserts):
        update = f"{update[:position]}{clauses} {update[position:]}"
    return update
