"""The SPARQL 1.1 Service Description of the endpoint, answered to a GET without a query.

https://www.w3.org/TR/sparql11-service-description/ — what the endpoint speaks: languages,
result and input formats, features (the default graph is the union of all named graphs), and
the default dataset (oxigraph ``cli/src/service_description.rs``).
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from mlkg.server.negotiation import GRAPH_PYOXIGRAPH

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")

#: Result formats by their W3C format IRI (https://www.w3.org/ns/formats/).
RESULT_FORMAT_IRIS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
    "N-Quads",
    "TriG",
)
INPUT_FORMAT_IRIS = ("Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG")


def _sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def description_triples(endpoint: str, *, updates_enabled: bool) -> list[Triple]:
    """The description as triples; ``endpoint`` is the URL the client called."""
    service, dataset, default_graph = BlankNode(), BlankNode(), BlankNode()
    triples = [
        Triple(service, RDF_TYPE, _sd("Service")),
        Triple(service, _sd("endpoint"), NamedNode(endpoint)),
        Triple(service, RDFS_LABEL, Literal("mlkg SPARQL endpoint")),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        Triple(service, _sd("feature"), _sd("EmptyGraphs")),
        Triple(
            service,
            _sd("defaultEntailmentRegime"),
            NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        Triple(service, _sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, _sd("Dataset")),
        Triple(dataset, _sd("defaultGraph"), default_graph),
        Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    if updates_enabled:
        triples.append(Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
        triples += [
            Triple(service, _sd("inputFormat"), NamedNode(FORMATS + name))
            for name in INPUT_FORMAT_IRIS
        ]
    triples += [
        Triple(service, _sd("resultFormat"), NamedNode(FORMATS + name))
        for name in RESULT_FORMAT_IRIS
    ]
    return triples


def service_description(endpoint: str, *, updates_enabled: bool, media_type: str) -> bytes:
    """The description serialised in an RDF media type of :data:`GRAPH_PYOXIGRAPH`."""
    rdf_format: RdfFormat = GRAPH_PYOXIGRAPH[media_type]
    prefixes = {"sd": SD, "formats": FORMATS}
    triples = description_triples(endpoint, updates_enabled=updates_enabled)
    return serialize(triples, format=rdf_format, prefixes=prefixes) or b""
