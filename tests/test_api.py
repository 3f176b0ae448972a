"""The Python API (``mlkg.open``) over the sample zoo, checked against an independent reading of
the sample's source files (JSON, YAML front matter, Markdown comments, OpenML XML) — never
through the crawlers' own parsing. The module's docstring examples run here too."""

from __future__ import annotations

import doctest
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

import mlkg
import mlkg.api
from mlkg.api import IRI, Graph, ModelNotFoundError, build_sample, to_python
from mlkg.errors import QueryError, StoreError
from mlkg.sample_zoo import SAMPLE_DIR

HF = SAMPLE_DIR / "huggingface"
TFHUB_DOCS = SAMPLE_DIR / "tfhub" / "assets" / "docs"
OPENML = SAMPLE_DIR / "openml"
RELATIONS = {
    "finetune": "fineTunedFrom",
    "adapter": "adapterOf",
    "quantized": "quantizedFrom",
    "merge": "mergedFrom",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.mktemp("api") / "data")


@pytest.fixture(scope="module")
def graph(data_dir: Path):
    with mlkg.open(data_dir) as g:
        yield g


# -- the sample's sources, read independently ------------------------------------------------


def hub_api_models() -> dict[str, dict]:
    """Hub API JSON files of the sample: model id → JSON object."""
    found = {}
    for path in HF.glob("*/*.json"):
        data = json.loads(path.read_text())
        found[data["id"]] = data
    return found


def front_matter(readme: Path) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", readme.read_text(), re.S)
    return yaml.safe_load(match.group(1)) if match else {}


def card_models() -> dict[str, dict]:
    """Model id → front matter, for every model card of the sample (not dataset cards). A card
    from before ``base_model`` existed names its base in the Trainer's sentence instead."""
    cards = {}
    for readme in HF.glob("*/*/README.md"):
        if readme.parent.parent.name == "datasets":
            continue
        card = front_matter(readme)
        sentence = re.search(r"fine-tuned version of \[([^\]]+)\]", readme.read_text())
        if "base_model" not in card and sentence:
            card = {**card, "base_model": sentence.group(1), "base_model_relation": "finetune"}
        cards[str(readme.parent.relative_to(HF))] = card
    return cards


def tfhub_pages() -> dict[str, dict[str, str]]:
    """TF Hub model id → its ``<!-- key: value -->`` metadata, for the pages of ``# Module``."""
    pages = {}
    for path in TFHUB_DOCS.rglob("*.md"):
        text = path.read_text()
        module = re.search(r"^# Module (\S+)", text, re.M)
        if module:
            pages[module.group(1)] = dict(re.findall(r"<!-- ([\w-]+): (.*?) -->", text))
    return pages


def percent(value) -> float:
    text = str(value).strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


# -- opening -----------------------------------------------------------------------------------


def test_open_is_exported_lazily_and_shadows_nothing_else():
    assert mlkg.open is mlkg.api.open
    assert mlkg.Graph is Graph
    assert "open" in mlkg.__all__ and mlkg.__version__
    import builtins

    assert builtins.open is not mlkg.open  # only the package namespace has its own ``open``


def test_open_accepts_the_store_folder_and_settings(data_dir):
    with mlkg.open(data_dir / "store") as g:
        assert g.query("ASK { ?m a mlkg:Model }") is True
    from mlkg.config import resolve_settings

    with mlkg.open(resolve_settings(environ={}, data_dir=data_dir)) as g:
        assert g.settings.data_dir == data_dir


def test_two_read_only_graphs_open_side_by_side(data_dir, graph):
    with mlkg.open(data_dir) as other:
        assert other.query("ASK { ?m a mlkg:Model }") is graph.query("ASK { ?m a mlkg:Model }")


def test_open_a_missing_store_says_to_build(tmp_path):
    with pytest.raises(StoreError, match="mlkg build"):
        mlkg.open(tmp_path / "nothing")


def test_open_a_url_without_the_external_store_backend_says_so(monkeypatch):
    from mlkg import store

    monkeypatch.delattr(store, "connect", raising=False)
    with pytest.raises(StoreError, match="no external SPARQL store support"):
        mlkg.open("http://127.0.0.1:9/sparql")


def test_open_a_sparql_endpoint_answers_like_the_directory(data_dir, graph, tmp_path):
    from mlkg import store

    if not hasattr(store, "connect"):
        pytest.skip("this mlkg has no external-store backend (mlkg.store.connect)")
    from mlkg.server.testing import LiveServer

    served = tmp_path / "served"
    shutil.copytree(data_dir, served)
    with LiveServer(served) as server, mlkg.open(server.endpoint, default_graph="union") as remote:
        assert not remote.local
        sparql = "SELECT DISTINCT ?id ?n WHERE { ?m dcterms:identifier ?id ; mlkg:downloads ?n }"
        assert sorted(map(str, remote.query(sparql))) == sorted(map(str, graph.query(sparql)))
        assert remote.model("fernleaf/nimbus-7b-sentiment") == graph.model(
            "fernleaf/nimbus-7b-sentiment"
        )
        assert remote.lineage("nimbus-ai/nimbus-7b", "down") == graph.lineage(
            "nimbus-ai/nimbus-7b", "down"
        )
        hits = remote.search("nimbus sentiment", kind="model")
        assert graph.resource("model/huggingface/fernleaf/nimbus-7b-sentiment") in {
            hit.iri for hit in hits
        }


def test_unknown_options_for_a_directory_are_refused(data_dir):
    with pytest.raises(TypeError, match="timeout"):
        mlkg.open(data_dir, timeout=3)


def test_a_closed_graph_refuses_queries(data_dir):
    g = mlkg.open(data_dir)
    g.close()
    g.close()
    with pytest.raises(StoreError, match="closed"):
        g.query("ASK {}")


# -- queries -----------------------------------------------------------------------------------


def test_query_rows_carry_python_values(graph):
    hub = hub_api_models()
    rows = graph.query(
        """SELECT DISTINCT ?id ?downloads ?created ?gated ?hub WHERE {
             ?m dcterms:identifier ?id ; mlkg:downloads ?downloads ; dcterms:created ?created ;
                mlkg:hub ?hub . OPTIONAL { ?m mlkg:gated ?gated } }"""
    )
    models = {row["id"]: row for row in rows if row["id"] in hub}
    assert set(models) == {k for k, v in hub.items() if "downloads" in v}
    for model_id, row in models.items():
        assert row["downloads"] == hub[model_id]["downloads"]
        assert isinstance(row["downloads"], int)
        assert row["created"] == datetime.fromisoformat(hub[model_id]["createdAt"])
        # The Hub's "gated" is false, "auto" or "manual": gated unless false.
        assert row["gated"] in (hub[model_id]["gated"] is not False, None)
        assert isinstance(row["hub"], IRI) and row["hub"].name == "huggingface"


def test_frame_matches_rows(graph):
    sparql = "SELECT DISTINCT ?id ?n WHERE { ?m dcterms:identifier ?id ; mlkg:downloads ?n }"
    frame = graph.frame(sparql)
    assert list(frame.columns) == ["id", "n"]
    assert sorted(frame.itertuples(index=False, name=None)) == sorted(
        (row["id"], row["n"]) for row in graph.query(sparql)
    )
    assert str(frame["n"].dtype) == "int64"


def test_ask_and_construct(graph):
    assert graph.query("ASK { ?m mlkg:adapterOf ?base }") is True
    triples = graph.query(
        "CONSTRUCT { ?m mlkg:quantizedFrom ?b } WHERE { ?m mlkg:quantizedFrom ?b }"
    )
    expected = {
        (model_id, base)
        for model_id, card in card_models().items()
        if card.get("base_model_relation") == "quantized"
        for base in [card["base_model"]]
    }
    assert {
        (s.rsplit("huggingface/", 1)[1], o.rsplit("huggingface/", 1)[1]) for s, _, o in triples
    } == expected


def test_named_query_with_a_parameter(graph):
    tfhub = tfhub_pages()
    task = graph.resource("task/object-detection")
    rows = graph.query("models-per-task", {"task": task})
    counted = {row["hub"].name: row["models"] for row in rows}
    # The TF Hub pages name this task image-object-detection (TF Hub's spelling).
    assert counted.get("tfhub") == sum(
        1 for meta in tfhub.values() if meta.get("task") == "image-object-detection"
    )
    assert set(graph.named_queries()) >= {"models-per-task", "evaluations-of-model"}


def test_bad_sparql_and_unknown_names(graph):
    with pytest.raises(QueryError):
        graph.query("SELECT WHERE {")
    from mlkg.errors import NamedQueryNotFoundError

    with pytest.raises(NamedQueryNotFoundError):
        graph.query("no-such-query")


def test_to_python_keeps_what_does_not_fit_its_datatype():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert to_python(Literal("true", datatype=NamedNode(xsd + "boolean"))) is True
    assert to_python(Literal("0.5", datatype=NamedNode(xsd + "decimal"))) == 0.5
    assert to_python(Literal("seven", datatype=NamedNode(xsd + "integer"))) == "seven"
    assert to_python(Literal("2024-01-05", datatype=NamedNode(xsd + "date"))).month == 1
    assert to_python(Literal("hallo", language="de")) == "hallo"
    assert not isinstance(to_python(Literal("https://x.org/")), IRI)


# -- models ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", sorted(hub_api_models()))
def test_model_facts_match_the_hub_api_json(graph, model_id):
    data = hub_api_models()[model_id]
    model = graph.model(model_id)
    assert model.id == model_id and model.described
    assert model.hub.name == "huggingface"
    assert model.downloads == data.get("downloads")
    assert model.likes == data.get("likes")
    assert model.library == data.get("library_name")
    assert model.created == datetime.fromisoformat(data["createdAt"])
    total = (data.get("safetensors") or data.get("gguf") or {}).get("total")
    assert model.parameter_count == total
    licence = next((t.split(":", 1)[1] for t in data["tags"] if t.startswith("license:")), None)
    if licence:
        assert [iri.name.lower() for iri in model.licences] == [licence.lower()]
    assert model.task is not None and model.task.name == data["pipeline_tag"]


@pytest.mark.parametrize("model_id", sorted(tfhub_pages()))
def test_model_facts_match_the_tfhub_pages(graph, model_id):
    meta = tfhub_pages()[model_id]
    model = graph.model(model_id, hub="tfhub")
    assert model.hub.name == "tfhub"
    assert model.url == f"https://tfhub.dev/{model_id}"
    if "license" in meta and meta["license"] != "custom":
        assert [iri.name.lower() for iri in model.licences] == [meta["license"].lower()]
    if "network-architecture" in meta:
        assert [a.name for a in model.architectures] == [meta["network-architecture"].lower()]


def test_model_lineage_matches_the_cards(graph):
    hub = hub_api_models()
    for model_id, card in card_models().items():
        bases = card.get("base_model") or []
        bases = [bases] if isinstance(bases, str) else bases
        model = graph.model(model_id)
        assert sorted(e.base_id for e in model.parents) == sorted(bases), model_id
        relation = card.get("base_model_relation")
        tags = hub.get(model_id, {}).get("tags", [])
        for tag in tags:
            parts = tag.split(":")
            if len(parts) == 3 and parts[0] == "base_model":
                relation = parts[1]
        if len(bases) > 1 and "merge" in card.get("tags", []):
            relation = "merge"
        if bases and relation:
            assert {e.relation for e in model.parents} == {RELATIONS[relation]}, model_id
        for edge in model.parents:
            base = graph.model(edge.base)
            assert model_id in {e.model_id for e in base.children}


def test_lineage_up_down_and_both(graph):
    cards = card_models()

    def bases(model_id):
        value = cards.get(model_id, {}).get("base_model") or []
        return [value] if isinstance(value, str) else value

    down = graph.lineage("nimbus-ai/nimbus-7b", "down")
    descendants = set()
    frontier = {"nimbus-ai/nimbus-7b"}
    while frontier:
        frontier = {m for m in cards if set(bases(m)) & frontier} - descendants
        descendants |= frontier
    assert {e.model_id for e in down} == descendants
    up = graph.lineage("mergecraft/nimbus-fern-merge", "up")
    assert {(e.model_id, e.base_id) for e in up} == {
        ("mergecraft/nimbus-fern-merge", "nimbus-ai/nimbus-7b"),
        ("mergecraft/nimbus-fern-merge", "fernleaf/nimbus-7b-sentiment"),
        ("fernleaf/nimbus-7b-sentiment", "nimbus-ai/nimbus-7b"),
    }
    both = graph.lineage("fernleaf/nimbus-7b-sentiment", "both")
    assert {e.model_id for e in both} == {
        "fernleaf/nimbus-7b-sentiment",
        "mergecraft/nimbus-fern-merge",
    }
    with pytest.raises(ValueError, match="direction"):
        graph.lineage("nimbus-ai/nimbus-7b", "sideways")


def test_model_evaluations_match_the_model_index(graph):
    card = card_models()["fernleaf/nimbus-7b-sentiment"]
    expected = sorted(
        (metric["type"], round(percent(metric["value"]), 6), result["dataset"].get("split"))
        for entry in card["model-index"]
        for result in entry["results"]
        for metric in result["metrics"]
    )
    model = graph.model("fernleaf/nimbus-7b-sentiment")
    got = sorted((e.metric.name, round(e.value, 6), e.split) for e in model.evaluations)
    assert got == expected
    verified = {
        (metric["type"], result["dataset"].get("split"))
        for entry in card["model-index"]
        for result in entry["results"]
        for metric in result["metrics"]
        if metric.get("verified")
    }
    assert {(e.metric.name, e.split) for e in model.evaluations if e.verified} == verified


def test_training_configuration_matches_the_card(graph):
    text = (HF / "fernleaf" / "nimbus-7b-sentiment" / "README.md").read_text()
    section = text.split("### Training hyperparameters", 1)[1].split("###", 1)[0]
    listed = dict(re.findall(r"^- (\w+): (.+)$", section, re.M))
    config = graph.model("fernleaf/nimbus-7b-sentiment").configuration
    assert config is not None
    for name, value in listed.items():
        if re.fullmatch(r"-?\d+", value):
            assert config.hyperparameters[name] == int(value), name
        elif re.fullmatch(r"-?[\d.]+(e-?\d+)?", value):
            assert config.hyperparameters[name] == pytest.approx(float(value)), name
    assert str(config.hyperparameters["optimizer"]).startswith("Adam")
    assert sorted(d.name for d in config.datasets) == sorted(
        d.rsplit("/", 1)[-1]
        for d in front_matter(HF / "fernleaf/nimbus-7b-sentiment/README.md")["datasets"]
    )


def test_openml_run_configuration_and_evaluations_match_its_xml(graph):
    ns = {"oml": "http://openml.org/openml"}
    root = ET.parse(OPENML / "runs" / "90042" / "description.xml").getroot()
    settings = {
        s.findtext("oml:name", namespaces=ns): json.loads(s.findtext("oml:value", namespaces=ns))
        for s in root.findall("oml:parameter_setting", ns)
    }
    model = graph.model("run/90042", hub="openml")
    config = model.configuration
    for name, value in settings.items():
        if value is not None:  # JSON null: see the report (kept as the text "null")
            assert config.hyperparameters[name] == value, name
    evaluations = root.findall(".//oml:evaluation", ns)
    overall = {
        e.findtext("oml:name", namespaces=ns): float(e.findtext("oml:value", namespaces=ns))
        for e in evaluations
        if e.get("fold") is None
    }
    folds = sorted(
        float(e.findtext("oml:value", namespaces=ns))
        for e in evaluations
        if e.get("fold") is not None
        and e.findtext("oml:name", namespaces=ns) == "predictive_accuracy"
    )
    accuracy = [e for e in model.evaluations if e.metric.name == "accuracy"]
    assert [e.value for e in accuracy if e.split is None] == [overall["predictive_accuracy"]]
    assert sorted(e.value for e in accuracy if e.split is not None) == folds
    assert {e.dataset.name for e in accuracy} == {
        root.findtext(".//oml:input_data/oml:dataset/oml:name", namespaces=ns)
    }


def test_model_lookup_errors_and_hub(graph):
    with pytest.raises(ModelNotFoundError, match="nimbus-ai/nimbus-7b") as info:
        graph.model("nimbus-7b")
    assert "nimbus-ai/nimbus-7b" in info.value.candidates
    with pytest.raises(ModelNotFoundError):
        graph.model("nimbus-ai/nimbus-7b", hub="tfhub")
    by_iri = graph.model(graph.resource("model/huggingface/nimbus-ai/nimbus-7b"))
    assert by_iri == graph.model("nimbus-ai/nimbus-7b", hub="huggingface")


def test_a_stub_model_is_not_described(graph):
    # tiny-bert-ner's card names a base model the sample has no record of.
    tiny = graph.model("oldcards/tiny-bert-ner")
    (edge,) = tiny.parents
    stub = graph.model(edge.base)
    assert not stub.described
    assert (HF / edge.base_id).exists() is False


# -- search, validation, export, optimizer ---------------------------------------------------


def test_search_finds_a_model_by_its_words(graph):
    hits = graph.search("cedar det", kind="model")
    assert hits and hits[0].iri.endswith("aurora/coco/cedar_det/1")
    assert graph.search("") == []


def test_validate_the_stored_sample_conforms(graph):
    report = graph.validate()
    assert report.conforms, str(report)
    assert report.graphs == len(graph.record_graphs()) > 40
    assert "sh:ValidationReport" in report.to_turtle() or "ValidationReport" in report.to_turtle()


def test_validate_finds_a_graph_changed_behind_the_pipeline(data_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    from mlkg.store import open_store

    graph_iri = "https://w3id.org/mlkg/resource/graph/huggingface/models/nimbus-ai/nimbus-7b"
    model_iri = "https://w3id.org/mlkg/resource/model/huggingface/nimbus-ai/nimbus-7b"
    with open_store(copy, base_iri="https://w3id.org/mlkg/resource/") as store:
        store.pyoxigraph.update(
            f"INSERT DATA {{ GRAPH <{graph_iri}> {{ <{model_iri}> "
            '<https://w3id.org/mlkg/ontology#parameterCount> "seven billion" } }'
        )
    with mlkg.open(copy) as g:
        report = g.validate()
        assert not report.conforms
        assert {(v.graph, v.focus, v.path) for v in report.violations} == {
            (graph_iri, model_iri, "https://w3id.org/mlkg/ontology#parameterCount")
        }
        assert any("Datatype" in v.constraint for v in report.violations)
        assert "parameterCount" in report.to_turtle() and "seven billion" in report.to_turtle()
        assert str(report).startswith(f"{report.graphs} record graphs checked: 3 violations")
        only = g.validate([graph_iri])
        assert only.graphs == 1 and only.violations == report.violations


def test_export_nquads_keeps_every_quad(graph, tmp_path):
    result = graph.export(tmp_path / "dump.nq")
    quads = list(parse(path=str(tmp_path / "dump.nq"), format=RdfFormat.N_QUADS))
    assert len(quads) == len(graph.store)
    assert result.format.cli_name == "nquads"
    gz = graph.export(tmp_path / "dump.ttl.gz", void=tmp_path / "void.ttl")
    assert gz.format.cli_name == "turtle" and (tmp_path / "void.ttl").exists()
    import gzip

    with gzip.open(tmp_path / "dump.ttl.gz", "rb") as handle:
        triples = list(parse(handle.read(), format=RdfFormat.TURTLE))
    distinct = graph.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }"
    )
    assert len(triples) == distinct[0]["n"]
    with pytest.raises(ValueError, match="format"):
        graph.export(tmp_path / "dump")


def test_optimize_over_an_imported_profile(data_dir, tmp_path):
    from mlkg.config import resolve_settings
    from mlkg.optimizer.profile import ProfileOptions, import_profile

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    zoo = tmp_path / "tiny.csv"
    zoo.write_text("model_name,person,car,cost\nfast,0.6,0.5,1\nslow,0.9,0.8,10\n")
    settings = resolve_settings(environ={}, data_dir=copy)
    import_profile(settings, zoo, ProfileOptions(metric="ap", dataset="coco"))
    with mlkg.open(copy) as g:
        cheap = g.optimize("person & car", max_cost=2, dataset="coco")
        rich = g.optimize("person & car", max_cost=100, dataset="coco")
    # Independent: within cost 2 only "fast" fits (1 + 1 with one model per label, or one model
    # answering both: selection cost counts a model once); with 100 "slow" is better on both.
    assert cheap.feasible and set(cheap.assignment.values()) == {"fast"}
    assert rich.feasible and set(rich.assignment.values()) == {"slow"}
    assert rich.accuracy > cheap.accuracy


# -- docstring examples --------------------------------------------------------------------------


def test_docstring_examples_run(graph):
    result = doctest.testmod(
        mlkg.api, extraglobs={"graph": graph}, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted >= 15
    assert result.failed == 0


def test_import_mlkg_stays_light():
    import subprocess
    import sys

    code = "import sys, mlkg; print('mlkg.api' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_to_rdflib_keeps_literals_and_refuses_select(graph):
    sub = graph.to_rdflib(
        "CONSTRUCT WHERE { ?m dcterms:identifier 'nimbus-ai/nimbus-7b' ; mlkg:downloads ?d }"
    )
    (downloads,) = {o for _, p, o in sub if str(p).endswith("#downloads")}
    assert downloads.toPython() == hub_api_models()["nimbus-ai/nimbus-7b"]["downloads"]
    assert str(downloads.datatype).endswith("#integer")
    with pytest.raises(QueryError, match="CONSTRUCT"):
        graph.to_rdflib("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


def test_problem_is_retrieved_once_and_solved_many_times(data_dir, tmp_path):
    from mlkg.config import resolve_settings
    from mlkg.optimizer import solve
    from mlkg.optimizer.profile import ProfileOptions, import_profile

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    zoo = tmp_path / "tiny.csv"
    zoo.write_text("model_name,person,car,cost\nfast,0.6,0.5,1\nslow,0.9,0.8,10\n")
    import_profile(resolve_settings(environ={}, data_dir=copy), zoo, ProfileOptions())
    with mlkg.open(copy) as g:
        problem = g.problem("person | car", dataset="coco")
    assert sorted(m.id for m in problem.models) == ["fast", "slow"]
    # person | car with one model: 1 - (1 - p)(1 - c), computed here by hand.
    assert solve(problem, max_cost=1).accuracy == pytest.approx(1 - 0.4 * 0.5)
    assert solve(problem, max_cost=10).accuracy == pytest.approx(1 - 0.1 * 0.2)
