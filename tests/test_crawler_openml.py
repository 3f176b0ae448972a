"""The OpenML crawler and mapper: rules on tiny documents, bad input, the API over HTTP, the
shipped sample and the real snapshot.

The snapshot tests build ../shared's OpenML files through the pipeline into a real store and
compare its answers with an ElementTree/csv parse written here, not with the module's helpers.
"""

from __future__ import annotations

import csv
import doctest
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode

import crawlers._openml_map
import crawlers._openml_xml
import crawlers.openml
from crawlers import get_source
from crawlers.openml import crawl, index_folder, map_record
from mlkg.errors import ConfigurationError
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, MLKG, RDF, SKOS, XSD
from mlkg.records import RawRecord
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.store import open_store
from tests._zoo_builds import built, memory_store, select
from tests.httpserver import LocalServer, Reply

IRIS = Iris()
R = IRIS.base
SAMPLE = SAMPLE_DIR / "openml"
OML = 'xmlns:oml="http://openml.org/openml"'


def record(record_id: str, **data) -> RawRecord:
    kind = record_id.split("/")[0]
    return RawRecord("openml", record_id, {"kind": kind, **data})


def dataset_xml(did=61, name="iris", version=1, extra="") -> str:
    return (
        f"<oml:data_set_description {OML}><oml:id>{did}</oml:id><oml:name>{name}</oml:name>"
        f"<oml:version>{version}</oml:version><oml:licence>Public</oml:licence>"
        f"<oml:default_target_attribute>class</oml:default_target_attribute>{extra}"
        "</oml:data_set_description>"
    )


def task_xml(tid=59, did=61, folds=2, repeats=1, splits_url="") -> str:
    return f"""<oml:task {OML}><oml:task_id>{tid}</oml:task_id>
      <oml:task_type>Supervised Classification</oml:task_type>
      <oml:input name="source_data"><oml:data_set><oml:data_set_id>{did}</oml:data_set_id>
        <oml:target_feature>class</oml:target_feature></oml:data_set></oml:input>
      <oml:input name="estimation_procedure"><oml:estimation_procedure>
        <oml:type>crossvalidation</oml:type><oml:data_splits_url>{splits_url}</oml:data_splits_url>
        <oml:parameter name="number_repeats">{repeats}</oml:parameter>
        <oml:parameter name="number_folds">{folds}</oml:parameter>
      </oml:estimation_procedure></oml:input></oml:task>"""


SPLITS = """@relation splits
@attribute type {TRAIN,TEST}
@attribute rowid numeric
@attribute repeat numeric
@attribute fold numeric
@data
TRAIN,0,0,0
TRAIN,1,0,0
TEST,2,0,0
TEST,3,0,0
TRAIN,2,0,1
TRAIN,3,0,1
TEST,0,0,1
TEST,1,0,1
"""


def run_xml(rid=7, evaluations="", settings="", setup_id=5) -> str:
    return f"""<oml:run {OML}><oml:run_id>{rid}</oml:run_id><oml:uploader>1</oml:uploader>
      <oml:uploader_name>Ada</oml:uploader_name><oml:task_id>59</oml:task_id>
      <oml:task_type>Supervised Classification</oml:task_type><oml:flow_id>3</oml:flow_id>
      <oml:flow_name>weka.J48(1)</oml:flow_name><oml:setup_id>{setup_id}</oml:setup_id>{settings}
      <oml:input_data><oml:dataset><oml:did>61</oml:did><oml:name>iris</oml:name></oml:dataset>
      </oml:input_data><oml:output_data>{evaluations}</oml:output_data></oml:run>"""


def evaluation(name, value, fold=None) -> str:
    where = "" if fold is None else f' repeat="0" fold="{fold}"'
    return f"<oml:evaluation{where}><oml:name>{name}</oml:name><oml:value>{value}</oml:value>" + (
        "</oml:evaluation>"
    )


SETUP = f"""<oml:setup_parameters {OML}><oml:setup_id>5</oml:setup_id><oml:flow_id>3</oml:flow_id>
  <oml:parameter><oml:flow_id>3</oml:flow_id><oml:full_name>weka.J48(1)_C</oml:full_name>
    <oml:parameter_name>C</oml:parameter_name><oml:default_value>0.25</oml:default_value>
    <oml:value>0.250</oml:value></oml:parameter>
  <oml:parameter><oml:flow_id>3</oml:flow_id><oml:full_name>weka.J48(1)_U</oml:full_name>
    <oml:parameter_name>U</oml:parameter_name><oml:default_value>false</oml:default_value>
    <oml:value>true</oml:value></oml:parameter>
</oml:setup_parameters>"""
IRIS_SUMMARY = {"id": 61, "name": "iris", "version": 1}


def values(mapped, subject, predicate) -> set:
    return {t.object for t in mapped.triples if t.subject == subject and t.predicate == predicate}


def objects_of(mapped, predicate) -> set:
    return {t.object for t in mapped.triples if t.predicate == predicate}


# -- mapper rules ------------------------------------------------------------------------------


def test_source_is_registered():
    source = get_source("openml")
    assert source.hub == "openml" and source.map_record is map_record
    assert source.default_location == "https://www.openml.org/api/v1/"


def test_module_doctests_pass():
    for module in (crawlers._openml_xml, crawlers._openml_map, crawlers.openml):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_dataset_version_1_of_a_known_name_is_the_vocabulary_concept():
    qualities = (
        f"<oml:data_qualities {OML}><oml:quality><oml:name>NumberOfInstances</oml:name>"
        "<oml:value>150.0</oml:value></oml:quality><oml:quality><oml:name>NumberOfClasses"
        "</oml:name><oml:value>3.0</oml:value></oml:quality></oml:data_qualities>"
    )
    mapped = map_record(record("data/61", description=dataset_xml(), qualities=qualities), IRIS)
    iris_concept = NamedNode(R + "dataset/iris")
    assert mapped.error is None and mapped.subject == iris_concept
    assert values(mapped, iris_concept, SKOS.notation) == {Literal("openml:data/61")}
    assert values(mapped, iris_concept, MLKG.exampleCount) == {Literal("150", datatype=XSD.integer)}
    assert values(mapped, iris_concept, MLKG.classCount) == {Literal("3", datatype=XSD.integer)}
    assert values(mapped, iris_concept, MLKG.targetFeature) == {Literal("class")}
    assert values(mapped, iris_concept, DCTERMS.identifier) == set()  # the vocabulary's node
    assert values(mapped, iris_concept, MLKG.licenseName) == {Literal("Public")}
    assert values(mapped, NamedNode(R + "license/public"), RDF.type) == {MLKG.CustomLicense}


@pytest.mark.parametrize(("name", "version"), [("iris", 3), ("mlkg-unknown-set", 1)])
def test_other_versions_and_unknown_names_are_openml_datasets(name, version):
    mapped = map_record(record("data/969", description=dataset_xml(969, name, version)), IRIS)
    node = NamedNode(R + "dataset/openml/969")
    assert mapped.subject == node
    assert values(mapped, node, DCTERMS.identifier) == {Literal("969")}
    assert values(mapped, node, MLKG.hub) == {NamedNode(R + "hub/openml")}


def test_task_with_split_file_has_folds_and_members():
    mapped = map_record(
        record("task/59", task=task_xml(), splits=SPLITS, dataset=IRIS_SUMMARY), IRIS
    )
    assert mapped.error is None and mapped.warnings == []
    task = NamedNode(R + "task/openml/59")
    assert values(mapped, task, SKOS.broader) == {NamedNode(R + "task/tabular-classification")}
    splits = {t.subject for t in mapped.triples if t.object == MLKG.DatasetSplit}
    assert len(splits) == 4
    test0 = NamedNode(R + "dataset/iris/split/openml-task-59-r0-f0-test")
    assert values(mapped, test0, MLKG.fold) == {Literal("0", datatype=XSD.integer)}
    assert values(mapped, test0, MLKG.exampleCount) == {Literal("2", datatype=XSD.integer)}
    assert values(mapped, test0, MLKG.definedByTask) == {task}
    members = {t.subject for t in mapped.triples if t.object == test0}
    assert members == {NamedNode(R + f"dataset/iris/instance/openml-61-{i}") for i in (2, 3)}
    instances = {t.subject for t in mapped.triples if t.object == MLKG.DataInstance}
    assert len(instances) == 4


def test_task_without_split_file_describes_folds_from_the_procedure():
    mapped = map_record(record("task/59", task=task_xml(folds=3), dataset=IRIS_SUMMARY), IRIS)
    assert len({t.subject for t in mapped.triples if t.object == MLKG.DatasetSplit}) == 6
    assert not objects_of(mapped, MLKG.exampleCount)
    assert any("no split file" in w for w in mapped.warnings)


def test_task_whose_dataset_was_not_crawled_links_by_id_with_a_warning():
    mapped = map_record(record("task/59", task=task_xml()), IRIS)
    assert NamedNode(R + "dataset/openml/61") in objects_of(mapped, DCTERMS.isPartOf)
    assert any("was not crawled" in w for w in mapped.warnings)


def test_run_with_setup_has_typed_settings_against_defaults_and_per_fold_evaluations():
    evaluations = "".join(
        [evaluation("predictive_accuracy", 0.9), evaluation("number_of_instances", 4)]
        + [evaluation("predictive_accuracy", v, fold=f) for f, v in enumerate((0.8, 1.0))]
    )
    raw = record("run/7", run=run_xml(evaluations=evaluations), setup=SETUP, dataset=IRIS_SUMMARY)
    mapped = map_record(raw, IRIS)
    assert mapped.error is None, mapped.error
    model = NamedNode(R + "model/openml/run/7")
    assert values(mapped, model, MLKG.derivedFrom) == {NamedNode(R + "model/openml/flow/3")}
    assert values(mapped, model, MLKG.trainedOn) == {NamedNode(R + "dataset/iris")}
    c = NamedNode(R + "model/openml/run/7/training/configuration/weka.J48%281%29_C")
    u = NamedNode(R + "model/openml/run/7/training/configuration/weka.J48%281%29_U")
    assert values(mapped, c, MLKG.value) == {Literal("0.25", datatype=XSD.double)}
    assert values(mapped, c, MLKG.isDefault) == {Literal("true", datatype=XSD.boolean)}
    assert values(mapped, u, MLKG.value) == {Literal("true", datatype=XSD.boolean)}
    assert values(mapped, u, MLKG.isDefault) == {Literal("false", datatype=XSD.boolean)}
    assert values(mapped, u, MLKG.hyperParameter) == {
        NamedNode(R + "model/openml/flow/3/parameter/U")
    }
    rows = select(
        memory_store([mapped]),
        """SELECT ?on ?v WHERE { ?e mlkg:metric <https://w3id.org/mlkg/resource/metric/accuracy> ;
        mlkg:value ?v ; mlkg:onDataset ?on }""",
    )
    assert {(r["on"].removeprefix(R), float(r["v"])) for r in rows} == {
        ("dataset/iris", 0.9),
        ("dataset/iris/split/openml-task-59-r0-f0-test", 0.8),
        ("dataset/iris/split/openml-task-59-r0-f1-test", 1.0),
    }


def test_run_without_setup_reads_its_own_settings_json_decoded():
    settings_xml = "".join(
        f"<oml:parameter_setting><oml:name>{n}</oml:name><oml:value>{v}</oml:value>"
        f"<oml:component>4</oml:component></oml:parameter_setting>"
        for n, v in (("strategy", '"median"'), ("n_estimators", "50"), ("max_depth", "null"))
    )
    mapped = map_record(record("run/7", run=run_xml(settings=settings_xml)), IRIS)
    by_name = {
        str(t.subject).rsplit("/", 1)[-1].rstrip(">"): t.object
        for t in mapped.triples
        if t.predicate == MLKG.value
    }
    assert by_name == {
        "4%3Astrategy": Literal("median"),
        "4%3An_estimators": Literal("50", datatype=XSD.integer),
        "4%3Amax_depth": Literal("null"),
    }
    assert not objects_of(mapped, MLKG.isDefault)
    assert any("setup 5 was not crawled" in w for w in mapped.warnings)


def test_flow_parameters_defaults_components_and_versions():
    flow = f"""<oml:flow {OML}><oml:id>10</oml:id><oml:uploader>2</oml:uploader>
      <oml:name>sklearn.pipeline.Pipeline(clf=sklearn.tree.DecisionTreeClassifier)</oml:name>
      <oml:version>3</oml:version>
      <oml:parameter><oml:name>memory</oml:name><oml:default_value>null</oml:default_value>
      </oml:parameter><oml:component><oml:identifier>clf</oml:identifier><oml:flow>
        <oml:id>11</oml:id><oml:name>sklearn.tree.DecisionTreeClassifier</oml:name>
        <oml:version>1</oml:version><oml:parameter><oml:name>max_depth</oml:name>
        <oml:default_value>5</oml:default_value></oml:parameter></oml:flow></oml:component>
    </oml:flow>"""
    mapped = map_record(record("flow/10", flow=flow), IRIS)
    outer, inner = (NamedNode(R + f"model/openml/flow/{i}") for i in (10, 11))
    assert mapped.subject == outer and set(mapped.topics) == {outer, inner}
    assert values(mapped, outer, DCTERMS.hasPart) == {inner}
    assert values(mapped, outer, MLKG.version) == {Literal("3", datatype=XSD.integer)}
    assert values(mapped, outer, MLKG.library) == {Literal("sklearn")}
    depth = NamedNode(R + "model/openml/flow/11/parameter/max_depth")
    assert values(mapped, inner, MLKG.hasHyperParameter) == {depth}
    assert values(mapped, depth, MLKG.defaultValue) == {Literal("5", datatype=XSD.integer)}


# -- bad input -------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<oml:data_set_description xmlns:oml="http://openml.org/openml"><oml:id>1</oml:id>
<oml:name>&lol3;</oml:name></oml:data_set_description>"""
EXTERNAL_ENTITY = """<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<oml:flow xmlns:oml="http://openml.org/openml"><oml:id>1</oml:id><oml:name>&e;</oml:name></oml:flow>"""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (record("data/1", description="<oml:data_set_description><oml:id>1"), "malformed XML"),
        (record("data/1", description=BILLION_LAUGHS), "document type declaration"),
        (record("flow/1", flow=EXTERNAL_ENTITY), "document type declaration"),
        (
            record(
                "flow/1",
                flow=f"<oml:error {OML}><oml:message>Unknown flow</oml:message></oml:error>",
            ),
            "OpenML answered with an error: Unknown flow",
        ),
        (record("data/1", description=None), "no XML text"),
        (record("data/1", description=12), "no XML text"),
        (record("run/1", run=f"<oml:flow {OML}/>"), "expected an oml:run document"),
        (record("run/abc", run=run_xml()), "positive OpenML id"),
        (record("task/1", task=task_xml(did="x")), "names no source dataset"),
        (RawRecord("openml", "study/1", {"kind": "study"}), "not an OpenML record kind"),
        (
            RawRecord("openml", "data/1", {"kind": "data", "description_fetch_error": "HTTP 412"}),
            "fetch error: HTTP 412",
        ),
    ],
)
def test_unreadable_records_have_a_clear_error(raw, message):
    mapped = map_record(raw, IRIS)
    assert mapped.error is not None and message in mapped.error, mapped.error
    assert mapped.triples == []


def test_malformed_xml_error_names_line_and_column():
    mapped = map_record(record("data/1", description="<a>\n  <b></a>"), IRIS)
    assert "line 2, column 8" in mapped.error


@pytest.mark.parametrize(
    ("splits", "note"),
    [
        ("@relation x\n@attribute type {TRAIN,TEST}\nTRAIN,1,0,0", "no @data section"),
        ("@relation x\n@attribute type {TRAIN,TEST}\n@data\nTRAIN,1,0,0", "lacks the attribute"),
        (SPLITS + "TEST,4,0", "is not type,rowid,repeat,fold"),  # cut in the middle of a row
        (SPLITS + "VALIDATE,4,0,0\nTEST,-1,0,0\n", "is not type,rowid,repeat,fold"),
    ],
)
def test_truncated_or_odd_split_files_are_warnings(splits, note):
    mapped = map_record(
        record("task/59", task=task_xml(), splits=splits, dataset=IRIS_SUMMARY), IRIS
    )
    assert mapped.error is None
    assert any(note in w for w in mapped.warnings), mapped.warnings


def test_split_file_cut_by_the_crawl_is_reported():
    raw = record("task/59", task=task_xml(), splits=SPLITS, splits_truncated=True, splits_size=9e6)
    mapped = map_record(raw, IRIS)
    assert any("over the crawl's cap" in w for w in mapped.warnings)


def test_wrong_values_are_warnings_and_the_rest_is_kept():
    evaluations = evaluation("predictive_accuracy", "n/a") + evaluation("kappa", 0.5)
    qualities = (
        f"<oml:data_qualities {OML}><oml:quality><oml:name>NumberOfInstances</oml:name>"
        "<oml:value>-3.5</oml:value></oml:quality></oml:data_qualities>"
    )
    run = map_record(record("run/7", run=run_xml(evaluations=evaluations)), IRIS)
    assert any("'n/a' is not a number" in w for w in run.warnings)
    assert NamedNode(R + "metric/cohen-kappa") in objects_of(run, MLKG.metric)
    data = map_record(record("data/61", description=dataset_xml(), qualities=qualities), IRIS)
    assert any("is not a count" in w for w in data.warnings)
    broken = map_record(record("data/61", description=dataset_xml(), features="<x"), IRIS)
    assert broken.error is None and any("features not mapped" in w for w in broken.warnings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["data", "task", "flow", "run"]),
    text=st.one_of(st.text(max_size=300), st.sampled_from([dataset_xml(), task_xml(), SETUP])),
    other=st.one_of(st.none(), st.text(max_size=200), st.integers(), st.lists(st.integers())),
)
def test_mapper_is_total(kind, text, other):
    slot = {"data": "description"}.get(kind, kind)
    raw = RawRecord("openml", f"{kind}/5", {"kind": kind, slot: text, "splits": other,
                                              "setup": other, "dataset": other})  # fmt: skip
    mapped = map_record(raw, IRIS)
    assert mapped.error is not None or mapped.subject is not None


# -- crawling a folder and the API -------------------------------------------------------------


def test_sample_folder_is_indexed_by_document_ids(tmp_path):
    records = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    assert [r.id for r in records] == [
        "data/61", "data/90001", "task/90011", "task/90012", "flow/90021", "flow/90022",
        "run/90041", "run/90042",
    ]  # fmt: skip
    by_id = {r.id: r.data for r in records}
    assert by_id["task/90011"]["dataset"] == {
        "id": 90001,
        "name": "mlkg-sample-blobs",
        "version": 1,
    }
    assert by_id["run/90041"]["setup"].startswith("<oml:setup_parameters")
    assert by_id["run/90042"]["setup"] is None
    assert by_id["task/90011"]["splits"].startswith("@relation")


def test_crawl_honours_skip_limit_and_refuses_id_options_for_folders(tmp_path):
    records = list(crawl(str(SAMPLE), cache_dir=tmp_path, skip={"data/61"}, limit=2))
    assert [r.id for r in records] == ["data/90001", "task/90011"]
    with pytest.raises(ConfigurationError, match="apply to the API"):
        list(crawl(str(SAMPLE), cache_dir=tmp_path, runs="1"))
    with pytest.raises(ConfigurationError, match="positive ids"):
        list(crawl("https://example.org/api/v1/", cache_dir=tmp_path, runs="1,x"))


def test_largest_copy_wins_and_ids_come_from_paths_for_features(tmp_path):
    (tmp_path / "a" / "datasets" / "7").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "datasets" / "7" / "description.xml").write_text(dataset_xml(7, "x"))
    (tmp_path / "b" / "data_description_7.xml").write_text(dataset_xml(7, "x", extra="<!---->" * 9))
    (tmp_path / "b" / "data_features_7.xml").write_text(f"<oml:data_features {OML}/>")
    (tmp_path / "b" / "task_list.xml").write_text(f"<oml:tasks {OML}/>")
    index = index_folder(tmp_path)
    assert list(index) == [("data", 7)]
    assert index[("data", 7)]["description"].name == "data_description_7.xml"
    assert index[("data", 7)]["features"].name == "data_features_7.xml"


def serve_sample(server: LocalServer) -> None:
    """OpenML's API paths for the sample objects, splits URL rewritten to the server."""
    files = {
        "data/90001": "datasets/90001/description.xml",
        "data/features/90001": "datasets/90001/features.xml",
        "task/90011": "tasks/90011/task.xml",
        "flow/90021": "flows/90021/flow.xml",
        "setup/90031": "setups/90031/description.xml",
        "run/90041": "runs/90041/description.xml",
    }
    xml = {"Content-Type": "text/xml; charset=utf-8"}
    for path, file in files.items():
        body = (
            (SAMPLE / file)
            .read_text()
            .replace("https://www.openml.org/api_splits/get/", server.url("/api_splits/get/"))
        )
        server.route(f"/api/v1/xml/{path}", Reply(200, body.encode(), xml))
    splits = (SAMPLE / "tasks/90011/datasplits.arff").read_bytes()
    server.route("/api_splits/get/90011/Task_90011_splits.arff", Reply(200, splits))
    unknown = f"<oml:error {OML}><oml:code>362</oml:code><oml:message>No qualities</oml:message>"
    server.route(
        "/api/v1/xml/data/qualities/90001", Reply(412, (unknown + "</oml:error>").encode())
    )


def test_crawl_the_api_follows_a_run_to_its_task_flow_setup_and_dataset(tmp_path):
    with LocalServer() as server:
        serve_sample(server)
        server.fail_next("/api/v1/xml/run/90041", Reply(429, b"slow down", {"Retry-After": "0"}))
        records = list(crawl(server.url("/api/v1/"), cache_dir=tmp_path, runs="90041"))
        fetched = [r.path for r in server.requests]
    assert [r.id for r in records] == ["data/90001", "task/90011", "flow/90021", "run/90041"]
    assert fetched[:2] == ["/api/v1/xml/run/90041", "/api/v1/xml/run/90041"]  # 429, retried
    by_id = {r.id: r for r in records}
    assert by_id["data/90001"].data["qualities"] is None
    assert "No qualities" in by_id["data/90001"].data["qualities_fetch_error"]
    assert by_id["task/90011"].data["dataset"]["name"] == "mlkg-sample-blobs"
    assert by_id["run/90041"].data["setup"].startswith("<oml:setup_parameters")
    assert by_id["run/90041"].location == server.url("/api/v1/xml/run/90041")
    mapped = {r.id: map_record(r, IRIS) for r in records}
    assert all(m.error is None for m in mapped.values())
    folds = {t.subject for t in mapped["task/90011"].triples if t.predicate == MLKG.definedByTask}
    assert len(folds) == 6


def test_crawl_the_api_pages_through_lists_until_412(tmp_path, monkeypatch):
    monkeypatch.setattr(crawlers.openml, "PAGE_SIZE", 1)
    with LocalServer() as server:
        serve_sample(server)
        page = f"<oml:data {OML}><oml:dataset><oml:did>90001</oml:did></oml:dataset></oml:data>"
        server.route("/api/v1/xml/data/list/limit/1/offset/0", Reply(200, page.encode()))
        for kind in ("data", "task", "flow"):
            server.route_prefix(f"/api/v1/xml/{kind}/list/", lambda _r: Reply(412, b"no results"))
        records = list(crawl(server.url("/api/v1"), cache_dir=tmp_path))
    assert [r.id for r in records] == ["data/90001"]


def test_crawl_the_api_stops_fetching_at_the_limit(tmp_path):
    with LocalServer() as server:
        serve_sample(server)
        records = list(crawl(server.url("/api/v1/"), cache_dir=tmp_path, runs="90041", limit=1))
        paths = {r.path for r in server.requests}
    assert [r.id for r in records] == ["data/90001"]
    assert "/api/v1/xml/flow/90021" not in paths


def test_a_missing_object_becomes_a_quarantined_record(tmp_path):
    with LocalServer() as server:
        server.route("/api/v1/xml/flow/5", Reply(412, b"<oml:error>Unknown flow</oml:error>"))
        records = list(crawl(server.url("/api/v1/"), cache_dir=tmp_path, flows="5"))
    assert [r.id for r in records] == ["flow/5"]
    assert "fetch error" in map_record(records[0], IRIS).error


# -- the shipped sample through the pipeline ---------------------------------------------------


def test_sample_builds_with_every_record_accepted():
    settings, (report,) = built((("openml", str(SAMPLE)),))
    assert (report.crawled, report.accepted, report.quarantined) == (8, 8, 0)
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        changed = select(
            store,
            """SELECT DISTINCT ?name ?value ?default WHERE {
            ?m dcterms:identifier "run/90041" ; prov:wasGeneratedBy/mlkg:configuration/mlkg:setting
            ?s . ?s mlkg:isDefault false ; mlkg:value ?value ; mlkg:defaultValue ?default ;
            mlkg:hyperParameter/rdfs:label ?name }""",
        )
        revisions = select(store, "SELECT ?a WHERE { ?a mlkg:revisionOf ?b }")
    assert changed == [{"name": "C", "value": "0.5", "default": "0.25"}]
    assert revisions == []


# -- the real snapshot -------------------------------------------------------------------------

OML_NS = "{http://openml.org/openml}"


@pytest.fixture(scope="module")
def snapshot(shared_dir):
    folder = shared_dir / "zoo-snapshots" / "openml" / "openml-python-tests-files"
    settings, (report,) = built((("openml", str(folder)),))
    return folder, settings, report


def run_evaluations(path: Path, measure: str) -> tuple[float, dict[tuple[int, int], float]]:
    """The global value and the per-(repeat, fold) values of one measure, read with ElementTree."""
    root = ET.parse(path).getroot()
    per_fold, overall = {}, None
    for element in root.iter(OML_NS + "evaluation"):
        if element.findtext(OML_NS + "name") != measure:
            continue
        value = float(element.findtext(OML_NS + "value"))
        if element.get("fold") is None:
            overall = value
        else:
            per_fold[(int(element.get("repeat")), int(element.get("fold")))] = value
    return overall, per_fold


ROOT_IDS = {
    "data_set_description": ("data", "id"),
    "task": ("task", "task_id"),
    "flow": ("flow", "id"),
    "run": ("run", "run_id"),
}


def test_snapshot_every_object_is_accepted_or_quarantined(snapshot):
    folder, _settings, report = snapshot
    ids = set()
    for path in folder.rglob("*.xml"):
        root = ET.parse(path).getroot()
        kind_tag = ROOT_IDS.get(root.tag.removeprefix(OML_NS))
        if kind_tag is not None:
            ids.add((kind_tag[0], int(root.findtext(OML_NS + kind_tag[1]))))
    assert report.crawled == len(ids) == 21
    assert report.accepted + report.quarantined == report.crawled
    assert report.quarantined == 1  # data/-1: a test fixture whose id is not an OpenML id


def test_snapshot_run_global_and_per_fold_accuracy(snapshot):
    folder, settings, _report = snapshot
    overall, per_fold = run_evaluations(
        folder / "org/openml/test/runs/1/description.xml", "predictive_accuracy"
    )
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT DISTINCT ?on ?v ?fold ?repeat WHERE {
            ?m dcterms:identifier "run/100" . ?e mlkg:evaluatedModel ?m ;
            mlkg:metric <https://w3id.org/mlkg/resource/metric/accuracy> ; mlkg:value ?v ;
            mlkg:onDataset ?on . OPTIONAL { ?on mlkg:fold ?fold ; mlkg:repeat ?repeat } }""",
        )
    globals_ = [float(r["v"]) for r in rows if "fold" not in r]
    folds = {(int(r["repeat"]), int(r["fold"])): float(r["v"]) for r in rows if "fold" in r}
    assert globals_ == [overall] == [0.922242]
    assert folds == per_fold and len(folds) == 10


def test_snapshot_task_fold_sizes_and_members_match_the_split_file(snapshot):
    folder, settings, _report = snapshot
    with (folder / "org/openml/test/tasks/1/datasplits.arff").open() as handle:
        lines = handle.read().split("@data", 1)[1]
    expected: dict[tuple[str, int], int] = {}
    for row in csv.reader(io.StringIO(lines)):
        if row:
            key = (row[0].lower(), int(row[3]))
            expected[key] = expected.get(key, 0) + 1
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        sizes = select(
            store,
            """SELECT DISTINCT ?name ?fold ?n WHERE {
            ?s mlkg:definedByTask <https://w3id.org/mlkg/resource/task/openml/1> ;
               mlkg:splitName ?name ; mlkg:fold ?fold ; mlkg:exampleCount ?n }""",
        )
        members = select(
            store,
            """SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE {
            ?s mlkg:definedByTask <https://w3id.org/mlkg/resource/task/openml/1> ;
               mlkg:splitName "test" . ?i a mlkg:DataInstance ; dcterms:isPartOf ?s }""",
        )
    assert {(r["name"], int(r["fold"])): int(r["n"]) for r in sizes} == expected
    assert int(members[0]["n"]) == sum(n for (kind, _), n in expected.items() if kind == "test")


def test_snapshot_dataset_counts_and_identity(snapshot):
    folder, settings, _report = snapshot
    root = ET.parse(folder / "org/openml/test/datasets/2/qualities.xml").getroot()
    qualities = {
        q.findtext(OML_NS + "name"): q.findtext(OML_NS + "value")
        for q in root.iter(OML_NS + "quality")
    }
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT DISTINCT ?d ?n WHERE { ?d skos:notation "openml:data/2" .
            OPTIONAL { ?d mlkg:exampleCount ?n } }""",
        )
        iris_rows = select(store, 'SELECT ?d WHERE { ?d skos:notation "openml:data/61" }')
    # anneal (ids 1 and 2 on the test server) and iris are vocabulary concepts
    assert {r["d"] for r in rows} == {R + "dataset/anneal"}
    assert int(float(qualities["NumberOfInstances"])) in {int(r["n"]) for r in rows}
    assert {r["d"] for r in iris_rows} == {R + "dataset/iris"}
