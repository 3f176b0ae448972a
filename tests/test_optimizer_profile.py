"""import-profile → graph → SPARQL retrieval: the same instance as reading the CSV directly.

Checks the records go through the pipeline (one named graph per model with provenance,
validated, atomic replace, stale graphs of the same zoo dropped, other zoos untouched), label
statistics keep their basis (annotation shares are never selectivities), ground-truth instances
give selectivities computed in SPARQL, and bad files get errors with file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
import rdflib

from mlkg.errors import (
    EmptyZooError,
    MissingSelectivityError,
    OptimizerError,
    ProfileFormatError,
    UnknownLabelError,
)
from mlkg.optimizer import build_problem, load_problem, parse_formula, solve
from mlkg.optimizer.profile import (
    ProfileOptions,
    import_profile,
    problem_models,
    read_instances,
    read_zoo,
)
from mlkg.optimizer.retrieve import CandidateFilters, store_select
from mlkg.queries import named_queries
from mlkg.resources import data_dir, shape_files
from mlkg.store import open_store

ZOO_CSV = """,person,car,bus,cost,memory
det_small,0.70,0.60,0.50,10,50
det_large,0.90,0.85,0.80,60,400
car_expert,,0.95,,25,100
bus_expert,0,,0.92,20,80
"""
# 4 items: person on 2, car on 1, bus on 1 (one item has no label at all)
TRUTH_CSV = """id,label,label
img1,person,car
img2,person,
img3,bus,
img4,,
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"zoo": tmp_path / "tiny.csv", "truth": tmp_path / "truth.csv"}
    paths["zoo"].write_text(ZOO_CSV)
    paths["truth"].write_text(TRUTH_CSV)
    return paths


def select(settings):
    store = open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True)
    return store, store_select(store)


def test_read_zoo_parses_the_matrix(files):
    table = read_zoo(files["zoo"])
    assert table.labels == {"person": "person", "car": "car", "bus": "bus"}
    assert table.parameters == {}  # no parameters column
    by_id = {m.id: m for m in table.models}
    assert by_id["car_expert"].accuracy == {"car": 0.95}
    assert by_id["bus_expert"].accuracy == {"bus": 0.92}  # 0 = cannot answer
    assert by_id["det_large"].memory == 400e6  # MB → bytes
    assert table.raw["det_small"]["person"] == "0.70"


def test_read_zoo_takes_a_parameters_column(tmp_path):
    path = tmp_path / "zoo.csv"
    path.write_text("model,person,cost,params\nm1,0.5,3,25000000\nm2,0.6,4,\n")
    table = read_zoo(path)
    assert table.parameters == {"m1": 25_000_000}
    assert table.labels == {"person": "person"}  # params is not a label


def test_import_then_retrieve_gives_the_csv_instance(settings, files):
    report = import_profile(
        settings,
        files["zoo"],
        ProfileOptions(metric="f1", dataset="coco", task="object-detection"),
        ground_truth=files["truth"],
    )
    assert (report.models, report.labels, report.evaluations, report.instances) == (4, 3, 8, 4)
    assert report.build.quarantined == 0 and report.build.accepted == 5
    store, run = select(settings)
    with store:
        from_graph = load_problem(run, "(person & car) | bus", metric="f1", order=True)
        via_filters = load_problem(
            run,
            "car",
            metric="f1",
            filters=CandidateFilters(dataset="coco", task="object-detection"),
        )
    direct = build_problem(parse_formula("(person & car) | bus"), problem_models(files["zoo"]))
    assert model_table(from_graph) == model_table(direct)
    assert {m.id for m in via_filters.models} == {"det_small", "det_large", "car_expert"}
    # selectivities computed in SPARQL from the 4 DataInstances
    assert from_graph.selectivity == pytest.approx({"person": 0.5, "car": 0.25, "bus": 0.25})
    assert from_graph.selectivity_source.startswith("computed from 4 data instances")
    assert from_graph.cost_unit == "relative cost per item"


def model_table(problem):
    return sorted(
        (m.id, m.cost, m.memory, tuple(sorted(m.accuracy.items()))) for m in problem.models
    )


def test_filters_that_remove_everything_say_so(settings, files):
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1"))
    store, run = select(settings)
    with store, pytest.raises(EmptyZooError, match="loosen the filters"):
        load_problem(run, "car", metric="f1", filters=CandidateFilters(hub="other-zoo"))
    store, run = select(settings)
    with store, pytest.raises(UnknownLabelError, match="did you mean bus"):
        load_problem(run, "buss", metric="f1")


def test_an_empty_graph_says_import_first(settings, files):
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1"))
    store, run = select(settings)
    with store, pytest.raises(EmptyZooError, match="no candidate models"):
        load_problem(run, "car", metric="ap")  # nothing evaluated with AP


def test_one_named_graph_per_model_with_provenance(settings, files):
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1", zoo="tiny"))
    store, _ = select(settings)
    with store:
        rows = list(
            store.query(
                "SELECT ?g ?id WHERE { GRAPH ?g { ?g mlkg:recordSource 'profile' ; "
                "mlkg:recordId ?id ; foaf:primaryTopic ?m . ?m a mlkg:Model } }",
                union_default_graph=False,
            )
        )
    assert sorted(r["id"].value for r in rows) == [
        f"tiny/f1/{m}" for m in ("bus_expert", "car_expert", "det_large", "det_small")
    ]


def test_reimport_replaces_what_changed_and_drops_what_left(settings, files, tmp_path):
    first = import_profile(settings, files["zoo"], ProfileOptions(metric="f1", zoo="tiny"))
    assert first.build.added == 4
    again = import_profile(settings, files["zoo"], ProfileOptions(metric="f1", zoo="tiny"))
    assert (again.build.unchanged, again.build.written) == (4, 0)
    other = tmp_path / "other.csv"
    other.write_text(ZOO_CSV)
    import_profile(settings, other, ProfileOptions(metric="f1", zoo="other"))
    changed = ZOO_CSV.replace("det_large,0.90,0.85,0.80,60", "det_large,0.90,0.85,0.80,65")
    changed = "\n".join(line for line in changed.splitlines() if not line.startswith("bus_expert"))
    files["zoo"].write_text(changed + "\n")
    third = import_profile(settings, files["zoo"], ProfileOptions(metric="f1", zoo="tiny"))
    assert (third.build.replaced, third.build.removed, third.build.unchanged) == (1, 1, 2)
    store, run = select(settings)
    with store:
        tiny = load_problem(run, "bus", metric="f1", filters=CandidateFilters(hub="tiny"))
        rest = load_problem(run, "bus", metric="f1", filters=CandidateFilters(hub="other"))
    assert {m.id: m.cost for m in tiny.models} == {"det_small": 10.0, "det_large": 65.0}
    assert "bus_expert" in {m.id for m in rest.models}  # the other zoo is untouched


def test_annotation_shares_are_never_selectivities(settings, files, tmp_path):
    shares = tmp_path / "shares.csv"
    shares.write_text(",class,selectivity\n0,person,0.6\n1,car,0.3\n2,bus,0.1\n")
    report = import_profile(settings, files["zoo"], ProfileOptions(metric="f1"), selectivity=shares)
    assert report.selectivity_basis == "annotations" and "not selectivities" in report.notes[0]
    store, run = select(settings)
    with store, pytest.raises(MissingSelectivityError, match="only have an annotation share"):
        load_problem(run, "person & car", metric="f1", order=True)
    fractions = tmp_path / "fractions.csv"
    fractions.write_text("class,selectivity\nperson,0.6\ncar,0.3\nbus,0.2\n")
    report = import_profile(
        settings, files["zoo"], ProfileOptions(metric="f1"), selectivity=fractions
    )
    assert report.selectivity_basis == "instances"
    store, run = select(settings)
    with store:
        problem = load_problem(run, "person & car", metric="f1", order=True)
    assert problem.selectivity == {"person": 0.6, "car": 0.3}
    assert problem.selectivity_source.startswith("stated")
    assert solve(problem, max_cost=100, order=True).optimal


def test_several_datasets_need_a_choice(settings, files):
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1", dataset="coco"))
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1", dataset="voc", zoo="v"))
    store, run = select(settings)
    with store:
        with pytest.raises(OptimizerError, match="pass --dataset"):
            load_problem(run, "car", metric="f1")
        picked = load_problem(run, "car", metric="f1", filters=CandidateFilters(dataset="voc"))
    assert picked.dataset.endswith("dataset/profile/voc")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("", "empty", None),
        (",person\nm1,0.5\n", "no 'cost' column", 1),
        (",person,cost\nm1,0.5,\n", "no cost", 2),
        (",person,cost\nm1,seventy,3\n", "not a number", 2),
        (",person,cost\nm1,76.1,3\n", "divide percentages by 100", 2),
        (",person,cost\nm1,0.5,3\nm1,0.6,4\n", "appears twice", 3),
        (",person,cost\nbad//id,0.5,3\n", "empty or relative path segment", 2),
        (",person,cost,parameters\nm1,0.5,3,2.5\n", "not a whole number", 2),
    ],
)
def test_bad_zoo_files_get_file_and_line(tmp_path, text, message, line):
    """Each bad file says in its own text what is wrong with it."""
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ProfileFormatError, match=message) as caught:
        read_zoo(path)
    assert caught.value.line == line and caught.value.path == str(path)


def test_ground_truth_formats(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("id,person,car\na,1,0\nb,0,0\nc,1,1\n")
    assert read_instances(wide) == [("a", ["person"]), ("b", []), ("c", ["car", "person"])]
    bio = tmp_path / "bio.csv"
    bio.write_text(",0,1,2\n0,O,B-PER,I-PER\n1,B-ORG,O,B-LOC\n2,O,O,\n")
    assert read_instances(bio) == [("0", ["PER"]), ("1", ["LOC", "ORG"]), ("2", [])]


def test_tweeteval_ner_selectivity_from_sparql_matches_the_file(shared_dir, settings, tmp_path):
    """Real per-item ground truth: the NER tags of TweetEval tweets (first 600 rows)."""
    source = shared_dir / "optimizer-zoo/mlopt_nlp/train/tweet_eval_ner/gt_.csv"
    zoo = shared_dir / "optimizer-zoo/mlopt_nlp/evaluation/f1.csv"
    if not source.exists() or not zoo.exists():
        pytest.skip("the TweetEval files are not in ../shared")
    lines = source.read_text().splitlines()[:601]
    subset = tmp_path / "gt_subset.csv"
    subset.write_text("\n".join(lines) + "\n")
    # an independent count: a row carries PER if one of its cells is B-PER or I-PER
    rows = [line.split(",")[1:] for line in lines[1:]]
    expected = {
        label.lower(): sum(any(re.fullmatch(f"[BI]-{label}", c) for c in row) for row in rows)
        / len(rows)
        for label in ("PER", "LOC", "ORG")
    }
    import_profile(
        settings,
        zoo,
        ProfileOptions(metric="f1", dataset="tweet_eval", zoo="tweeteval", cost_unit="s per tweet"),
        ground_truth=subset,
    )
    store, run = select(settings)
    with store:
        problem = load_problem(run, "per & (loc | org)", metric="f1", order=True)
    assert problem.selectivity == pytest.approx(expected)
    plan = solve(problem, max_cost=1.0, order=True)
    assert plan.optimal and plan.feasible and plan.cost_unit == "s per tweet"


def test_named_queries_answer_like_the_templates(settings, files):
    import_profile(settings, files["zoo"], ProfileOptions(metric="f1"), ground_truth=files["truth"])
    queries = named_queries()
    store, _ = select(settings)
    with store:
        rows = list(store.query(queries["optimizer-candidates"].text))
        selectivity = list(store.query(queries["label-selectivity"].text))
    assert {(r["labelName"].value, r["modelId"].value, float(r["value"].value)) for r in rows} == {
        (t, m.id, v) for m in problem_models(files["zoo"]) for t, v in m.accuracy.items()
    }
    computed = {r["labelName"].value: float(r["selectivity"].value) for r in selectivity}
    assert computed == {"person": 0.5, "car": 0.25, "bus": 0.25}


LABEL_SELECTIVITY_VALID = """
@prefix mlkg: <https://w3id.org/mlkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/mlkg/resource/dataset/coco> mlkg:labelSelectivity <urn:s1> .
<urn:s1> a mlkg:LabelSelectivity ; mlkg:ofLabel <urn:person> ;
    mlkg:selectivity "0.54"^^xsd:double ; mlkg:annotationShare "0.2992"^^xsd:double .
<urn:person> a mlkg:Label ; rdfs:label "person" .
"""
# invalid: no dataset points to it, a selectivity above 1, and its label is not a Label
LABEL_SELECTIVITY_INVALID = """
@prefix mlkg: <https://w3id.org/mlkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:s2> a mlkg:LabelSelectivity ; mlkg:ofLabel <urn:not-a-label> ;
    mlkg:selectivity "1.5"^^xsd:double .
"""


def test_label_selectivity_shape():
    shapes = rdflib.Graph()
    for path in shape_files():
        shapes.parse(path)
    background = rdflib.Graph()
    for path in [
        data_dir("ontology") / "mlkg.ttl",
        *sorted((data_dir("ontology") / "vocab").glob("*.ttl")),
    ]:
        background.parse(path)

    def report(text):
        data = rdflib.Graph()
        data += background
        data.parse(data=text, format="turtle")
        conforms, graph, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
        SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
        paths = {
            str(graph.value(r, SH.resultPath))
            for r in graph.subjects(rdflib.RDF.type, SH.ValidationResult)
        }
        return conforms, paths

    assert report(LABEL_SELECTIVITY_VALID) == (True, set())
    conforms, paths = report(LABEL_SELECTIVITY_INVALID)
    assert not conforms
    assert "https://w3id.org/mlkg/ontology#selectivity" in paths
    assert "https://w3id.org/mlkg/ontology#ofLabel" in paths
    assert len(paths) == 3  # plus the inverse path to the dataset
