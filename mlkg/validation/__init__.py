"""SHACL validation compiled to SPARQL and run in an in-memory Oxigraph store.

pyshacl walks the graph node by node in Python; over the Hub's millions of records that takes
hours. Here each SHACL constraint is compiled once into ONE SPARQL ``SELECT`` that finds every
violation of that constraint across a whole batch of records at once, so the work runs in
Oxigraph's Rust query engine and Python only touches the (few) violations.

Semantics: each record is validated *as if alone*: its named graph together with the
*background* (ontology + SKOS vocabularies), exactly what pyshacl reports for that record's graph
merged with the background, restricted to focus nodes that occur in the record's graph (nodes of
the background that a record never mentions are validated once, against the background alone, and
reported as :attr:`Validator.background_violations`). Physically, a batch is one store: every
record's triples in its own named graph and the background in :data:`BACKGROUND_GRAPH`. Every
query reads a focus node's values and types from ``GRAPH ?g`` (its own record) and the background
graph only, never from another record's graph, so a stub typed in record A cannot satisfy a
check in record B.

Supported SHACL Core subset (anything else raises :class:`~mlkg.errors.ShapeCompilationError`):
node shapes with ``sh:targetClass`` (instances of subclasses too, and implicit class targets),
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; ``sh:property`` with ``sh:path`` an IRI or
``[ sh:inversePath IRI ]``; ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:class``,
``sh:nodeKind``, ``sh:in``, ``sh:hasValue``, ``sh:pattern`` (+ ``sh:flags`` ``i``/``m``),
``sh:min/maxInclusive``, ``sh:min/maxExclusive``, ``sh:min/maxLength``, ``sh:or`` of shapes that
each hold exactly one ``sh:class``/``sh:datatype``/``sh:nodeKind``; value-type constraints on a
node shape's focus node itself; ``sh:severity``, ``sh:message``, ``sh:deactivated``.

Queries (see :func:`_render`): a value check starts from the path's triples in the record graphs,
keeps bad values, then tests with ``EXISTS`` that the subject is a focus node of that graph, so
the usual, valid batch costs one index scan per constraint; ``sh:minCount``/``sh:hasValue``
enumerate focus nodes and test ``NOT EXISTS``. Subclass closures are inlined as IRI lists
(:class:`Schema`), and the background graph is only consulted where it holds matching triples.
Where Oxigraph's and rdflib's views of a literal differ (is ``"1_0"^^xsd:double`` well typed?
does ``"1"^^xsd:double`` match ``\\.``?), the query keeps the value as a *candidate* and a small
Python check reproduces pyshacl's rdflib semantics for it.

Known differences from pyshacl (none arises with literals written by :mod:`mlkg.rdf`):

* Term identity is RDF's, as Oxigraph stores it. rdflib rewrites some non-canonical literals
  (``" 7"^^xsd:integer`` becomes ``"7"``, ``"yes"^^xsd:boolean`` becomes ``"false"``, a bare date
  typed ``xsd:dateTime`` gains ``T00:00:00``) and then treats them as equal to the rewritten term,
  in data and in ``sh:in``/``sh:hasValue`` constants. Counts and equality can differ for such
  literals.
* Oxigraph turns ``T24:00:00`` into the next day, so such a dateTime is well typed here.
* ``sh:pattern`` runs in Oxigraph's regex engine: look-around and back-references are rejected
  when compiling, and ``$`` does not match before a final newline as in Python.
* Blank-node classes in the class hierarchy are ignored.

Spec: https://www.w3.org/TR/shacl/ ; reference implementation in the tests: pyshacl.
"""

from mlkg.validation._common import BACKGROUND_GRAPH, DEFAULT_BATCH_SIZE, CompiledConstraint, Schema
from mlkg.validation.compiler import compile_shapes
from mlkg.validation.report import report_to_turtle
from mlkg.validation.validator import Validator

__all__ = [
    "BACKGROUND_GRAPH",
    "DEFAULT_BATCH_SIZE",
    "CompiledConstraint",
    "Schema",
    "Validator",
    "compile_shapes",
    "report_to_turtle",
]
