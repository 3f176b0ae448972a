"""Lookups into the SKOS vocabularies shipped in ``ontology/vocab/``.

Crawlers normalise what zoos say ("imagenet-ilsvrc-2012-cls", "Apache 2.0", "audio-stt") onto one
concept per thing. A concept is found by its ``skos:prefLabel``, ``skos:altLabel``,
``skos:notation``, ``dcterms:identifier`` or the last segment of its IRI, compared after
:func:`normalise_key` (case, punctuation and spacing do not matter).

The vocabulary files are written with the default resource base; :meth:`Vocabulary.find` rebases
the IRIs it returns onto the configured :class:`~mlkg.iris.Iris`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from mlkg.iris import DEFAULT_BASE_IRI, Iris
from mlkg.namespaces import DCTERMS, SKOS
from mlkg.resources import data_dir

_KEY_PREDICATES = {
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.notation,
    SKOS.hiddenLabel,
    DCTERMS.identifier,
}


def normalise_key(value: str) -> str:
    """Fold case, compatibility forms and punctuation away; ``+`` counts (``openrail++``).

    >>> normalise_key("ImageNet-ILSVRC 2012"), normalise_key("Apache 2.0")
    ('imagenetilsvrc2012', 'apache20')
    >>> normalise_key("openrail++") == normalise_key("openrail")
    False
    """
    folded = unicodedata.normalize("NFKC", value).casefold().replace("+", "plus")
    return re.sub(r"[\W_]+", "", folded)


def rebase(iri: str, iris: Iris | None) -> NamedNode:
    """Move an IRI written under the default base onto ``iris.base``; others pass unchanged."""
    if iris is not None and iris.base != DEFAULT_BASE_IRI and iri.startswith(DEFAULT_BASE_IRI):
        iri = iris.base + iri[len(DEFAULT_BASE_IRI) :]
    return NamedNode(iri)


@dataclass(frozen=True)
class Vocabulary:
    """Normalised key → concept IRI, per concept scheme (``datasets``, ``tasks``, ...)."""

    index: dict[str, dict[str, str]]
    labels: dict[str, str]

    def find(self, scheme: str, value: str | None, iris: Iris | None = None) -> NamedNode | None:
        """The concept of ``scheme`` that ``value`` names, or ``None``.

        >>> load_vocabulary().find("licenses", "apache-2.0").value
        'http://spdx.org/licenses/Apache-2.0'
        """
        if not value or not isinstance(value, str):
            return None
        key = normalise_key(value)
        iri = self.index.get(scheme, {}).get(key) if key else None
        return None if iri is None else rebase(iri, iris)

    def label(self, iri: NamedNode | str) -> str | None:
        """The ``skos:prefLabel`` of a concept (default-base IRI or rebased), if any."""
        value = iri.value if isinstance(iri, NamedNode) else iri
        return self.labels.get(value)

    def schemes(self) -> list[str]:
        return sorted(self.index)


def scheme_name(scheme_iri: str) -> str:
    """``.../vocabulary/datasets`` → ``datasets``."""
    return scheme_iri.rstrip("/").rsplit("/", 1)[-1]


def build_vocabulary(paths: list[Path]) -> Vocabulary:
    """Index the concepts of the given Turtle files by every key that names them."""
    in_scheme: dict[str, str] = {}
    keys: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for path in paths:
        for triple in parse(path=path, format=RdfFormat.TURTLE):
            subject, predicate, obj = triple.subject, triple.predicate, triple.object
            if not isinstance(subject, NamedNode):
                continue
            if predicate == SKOS.inScheme and isinstance(obj, NamedNode):
                in_scheme[subject.value] = scheme_name(obj.value)
            elif predicate in _KEY_PREDICATES and isinstance(obj, Literal):
                keys[subject.value].add(obj.value)
                if predicate == SKOS.prefLabel and (obj.language in (None, "en")):
                    labels.setdefault(subject.value, obj.value)
    index: dict[str, dict[str, str]] = defaultdict(dict)
    for concept, scheme in sorted(in_scheme.items()):
        names = keys[concept] | {concept.rstrip("/").rsplit("/", 1)[-1]}
        for name in sorted(names):
            key = normalise_key(name)
            if key:
                index[scheme].setdefault(key, concept)
    return Vocabulary(index=dict(index), labels=labels)


@cache
def load_vocabulary() -> Vocabulary:
    """The vocabulary from the shipped ``ontology/vocab/*.ttl`` files (read once per process)."""
    return build_vocabulary(sorted((data_dir("ontology") / "vocab").glob("*.ttl")))
