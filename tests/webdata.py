"""Test data for the web, search, linked-data and export tests, built once per test run.

The project's sample zoo (TF Hub and PyTorch Hub) is copied and extended with TEST-ONLY records
that never ship in the package:

* ``quillworks/script-probe/1``, a TF Hub card whose description and tags carry ``<script>``
  and an ``onerror`` image, to prove card text is shown as text and never runs;
* one hand-written record graph (``graph/test/tuned``) of a model with a training
  configuration, a per-label evaluation on a split, a verified flag and a fine-tuning link,
  loaded through the real :class:`mlkg.publish.Publisher` (search index + snapshot), because no
  sample source describes hyperparameters yet.

Expectations in the tests come from parsing these files here, not from the code under test.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

from mlkg.config import Settings, resolve_settings
from mlkg.pipeline import build
from mlkg.publish import Publisher
from mlkg.records import MappedRecord
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.store import open_store

BASE = "https://w3id.org/mlkg/resource/"
SCRIPT_MODEL_ID = "quillworks/script-probe/1"
SCRIPT_DESCRIPTION = (
    "Probe <script>alert(1)</script> card <img src=x onerror=alert(2)> that tries to run a script."
)
SCRIPT_CARD = f"""# Module {SCRIPT_MODEL_ID}
{SCRIPT_DESCRIPTION}

<!-- asset-path: https://storage.googleapis.com/quillworks-models/script-probe/1.tar.gz -->
<!-- task: text-classification -->
<!-- network-architecture: <script>alert(3)</script> -->
<!-- language: en -->
<!-- format: saved_model_2 -->
<!-- license: mit -->

## Overview

Test data only: this card's text must show as text and never run.
"""

TUNED_MODEL = BASE + "model/tfhub/testlab/tuned/1"
TUNED_GRAPH = BASE + "graph/test/tuned"
TUNED_TURTLE = f"""
@prefix mlkg: <https://w3id.org/mlkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <{BASE}> .

<graph/test/tuned> a mlkg:RecordGraph ; mlkg:recordSource "test" ; mlkg:recordId "tuned" ;
    foaf:primaryTopic <model/tfhub/testlab/tuned/1> ; foaf:topic <model/tfhub/testlab/tuned/1> .
<model/tfhub/testlab/tuned/1> a mlkg:Model ; rdfs:label "testlab/tuned/1" ;
    dcterms:identifier "testlab/tuned/1" ; mlkg:hub <hub/tfhub> ;
    dcterms:description "A sentiment model fine-tuned for the web tests." ;
    mlkg:fineTunedFrom <model/tfhub/quillworks/sparrow-sentiment/1> ;
    mlkg:parameterCount 1234567 ; mlkg:library "keras" ;
    prov:wasGeneratedBy <model/tfhub/testlab/tuned/1/training> .
<model/tfhub/testlab/tuned/1/training> a mlkg:TrainingRun ;
    prov:used <dataset/sst-2> ;
    mlkg:configuration <model/tfhub/testlab/tuned/1/training/configuration> .
<model/tfhub/testlab/tuned/1/training/configuration> a mlkg:TrainingConfiguration ;
    mlkg:setting <model/tfhub/testlab/tuned/1/training/configuration/learning_rate> ,
                 <model/tfhub/testlab/tuned/1/training/configuration/epochs> .
<model/tfhub/testlab/tuned/1/training/configuration/learning_rate> a mlkg:HyperParameterSetting ;
    mlkg:hyperParameter <hyperparameter/learning_rate> ; mlkg:value "0.001"^^xsd:double ;
    mlkg:rawValue "1e-3" .
<model/tfhub/testlab/tuned/1/training/configuration/epochs> a mlkg:HyperParameterSetting ;
    mlkg:hyperParameter <hyperparameter/epochs> ; mlkg:value 3 .
<hyperparameter/learning_rate> a mlkg:HyperParameter ; rdfs:label "learning_rate" .
<hyperparameter/epochs> a mlkg:HyperParameter ; rdfs:label "epochs" .
<dataset/sst-2/split/validation> a mlkg:DatasetSplit ; dcterms:isPartOf <dataset/sst-2> ;
    mlkg:splitName "validation" .
<model/tfhub/testlab/tuned/1/evaluation/e1> a mlkg:Evaluation ;
    mlkg:evaluatedModel <model/tfhub/testlab/tuned/1> ; mlkg:metric <metric/accuracy> ;
    mlkg:value "0.913"^^xsd:double ; mlkg:onDataset <dataset/sst-2/split/validation> ;
    mlkg:forLabel <label/sst-2/positive> ; mlkg:verified true ; mlkg:rawValue "91.3%" .
<label/sst-2/positive> a mlkg:Label ; rdfs:label "positive" .
"""


@dataclass(frozen=True)
class WebData:
    settings: Settings
    zoo: Path

    @property
    def tfhub(self) -> Path:
        return self.zoo / "tfhub"

    @property
    def pytorch_hub(self) -> Path:
        return self.zoo / "pytorch-hub"


_BUILT: dict[str, WebData] = {}


def web_data(root: Path) -> WebData:
    """The built test store under ``root`` (built on first use, then reused)."""
    key = str(root)
    if key not in _BUILT:
        _BUILT[key] = _build(root)
    return _BUILT[key]


def _build(root: Path) -> WebData:
    zoo = root / "zoo"
    shutil.copytree(SAMPLE_DIR / "tfhub", zoo / "tfhub")
    shutil.copytree(SAMPLE_DIR / "pytorch-hub", zoo / "pytorch-hub")
    probe = zoo / "tfhub" / "assets" / "docs" / "quillworks" / "models" / "script-probe" / "1.md"
    probe.parent.mkdir(parents=True)
    probe.write_text(SCRIPT_CARD, encoding="utf-8")
    settings = resolve_settings(environ={}, data_dir=root / "data")
    for source in ("tfhub", "pytorch-hub"):
        report = build(settings, source, location=str(zoo / source))
        assert report.quarantined == 0, f"{source}: test data was quarantined"
    load_graph(settings, TUNED_GRAPH, TUNED_TURTLE, topics=[TUNED_MODEL])
    return WebData(settings, zoo)


def load_graph(settings: Settings, graph: str, turtle: str, *, topics: list[str]) -> None:
    """Write one record graph the way a load does: store, then the publisher (search index,
    snapshot)."""
    triples = list(parse(turtle, format=RdfFormat.TURTLE))
    record = MappedRecord(
        source="test",
        record_id=graph.rsplit("/", 1)[-1],
        graph=NamedNode(graph),
        subject=NamedNode(topics[0]),
        topics=[NamedNode(t) for t in topics],
        triples=triples,
    )
    publisher = Publisher(settings)
    with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
        store.replace_graphs({record.graph: record.quads()})
        publisher.loaded([record])
        publisher.finished(store, changed=True)


# -- independent expectations, parsed from the sample files -----------------------------------

_HANDLE = re.compile(r"^# (Module|Placeholder|Lite|Tfjs|Coral) (\S+)$")
_COMMENT = re.compile(r"^<!--\s*([\w-]+):\s*(.*?)\s*-->$", re.M)


@dataclass(frozen=True)
class TfhubPage:
    """What a TF Hub model page says, read with regular expressions."""

    path: Path
    kind: str
    handle: str
    description: str
    fields: dict[str, str]

    @property
    def identifier(self) -> str:
        """The model id: tfhub.dev puts Lite, TF.js and Coral variants under
        ``<publisher>/<kind>-model/...`` (``aurora/lite-model/imagenet/...``)."""
        if self.kind in ("Lite", "Tfjs", "Coral"):
            publisher, _, rest = self.handle.partition("/")
            return f"{publisher}/{self.kind.lower()}-model/{rest}"
        return self.handle

    @property
    def iri(self) -> str:
        return BASE + "model/tfhub/" + self.identifier


def tfhub_pages(folder: Path) -> list[TfhubPage]:
    """Every model page (``# Module handle`` etc.) under a tfhub.dev-style folder."""
    pages = []
    for path in sorted((folder / "assets" / "docs").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        match = _HANDLE.match(first)
        if not match:
            continue
        description = next((line for line in rest.splitlines() if line.strip()), "")
        fields = dict(_COMMENT.findall(text))
        pages.append(TfhubPage(path, match[1], match[2], description.strip(), fields))
    return pages


def boxnet_table(zoo: Path) -> dict[str, dict[str, str]]:
    """The BoxNet page's evaluation table: entry point → {column: raw value}."""
    text = (zoo / "pytorch-hub" / "mlkg-samples_boxnet_detector.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {}
    for line in lines[2:]:
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        table[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return table
