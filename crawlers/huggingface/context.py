"""What every part of the Hugging Face mapper needs: the record being filled, IRIs, vocabulary.

The submodules (evaluations, training, lineage, datasets) receive one :class:`Context` instead of
five arguments, and mint every node through its helpers, so a stub always carries what the
shapes ask of it (type, identifier, label, hub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from pyoxigraph import BlankNode, Literal, NamedNode

from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, MLKG, RDF, RDFS, SCHEMA, SKOS
from mlkg.rdf import text, url
from mlkg.records import MappedRecord, Term
from mlkg.vocabulary import Vocabulary

HUB = "huggingface"
HUB_URL = "https://huggingface.co/"

#: A Hub repository id, as ``huggingface_hub.utils.validate_repo_id`` accepts it:
#: an optional namespace, a name of at most 96 characters, no ``--`` or ``..``.
_REPO_ID = re.compile(r"(?:[\w][\w.-]{0,95}/)?[\w][\w.-]{0,95}")


def is_repo_id(value: str) -> bool:
    """Whether ``value`` can be a Hub repository id.

    >>> is_repo_id("google/flan-t5-base"), is_repo_id("gpt2"), is_repo_id("a b"), is_repo_id("a--b")
    (True, True, False, False)
    """
    return (
        bool(_REPO_ID.fullmatch(value))
        and "--" not in value
        and ".." not in value
        and not value.endswith((".", "-"))
    )


def hub_url(repo_id: str, kind: str = "model") -> NamedNode | None:
    """The Hub page of a repository (``https://huggingface.co/datasets/x`` for a dataset)."""
    path = "/".join(quote(part, safe="-._~") for part in repo_id.split("/"))
    return url(f"{HUB_URL}{'datasets/' if kind == 'dataset' else ''}{path}")


@dataclass
class Context:
    """The record under construction plus the factories the mapping rules share."""

    record: MappedRecord
    iris: Iris
    vocab: Vocabulary
    hub: NamedNode
    repo_id: str = ""
    kind: str = "model"
    subject: NamedNode | None = None
    #: Evaluations minted and metrics read so far (caps on huge model-indexes, across sources).
    evaluations: int = 0
    metrics_read: int = 0
    _stubs: set[NamedNode] = field(default_factory=set)

    def add(self, subject: NamedNode | BlankNode, predicate: NamedNode, obj: Term | None) -> None:
        self.record.add(subject, predicate, obj)

    def warn(self, message: str) -> None:
        self.record.warn(message)

    def first_time(self, node: NamedNode) -> bool:
        """True once per node: stubs are written once per record."""
        if node in self._stubs:
            return False
        self._stubs.add(node)
        return True

    def model_stub(self, repo_id: str) -> NamedNode:
        """A Model another record describes: type, id, label, hub and page (``repo_id`` checked)."""
        node = self.iris.model(HUB, repo_id)
        if self.first_time(node):
            self.add(node, RDF.type, MLKG.Model)
            self.add(node, DCTERMS.identifier, Literal(repo_id))
            self.add(node, RDFS.label, Literal(repo_id))
            self.add(node, MLKG.hub, self.hub)
            self.add(node, SCHEMA.url, hub_url(repo_id))
        return node

    def concept(self, scheme: str, written: str, kind: NamedNode, minted: NamedNode) -> NamedNode:
        """The vocabulary's concept for ``written``, or ``minted`` with a stub keeping the id."""
        found = self.vocab.find(scheme, written, self.iris)
        if found is not None:
            return found
        if self.first_time(minted):
            self.add(minted, RDF.type, kind)
            self.add(minted, RDFS.label, text(written))
            self.add(minted, SKOS.notation, text(written))
        return minted
