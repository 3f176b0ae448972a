"""mlkg.validation: SHACL compiled to SPARQL must report what pyshacl reports.

pyshacl is the reference: every fixture record (tests/validation/records.trig) and every random
graph of the property test is validated by both, pyshacl on the record's graph merged with the
background, and the sets of (focus node, path, constraint component) must be equal. pyshacl also
reports background nodes a record never mentions; mlkg reports those once, in
``Validator.background_violations``, so the comparison keeps focus nodes that occur in the record.
"""

from __future__ import annotations

import doctest
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pyshacl
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import BlankNode, NamedNode, RdfFormat, Store, Triple, parse

import mlkg.validation
from mlkg.errors import ShapeCompilationError
from mlkg.records import MappedRecord, Verdict, Violation
from mlkg.resources import shape_files
from mlkg.validation import Validator, compile_shapes, report_to_turtle

HERE = Path(__file__).parent / "validation"
REPO = Path(__file__).resolve().parent.parent
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://example.org/"
PREFIXES = f"""
@prefix sh: <{SH}> . @prefix xsd: <{XSD}> . @prefix ex: <{EX}> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""

Key = tuple[str, str | None, str]

# rdflib warns about the ill-typed literals the fixtures contain on purpose.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Parsing weird boolean"),
    pytest.mark.filterwarnings("ignore:Serializing weird numerical"),
]


# --------------------------------------------------------------------------- helpers


def to_rdflib(term):
    """The rdflib term a parser would build (plain literal for xsd:string)."""
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD + "string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def canonical(text: str) -> str:
    """A term (N-Triples syntax) reduced to what both validators agree it is.

    Oxigraph and rdflib normalise typed literals differently (Oxigraph writes "1.50"^^xsd:decimal
    as "1.5", rdflib keeps it; rdflib turns "1_0"^^xsd:double into "10.0", Oxigraph keeps it),
    so a typed literal is compared by its rdflib value.
    """
    term = next(iter(parse(input=f"<urn:x> <urn:x> {text} .", format=RdfFormat.N_TRIPLES))).object
    with quiet_rdflib():
        return node_key(to_rdflib(term))


def node_key(node: rdflib.term.Node) -> str:
    value = getattr(node, "value", None)
    if not isinstance(node, rdflib.Literal) or value is None or isinstance(value, str):
        return node.n3()
    shown = str(value.normalize()) if isinstance(value, Decimal) else repr(value)
    return f'"{shown}"^^<{node.datatype}>'


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for each ill-typed literal; the fixtures have them on purpose."""
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def pyshacl_keys(shapes: rdflib.Graph, triples: list[Triple], background: list[Triple]) -> set[Key]:
    """pyshacl's results on record + background, for focus nodes that occur in the record."""
    shapes_copy = rdflib.Graph()
    shapes_copy += shapes  # pyshacl adds RDFS/OWL axioms to the shapes graph it is given
    data = rdflib.Graph()
    with quiet_rdflib():
        for t in [*triples, *background]:
            data.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        _, results, _ = pyshacl.validate(data, shacl_graph=shapes_copy, inference="none")
        occurs = {node_key(to_rdflib(x)) for t in triples for x in (t.subject, t.object)}
    keys = set()
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = node_key(results.value(result, SH.focusNode))
        if focus in occurs:
            path = results.value(result, SH.resultPath)
            if isinstance(path, rdflib.BNode):
                path = f"^<{results.value(path, SH.inversePath)}>"
            elif path is not None:
                path = f"<{path}>"
            keys.add((focus, path, str(results.value(result, SH.sourceConstraintComponent))))
    return keys


def keys(violations: list[Violation]) -> set[Key]:
    return {(canonical(v.focus), v.path, v.constraint) for v in violations}


def read_records(path: Path) -> list[MappedRecord]:
    """One MappedRecord per named graph of a TriG file, in file order."""
    graphs: dict[NamedNode, list[Triple]] = defaultdict(list)
    for quad in parse(path=str(path)):
        graphs[quad.graph_name].append(quad.triple)
    return [
        MappedRecord("test", g.value.rsplit("/", 1)[-1], g, triples=triples)
        for g, triples in graphs.items()
    ]


def read_triples(path: Path) -> list[Triple]:
    return [quad.triple for quad in parse(path=str(path))]


def shapes_from(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + text, format="turtle")


def record(name: str, turtle: str) -> MappedRecord:
    triples = [q.triple for q in parse(input=PREFIXES + turtle, format=RdfFormat.TURTLE)]
    return MappedRecord("test", name, NamedNode(f"{EX}graph/{name}"), triples=triples)


def short(key: Key) -> tuple[str, str | None, str]:
    """(focus, path, component) with namespaces cut, for readable expectations."""
    focus, path, component = key
    return (
        _cut(focus),
        _cut(path),
        component.removeprefix(str(SH)).removesuffix("ConstraintComponent"),
    )


def _cut(text: str | None) -> str | None:
    if text is None or not text.lstrip("^").startswith("<"):
        return text
    inverse = "^" if text.startswith("^") else ""
    iri = text.lstrip("^")[1:-1]
    return inverse + iri.replace(EX, "").replace(str(rdflib.RDFS), "rdfs:")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(HERE / "shapes.ttl")


@pytest.fixture(scope="module")
def background() -> list[Triple]:
    return read_triples(HERE / "background.ttl")


@pytest.fixture(scope="module")
def validator(shapes: rdflib.Graph, background: list[Triple]) -> Validator:
    return Validator(shapes=shapes, background=background)


RECORDS = read_records(HERE / "records.trig")


# --------------------------------------------------------------------------- fixtures vs pyshacl


@pytest.mark.parametrize("record", RECORDS, ids=[r.record_id for r in RECORDS])
def test_fixture_record_matches_pyshacl(validator, shapes, background, record):
    (verdict,) = validator.validate([record])
    assert keys(verdict.violations) == pyshacl_keys(shapes, record.triples, background)


def test_fixture_records_report_what_their_comments_say(validator):
    """Spot checks written by hand, so a shared blind spot of both validators still fails."""
    found = {
        v.record.record_id: {short(k) for k in keys(v.violations)}
        for v in validator.validate(RECORDS)
    }
    assert found["good"] == set()
    assert found["stub-a"] == set()
    assert {
        ("nameless", "name", "MinCount"),
        ("shorty", "name", "MinLength"),
        ("lengthy", "name", "MaxLength"),
    } <= found["missing"]
    assert found["counts"] == {
        ("tom", "name", "MaxCount"),
        ("tom", "weight", "MaxCount"),
        ("tom", "friend", "MinCount"),
        ("tom", "^owns", "MinCount"),
        ("tom", "kingdom", "HasValue"),
    }
    assert {
        ("fido", "name", "Datatype"),
        ("fido", "weight", "Datatype"),
        ("fido", "born", "Datatype"),
        ("fido", "bornOn", "Datatype"),
        ("fido", "vaccinated", "Datatype"),
        ("fido", "price", "Datatype"),
        ("fido", "rank", "Datatype"),
        ("fido", "motto", "Datatype"),
        ("fido", "legs", "Datatype"),
    } <= found["datatypes"]
    # rdflib accepts these lexical forms, so pyshacl does and so must we ...
    assert not {k for k in found["lexical"] if k[1] in ("weight", "legs", "born", "price")}
    # ... and rejects these
    assert {("odd", "bornOn", "Datatype"), ("odd", "rank", "Datatype")} <= found["lexical"]
    assert {
        ("zero", "weight", "MinExclusive"),
        ("zero", "legs", "MaxExclusive"),
        ("neg", "legs", "MinInclusive"),
        ("neg", "weight", "MinExclusive"),
        ("bob", "age", "MinInclusive"),
        ("bob", "age", "MaxInclusive"),
    } <= found["ranges"]
    assert ("neg", "weight", "MaxInclusive") not in found["ranges"]  # NaN <= 1000 per rdflib
    assert {
        ("max", "owner", "Class"),
        ("max", "owner", "NodeKind"),
        ("max", "colour", "In"),
        ("max", "code", "Pattern"),
        ("max", "home", "Or"),
        ("max", "nickname", "NodeKind"),
        ('"boring"', None, "In"),
        ("notALiteral", None, "NodeKind"),
        ("notALiteral", None, "Datatype"),
        ("Wolf", None, "HasValue"),
        ('"wolf"', None, "NodeKind"),
    } <= found["values"]
    assert ("max", "kingdom", "HasValue") not in found["values"]
    assert found["owners"] == {
        ("carol", None, "Class"),
        ("carol", "owns", "Class"),
        ("carol", "owns", "NodeKind"),
    }
    assert found["people"] == {("urn:other:erin", None, "Pattern")}
    assert found["places"] == {
        ("Springfield", "rdfs:label", "MinCount"),
        ("homer", "friend", "MinCount"),
        ("homer", "^owns", "MinCount"),
    }
    assert ("bello", "owner", "Class") in found["stub-b"]
    assert ("tibbles", "name", "MinCount") in found["subclass"]
    assert any(k[1] is None and k[2] == "NodeKind" for k in found["blank"])


def test_fixtures_exercise_every_supported_component(validator):
    components = {short(k)[2] for v in validator.validate(RECORDS) for k in keys(v.violations)}
    assert components == {
        *("MinCount", "MaxCount", "Datatype", "Class", "NodeKind", "In", "HasValue"),
        *("Pattern", "MinInclusive", "MaxInclusive", "MinExclusive", "MaxExclusive"),
        *("MinLength", "MaxLength", "Or"),
    }


# --------------------------------------------------------------------------- semantics


def test_a_stub_in_one_record_does_not_satisfy_another(validator):
    stub = record("a", "ex:gina a ex:Person .")
    user = record(
        "b", "ex:bello a ex:Dog ; ex:name 'Bello' ; ex:kingdom ex:Animalia ; ex:owner ex:gina ."
    )
    both = validator.validate([stub, user])
    assert both[0].violations == []
    classes = [v for v in both[1].violations if v.constraint.endswith("ClassConstraintComponent")]
    assert [(v.focus, v.path, v.value) for v in classes] == [
        (f"<{EX}bello>", f"<{EX}owner>", f"<{EX}gina>")
    ]
    assert not both[1].accepted
    # The same reference with the stub in its own record is fine.
    own = record(
        "c",
        "ex:gina a ex:Person . ex:bello a ex:Dog ; ex:name 'Bello' ; "
        "ex:kingdom ex:Animalia ; ex:owner ex:gina .",
    )
    assert not any(v.path == f"<{EX}owner>" for v in validator.validate([own])[0].violations)


def test_batches_give_the_same_results_as_one_by_one(shapes, background):
    one_by_one = Validator(shapes=shapes, background=background, batch_size=1, workers=1)
    single = [set(one_by_one.validate([r])[0].violations) for r in RECORDS]
    assert sum(map(len, single)) > 50
    assert [set(v.violations) for v in one_by_one.validate(RECORDS)] == single
    for batch_size in (4, 1000):
        batched = Validator(shapes=shapes, background=background, batch_size=batch_size)
        assert [set(v.violations) for v in batched.validate(RECORDS)] == single


def test_same_graph_twice_in_one_call_is_validated_twice(validator):
    bad = next(r for r in RECORDS if r.record_id == "counts")
    verdicts = validator.validate([bad, bad])
    assert set(verdicts[0].violations) == set(verdicts[1].violations) != set()


def test_a_record_that_failed_mapping_is_not_validated(validator):
    broken = MappedRecord("test", "broken", NamedNode(f"{EX}graph/broken"), error="binary file")
    broken.triples = list(RECORDS[1].triples)  # would violate, but must not even be run
    verdicts = validator.validate([broken, RECORDS[0]])
    assert verdicts[0].record is broken and verdicts[0].violations == []
    assert not verdicts[0].accepted and verdicts[1].accepted


def test_severity_warning_and_info_do_not_reject(validator):
    lonely = record("lonely", "ex:solo a ex:Animal ; ex:name 'Solo' ; ex:kingdom ex:Animalia .")
    (verdict,) = validator.validate([lonely])
    assert {(v.path, v.severity) for v in verdict.violations} == {
        (f"^<{EX}owns>", "Warning"),
        (f"<{EX}friend>", "Info"),
    }
    assert verdict.accepted


def test_messages_come_from_sh_message_or_name_the_property(validator):
    (verdict,) = validator.validate([record("k", "ex:k a ex:Animal ; ex:name 'K', 'L', 'M' .")])
    messages = {v.constraint.rsplit("#", 1)[1]: v.message for v in verdict.violations}
    assert messages["HasValueConstraintComponent"] == "every animal is in the kingdom Animalia"
    assert f"<{EX}name>" in messages["MaxCountConstraintComponent"]
    assert "at most 2" in messages["MaxCountConstraintComponent"]


def test_deactivated_shapes_never_report(validator):
    results = [v for verdict in validator.validate(RECORDS) for v in verdict.violations]
    assert not any(v.path == f"<{EX}never>" for v in results)


def test_subclass_declared_in_a_record_counts_for_that_record_only(validator):
    cat = record("cat", "ex:Cat rdfs:subClassOf ex:Animal . ex:tom a ex:Cat .")
    other = record("other", "ex:felix a ex:Cat .")
    first, second = validator.validate([cat, other])
    assert (f"<{EX}tom>", f"<{EX}name>") in {(v.focus, v.path) for v in first.violations}
    assert second.violations == []


def test_background_nodes_are_validated_once_and_where_a_record_mentions_them(shapes):
    nowhere = Triple(
        NamedNode(f"{EX}Nowhere"), NamedNode(str(rdflib.RDF.type)), NamedNode(f"{EX}City")
    )
    background = [*read_triples(HERE / "background.ttl"), nowhere]
    validator = Validator(shapes=shapes, background=background)
    assert {(v.focus, v.path) for v in validator.background_violations} == {
        (f"<{EX}Nowhere>", f"<{rdflib.RDFS.label}>")
    }
    silent = record("silent", "ex:x ex:unrelated ex:y .")
    mentions = record("mentions", "ex:y ex:home ex:Nowhere .")
    first, second = validator.validate([silent, mentions])
    assert first.violations == []
    assert (f"<{EX}Nowhere>", f"<{rdflib.RDFS.label}>") in {
        (v.focus, v.path) for v in second.violations
    }
    assert keys(second.violations) == pyshacl_keys(shapes, mentions.triples, background)


def test_datatypes_oxigraph_would_erase_are_kept(validator):
    (verdict,) = validator.validate(
        [
            record(
                "int",
                "ex:i a ex:Animal ; ex:name 'Int' ; ex:kingdom ex:Animalia ; "
                "ex:legs '4'^^xsd:int ; ex:rank '3'^^xsd:nonNegativeInteger .",
            )
        ]
    )
    datatype = [
        v for v in verdict.violations if v.constraint.endswith("DatatypeConstraintComponent")
    ]
    assert [(v.path, v.value) for v in datatype] == [(f"<{EX}legs>", f'"4"^^<{XSD}int>')]


def test_validate_graph_takes_rdflib_graphs_and_triples(validator):
    text = PREFIXES + "ex:z a ex:Animal ; ex:kingdom ex:Animalia ."
    graph = rdflib.Graph().parse(data=text, format="turtle")
    triples = [q.triple for q in parse(input=text, format=RdfFormat.TURTLE)]
    expected = {(f"<{EX}z>", f"<{EX}name>", str(SH.MinCountConstraintComponent))}
    assert expected <= keys(validator.validate_graph(graph))
    assert keys(validator.validate_graph(graph)) == keys(validator.validate_graph(triples))


def test_report_is_a_standard_shacl_validation_report(validator):
    verdicts = validator.validate(RECORDS)
    report = rdflib.Graph().parse(data=report_to_turtle(verdicts), format="turtle")
    (node,) = report.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == rdflib.Literal(False)
    results = list(report.objects(node, SH.result))
    assert len(results) == sum(len(v.violations) for v in verdicts)
    for result in results:
        for predicate in (SH.focusNode, SH.sourceConstraintComponent, SH.sourceShape):
            assert report.value(result, predicate) is not None
        assert report.value(result, SH.resultSeverity) in (SH.Violation, SH.Warning, SH.Info)
        assert str(report.value(result, SH.resultMessage))
    inverse = [report.value(r, SH.resultPath) for r in results]
    assert rdflib.URIRef(f"{EX}owns") in {report.value(p, SH.inversePath) for p in inverse}
    values = {report.value(r, SH.value) for r in results}
    assert rdflib.Literal("heavy", datatype=rdflib.XSD.double) in values
    clean = report_to_turtle([Verdict(RECORDS[0])])
    assert (None, SH.conforms, rdflib.Literal(True)) in rdflib.Graph().parse(
        data=clean, format="turtle"
    )


def test_module_docstrings_run():
    assert doctest.testmod(mlkg.validation).failed == 0


# --------------------------------------------------------------------------- unsupported features

UNSUPPORTED = {
    "sh:sparql": "ex:S sh:targetClass ex:A ; sh:sparql [ sh:select 'SELECT $this {}' ] .",
    "sh:node": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; sh:node ex:T ] .",
    "sh:closed": "ex:S sh:targetClass ex:A ; sh:closed true .",
    "sh:qualified": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:qualifiedValueShape [ sh:class ex:B ] ; sh:qualifiedMinCount 1 ] .",
    "sh:targetNode": "ex:S sh:targetNode ex:a ; sh:nodeKind sh:IRI .",
    "sh:languageIn": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:languageIn ('en') ] .",
    "sh:not": "ex:S sh:targetClass ex:A ; sh:not [ sh:class ex:B ] .",
    "sh:and": "ex:S sh:targetClass ex:A ; sh:and ( [ sh:class ex:B ] ) .",
    "sh:xone": "ex:S sh:targetClass ex:A ; sh:xone ( [ sh:class ex:B ] ) .",
    "sh:equals": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .",
    "sh:uniqueLang": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:uniqueLang true ] .",
    "sh:alternativePath": "ex:S sh:targetClass ex:A ; sh:property [ sh:path "
    "[ sh:alternativePath ( ex:p ex:q ) ] ; sh:minCount 1 ] .",
    "sh:zeroOrMorePath": "ex:S sh:targetClass ex:A ; sh:property [ sh:path "
    "[ sh:zeroOrMorePath ex:p ] ; sh:minCount 1 ] .",
    "paths are supported": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ( ex:p ex:q ) ; "
    "sh:minCount 1 ] .",
    "exactly one sh:class": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:or ( [ sh:class ex:B ; sh:datatype xsd:string ] ) ] .",
    "needs a property shape": "ex:S sh:targetClass ex:A ; sh:minCount 1 .",
    "'i' and 'm' only": "ex:S sh:targetClass ex:A ; sh:pattern 'a' ; sh:flags 'x' .",
    "regex engine": "ex:S sh:targetClass ex:A ; sh:pattern '(?<=a)b' .",
    "not a usable regex": "ex:S sh:targetClass ex:A ; sh:pattern '[a-' .",
    "rdfs:Datatype": "ex:S sh:targetClass ex:A ; sh:datatype rdfs:Datatype .",
    "sh:SPARQLConstraint": "ex:S sh:targetClass ex:A . ex:C a sh:SPARQLConstraint .",
    "sh:ConstraintComponent": "ex:C a sh:ConstraintComponent ; "
    "sh:parameter [ sh:path ex:myParam ] .",
    "inside a property shape": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:property [ sh:path ex:q ; sh:minCount 1 ] ] .",
    "non-negative integer": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
    "sh:maxCount 'two' ] .",
}


@pytest.mark.parametrize("feature", UNSUPPORTED)
def test_unsupported_features_raise_naming_shape_and_feature(feature):
    with pytest.raises(ShapeCompilationError) as error:
        compile_shapes(shapes_from(UNSUPPORTED[feature]))
    assert feature in str(error.value)
    assert f"<{EX}" in str(error.value) or "_:" in str(error.value)


def test_supported_annotations_are_accepted():
    text = """ex:S a sh:NodeShape ; sh:targetClass ex:A ; sh:name 'S' ; sh:description 'd' ;
        rdfs:comment 'c' ; sh:property [ sh:path ex:p ; sh:name 'p' ; sh:order 1 ;
        sh:group ex:G ; sh:defaultValue 3 ; sh:maxCount 1 ] ."""
    assert [c.kind for c in compile_shapes(shapes_from(text))] == ["maxCount"]


def test_each_constraint_is_one_select_query(validator):
    assert len(validator.constraints) > 30
    for constraint in validator.constraints:
        query = constraint.sparql(validator.schema)
        assert query.startswith("SELECT") and query.count("SELECT") <= 2
        Store().query(query)  # parses and runs on an empty store


# --------------------------------------------------------------------------- property test

XSD_ = f"<{XSD}"
H_CLASSES = [f"<{EX}{c}>" for c in "ABCD"]
H_IRIS = [f"<{EX}n1>", f"<{EX}n2>", f"<{EX}bg1>", f"<{EX}bg2>"]
H_NODES = [*H_IRIS, "_:b1"]
H_LITERALS = [
    f'"1"^^{XSD_}integer>',
    f'"-3"^^{XSD_}integer>',
    f'"abc"^^{XSD_}integer>',
    f'" 7"^^{XSD_}integer>',
    f'"2.5"^^{XSD_}double>',
    f'"abc"^^{XSD_}double>',
    f'"1_0"^^{XSD_}double>',
    f'"NaN"^^{XSD_}double>',
    f'"1.50"^^{XSD_}decimal>',
    f'"5"^^{XSD_}int>',
    f'"true"^^{XSD_}boolean>',
    f'"yes"^^{XSD_}boolean>',
    f'"2020-01-02T00:00:00"^^{XSD_}dateTime>',
    f'"2021-06-01T00:00:00Z"^^{XSD_}dateTime>',
    f'"2020-13-01T00:00:00"^^{XSD_}dateTime>',
    f'"2020-01-01"^^{XSD_}dateTime>',
    '"x"',
    '"hello World"',
    '"m"',
    '"x"@en',
]
H_BACKGROUND = [
    q.triple
    for q in parse(
        input=PREFIXES
        + "ex:B rdfs:subClassOf ex:A . ex:C rdfs:subClassOf ex:B . "
        + "ex:bg1 a ex:C ; ex:p 1 . ex:bg2 a ex:D ; ex:q ex:bg1 .",
        format=RdfFormat.TURTLE,
    )
]
H_PROPERTIES = [f"<{EX}p>", f"<{EX}q>"]
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@st.composite
def h_triple(draw) -> str:
    subject = draw(st.sampled_from(H_NODES))
    if draw(st.integers(0, 3)) == 0:
        return f"{subject} {RDF_TYPE} {draw(st.sampled_from(H_CLASSES))} ."
    value = draw(st.sampled_from(H_NODES + H_LITERALS))
    return f"{subject} {draw(st.sampled_from(H_PROPERTIES))} {value} ."


@st.composite
def h_record(draw, name: str) -> MappedRecord:
    lines = draw(st.lists(h_triple(), max_size=10))
    if draw(st.booleans()):
        lines.append(f"<{EX}D> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}A> .")
    triples = [q.triple for q in parse(input="\n".join(lines), format=RdfFormat.N_TRIPLES)]
    return MappedRecord("h", name, NamedNode(f"{EX}graph/{name}"), triples=triples)


DATATYPES = ["integer", "double", "string", "boolean", "dateTime", "int", "decimal"]
NODE_KINDS = ["IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral"]
# rdflib rewrites some non-canonical literals in the shapes graph (" 7"^^xsd:integer becomes "7",
# "yes"^^xsd:boolean becomes "false"); mlkg compares RDF terms as Oxigraph stores them, so such
# literals are not used as sh:in / sh:hasValue constants here (see the module's caveats).
REWRITTEN_BY_RDFLIB = {
    f'" 7"^^{XSD_}integer>',
    f'"1_0"^^{XSD_}double>',
    f'"yes"^^{XSD_}boolean>',
    f'"2020-01-01"^^{XSD_}dateTime>',
}
H_VALUES = st.sampled_from(H_IRIS + [x for x in H_LITERALS if x not in REWRITTEN_BY_RDFLIB])
H_BOUNDS = st.sampled_from(
    [
        "0",
        "1.5e0",
        "2",
        '"2020-06-01T00:00:00"^^xsd:dateTime',
        '"m"',
        '"2020-06-01T00:00:00Z"^^xsd:dateTime',
    ]
)
H_MEMBER = st.one_of(
    st.sampled_from(H_CLASSES).map(lambda c: f"[ sh:class {c} ]"),
    st.sampled_from([*DATATYPES, "langString"]).map(
        lambda d: f"[ sh:datatype {'rdf' if d == 'langString' else 'xsd'}:{d} ]"
    ),
    st.sampled_from(NODE_KINDS).map(lambda k: f"[ sh:nodeKind sh:{k} ]"),
)
VALUE_CONSTRAINTS = {
    "datatype": st.sampled_from(DATATYPES).map(lambda d: f"sh:datatype xsd:{d}")
    | st.just("sh:datatype rdf:langString")
    | st.just("sh:datatype rdfs:Literal"),
    "class": st.sampled_from(H_CLASSES).map(lambda c: f"sh:class {c}"),
    "nodeKind": st.sampled_from(NODE_KINDS).map(lambda k: f"sh:nodeKind sh:{k}"),
    "in": st.lists(H_VALUES, min_size=1, max_size=3).map(lambda v: f"sh:in ( {' '.join(v)} )"),
    "hasValue": H_VALUES.map(lambda v: f"sh:hasValue {v}"),
    "pattern": st.tuples(
        st.sampled_from(["^[a-z]", "1", "^-?[0-9]+$", "e", "^h"]), st.booleans()
    ).map(lambda p: f"sh:pattern '{p[0]}'" + (" ; sh:flags 'i'" if p[1] else "")),
    "range": st.tuples(
        st.sampled_from(["minInclusive", "maxInclusive", "minExclusive", "maxExclusive"]), H_BOUNDS
    ).map(lambda r: f"sh:{r[0]} {r[1]}"),
    "minLength": st.integers(0, 5).map(lambda n: f"sh:minLength {n}"),
    "maxLength": st.integers(0, 5).map(lambda n: f"sh:maxLength {n}"),
    "or": st.lists(H_MEMBER, min_size=1, max_size=3).map(lambda m: f"sh:or ( {' '.join(m)} )"),
}
COUNT_CONSTRAINTS = {
    "minCount": st.integers(0, 3).map(lambda n: f"sh:minCount {n}"),
    "maxCount": st.integers(0, 3).map(lambda n: f"sh:maxCount {n}"),
}


@st.composite
def h_constraints(draw, options: dict) -> str:
    kinds = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3, unique=True))
    parts = [draw(options[kind]) for kind in kinds]
    if draw(st.integers(0, 5)) == 0:
        parts.append("sh:severity sh:Warning")
    return " ; ".join(parts)


@st.composite
def h_shapes(draw) -> str:
    shapes = []
    for i in range(draw(st.integers(1, 2))):
        target = draw(
            st.sampled_from(H_CLASSES).map(lambda c: f"sh:targetClass {c}")
            | st.sampled_from(H_PROPERTIES).map(lambda p: f"sh:targetSubjectsOf {p}")
            | st.sampled_from(H_PROPERTIES).map(lambda p: f"sh:targetObjectsOf {p}")
        )
        parts = [f"ex:S{i} a sh:NodeShape", target]
        if draw(st.booleans()):
            parts.append(draw(h_constraints(VALUE_CONSTRAINTS)))
        for _ in range(draw(st.integers(0, 2))):
            predicate = draw(st.sampled_from([*H_PROPERTIES, RDF_TYPE]))
            path = f"[ sh:inversePath {predicate} ]" if draw(st.booleans()) else predicate
            body = draw(h_constraints({**VALUE_CONSTRAINTS, **COUNT_CONSTRAINTS}))
            parts.append(f"sh:property [ sh:path {path} ; {body} ]")
        shapes.append(" ;\n    ".join(parts) + " .")
    return "\n".join(shapes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes_text=h_shapes(), first=h_record("r1"), second=h_record("r2"))
def test_random_graphs_and_shapes_match_pyshacl(shapes_text, first, second):
    shapes = shapes_from(shapes_text)
    validator = Validator(shapes=shapes, background=H_BACKGROUND, batch_size=2)
    for verdict in validator.validate([first, second]):
        expected = pyshacl_keys(shapes, verdict.record.triples, H_BACKGROUND)
        assert keys(verdict.violations) == expected, shapes_text


# --------------------------------------------------------------------------- the project's shapes

PROJECT_SHAPES = shape_files()
SHAPE_EXAMPLES = sorted((REPO / "tests" / "shapes").glob("*-*valid.ttl"))
needs_project_shapes = pytest.mark.skipif(not PROJECT_SHAPES, reason="shapes/ has no .ttl yet")


@pytest.fixture(scope="module")
def project_validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def project_shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in PROJECT_SHAPES:
        graph.parse(path)
    return graph


@needs_project_shapes
def test_project_shapes_compile(project_validator):
    kinds = {c.kind for c in project_validator.constraints}
    assert {"minCount", "maxCount", "datatype", "class"} <= kinds


@needs_project_shapes
def test_project_background_results_match_pyshacl(project_validator, project_shapes):
    background = project_validator.background_triples
    expected = pyshacl_keys(project_shapes, background, [])
    assert keys(project_validator.background_violations) == expected


@needs_project_shapes
@pytest.mark.parametrize("example", SHAPE_EXAMPLES, ids=lambda p: p.stem)
def test_project_shape_examples_match_pyshacl(project_validator, project_shapes, example):
    triples = read_triples(example)
    (verdict,) = project_validator.validate(
        [
            MappedRecord(
                "example", example.stem, NamedNode(f"{EX}graph/{example.stem}"), triples=triples
            )
        ]
    )
    expected = pyshacl_keys(project_shapes, triples, project_validator.background_triples)
    assert keys(verdict.violations) == expected
    if example.stem.endswith("-invalid"):
        assert verdict.violations
    else:
        assert verdict.violations == [] and verdict.accepted
