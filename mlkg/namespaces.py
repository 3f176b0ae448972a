"""The namespaces mlkg writes, as pyoxigraph term factories.

``MLKG.Model`` is ``NamedNode("https://w3id.org/mlkg/ontology#Model")``. The ontology namespace is
fixed: it is the public vocabulary every query is written against. Resource IRIs use a configurable
base instead (see :mod:`mlkg.iris`).
"""

from __future__ import annotations

from pyoxigraph import NamedNode


class Namespace:
    """An IRI prefix whose attributes and items are :class:`NamedNode` terms.

    Not a ``str`` subclass on purpose: ``DCTERMS.title`` must be the term, not ``str.title``.
    ``str(namespace)`` gives the prefix IRI.
    """

    def __init__(self, iri: str):
        self._iri = iri

    def __getattr__(self, name: str) -> NamedNode:
        """Called once per name: the term is then kept as an instance attribute, so later
        lookups are plain attribute reads (the mappers ask for the same few hundred terms
        millions of times, and making a NamedNode validates its IRI each time)."""
        if name.startswith("_"):
            raise AttributeError(name)
        term = self.__dict__[name] = NamedNode(self._iri + name)
        return term

    def __getitem__(self, name: str) -> NamedNode:
        return NamedNode(self._iri + name)

    def __str__(self) -> str:
        return self._iri

    def __repr__(self) -> str:
        return f"Namespace({self._iri!r})"


ONTOLOGY_IRI = "https://w3id.org/mlkg/ontology"
MLKG = Namespace(ONTOLOGY_IRI + "#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SCHEMA = Namespace("https://schema.org/")
MLS = Namespace("http://www.w3.org/ns/mls#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/licenses/")

#: Prefixes for queries, exports and the query editor, in a stable order.
PREFIXES: dict[str, str] = {
    "mlkg": str(MLKG),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "schema": str(SCHEMA),
    "mls": str(MLS),
    "foaf": str(FOAF),
    "sh": str(SH),
    "void": str(VOID),
    "spdx": str(SPDX),
}


def sparql_prologue(extra: dict[str, str] | None = None) -> str:
    """``PREFIX`` lines for :data:`PREFIXES` (plus ``extra``), to put in front of a query."""
    prefixes = {**PREFIXES, **(extra or {})}
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
