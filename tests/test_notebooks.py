"""The notebooks in notebooks/ run top to bottom, and what they show is right.

Each notebook is executed once per session with nbclient, on an ipykernel kernel running this
interpreter, with matplotlib's Agg backend. A failing ``assert`` in a notebook fails its test.
Then the outputs of the cells tagged for checking (``metadata.tags``) are read back from the
executed notebook and compared with an independent reading of the sources: the sample zoo's own
files (JSON, YAML front matter, CSV), the licence vocabulary, and the synthetic zoo generator's
data with a brute-force optimum. The notebooks are committed without outputs.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from mlkg.sample_zoo import SAMPLE_DIR
from tests.conftest import REPO, SHARED

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = REPO / "notebooks"
NAMES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
HF = SAMPLE_DIR / "huggingface"
TIMM = SAMPLE_DIR / "timm"
KERNEL = "mlkg-notebook-tests"


def test_there_are_the_three_notebooks():
    assert NAMES == [
        "01-exploring-the-zoo.ipynb",
        "02-ontology-reasoning.ipynb",
        "03-optimizer.ipynb",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_notebooks_are_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [ruff, "check", "notebooks"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- running them ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory) -> Path:
    """A Jupyter data dir with a kernelspec that runs this interpreter (the venv's Python)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    env = {"MPLBACKEND": "Agg", "PYTHONPATH": str(REPO)}
    if SHARED is not None:  # the notebooks find ../shared where the tests found it
        env["MLKG_SHARED_DIR"] = str(SHARED)
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "mlkg tests", "language": "python", "env": env})
    )
    return root


_executed: dict[str, object] = {}


@pytest.fixture
def run(kernel_path, monkeypatch):
    """Execute a notebook once per session (later calls return the same executed notebook)."""

    def execute(name: str):
        if name not in _executed:
            monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
            notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
            client = nbclient.NotebookClient(
                notebook,
                kernel_name=KERNEL,
                timeout=600,  # a hang guard per cell, not a performance limit
                resources={"metadata": {"path": str(NOTEBOOKS)}},
            )
            try:
                client.execute()
            except nbclient.exceptions.CellExecutionError as exc:
                _executed[name] = exc
            else:
                _executed[name] = notebook
        result = _executed[name]
        if isinstance(result, Exception):
            pytest.fail(f"{name} failed:\n{result}")
        return result

    return execute


def tagged(notebook, tag: str):
    """The value a tagged cell displayed (its ``text/plain`` result, a Python literal)."""
    for cell in notebook.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    return ast.literal_eval(output["data"]["text/plain"])
    raise AssertionError(f"no displayed result in a cell tagged {tag!r}")


def stream_text(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream"
    )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(run, name):
    notebook = run(name)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert errors == []


# -- the sample's sources, read independently ------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def front_matter(readme: Path) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", readme.read_text(), re.S)
    return yaml.safe_load(match.group(1)) if match else {}


def hub_models() -> dict[str, dict]:
    """Hugging Face model id → {"card": front matter, "api": Hub API JSON or {}, "text": card}."""
    models = {}
    for readme in HF.glob("*/*/README.md"):
        if readme.parent.parent.name == "datasets":
            continue
        model_id = str(readme.parent.relative_to(HF))
        api = HF / f"{model_id}.json"
        models[model_id] = {
            "card": front_matter(readme),
            "api": json.loads(api.read_text()) if api.exists() else {},
            "text": readme.read_text(),
        }
    return models


def spdx_ids() -> set[str]:
    """Lower-cased SPDX ids of the licence vocabulary (the shipped ontology data)."""
    text = (REPO / "ontology" / "vocab" / "licenses.ttl").read_text()
    return {m.lower() for m in re.findall(r"<http://spdx\.org/licenses/([^>]+)>", text)}


def model_index(card: dict) -> list[dict]:
    """The card's model-index entries; dirty cards spell it ``model_index`` or give one entry."""
    found = card.get("model-index") or card.get("model_index") or []
    return [found] if isinstance(found, dict) else [e for e in found if isinstance(e, dict)]


def hub_licence(entry: dict) -> str | None:
    card = entry["card"]
    licence = card.get("license") or card.get("licence")
    if licence == "other":
        return card.get("license_name")
    return licence


# -- 01: exploring the zoo -------------------------------------------------------------------


def test_exploring_tasks_per_hub_match_the_hub_sources(run):
    shown = tagged(run("01-exploring-the-zoo.ipynb"), "tasks-per-hub")
    expected = Counter()
    for entry in hub_models().values():
        task = entry["api"].get("pipeline_tag") or entry["card"].get("pipeline_tag")
        if not task:
            for model in model_index(entry["card"]):
                for result in model.get("results", []):
                    task = task or result.get("task", {}).get("type")
        if task:
            expected[task] += 1
    assert shown["huggingface"] == dict(expected)


def test_exploring_licence_mix_matches_the_cards(run):
    shown = tagged(run("01-exploring-the-zoo.ipynb"), "licence-mix")
    expected = Counter(
        slug(licence) for entry in hub_models().values() if (licence := hub_licence(entry))
    )
    assert Counter({slug(k): v for k, v in shown["huggingface"].items()}) == expected


def test_exploring_downloads_match_the_hub_api_json(run):
    shown = tagged(run("01-exploring-the-zoo.ipynb"), "downloads")
    expected = {
        model_id: entry["api"]["downloads"]
        for model_id, entry in hub_models().items()
        if "downloads" in entry["api"]
    }
    assert shown == expected


def test_exploring_timm_top1_matches_the_result_tables_and_model_index(run):
    shown = tagged(run("01-exploring-the-zoo.ipynb"), "timm-top1")
    expected: dict[str, set[float]] = {"imagenet-ilsvrc-2012": set(), "imagenet-a": set()}
    for table, dataset in (("imagenet", "imagenet-ilsvrc-2012"), ("imagenet-a", "imagenet-a")):
        text = (TIMM / "results" / f"results-{table}.csv").read_text().splitlines()
        header = text[0].split(",")
        for line in text[1:]:
            row = dict(zip(header, line.split(","), strict=True))
            expected[dataset].add(round(float(row["top1"]) / 100, 6))
    mdx = (TIMM / "hfdocs" / "source" / "models" / "tinynet.mdx").read_text()
    block = re.search(r"<!--\nType: model-index\n(.*?)-->", mdx, re.S).group(1)
    for model in yaml.safe_load(block)["Models"]:
        for result in model.get("Results", []):
            if result["Dataset"] == "ImageNet":
                top1 = str(result["Metrics"]["Top 1 Accuracy"]).rstrip("%")
                expected["imagenet-ilsvrc-2012"].add(round(float(top1) / 100, 6))
    assert {k: set(v) for k, v in shown.items()} == expected


# -- 02: ontology reasoning ------------------------------------------------------------------


def test_reasoning_shows_the_defined_classes_the_sources_imply(run):
    notebook = run("02-ontology-reasoning.ipynb")
    inferred = tagged(notebook, "inferred")
    if inferred is None:
        assert "skipped" in stream_text(notebook)
        pytest.skip("the notebook skipped reasoning: Java is not installed here")
    models = hub_models()
    fine_tuned, restricted, own_data = set(), set(), set()
    spdx = spdx_ids()
    for model_id, entry in models.items():
        card = entry["card"]
        relations = {card.get("base_model_relation")}
        relations |= {
            tag.split(":")[1]
            for tag in entry["api"].get("tags", [])
            if tag.startswith("base_model:") and tag.count(":") == 2
        }
        if "base_model" not in card and re.search(r"fine-tuned version of \[", entry["text"]):
            relations.add("finetune")  # a card from before base_model existed
        if "finetune" in relations:
            fine_tuned.add(f"huggingface/{model_id}")
        licence = hub_licence(entry)
        if licence and licence.lower() not in spdx:
            restricted.add(f"huggingface/{model_id}")
        datasets = {d for d in card.get("datasets") or [] if isinstance(d, str)}
        for model in model_index(card):
            for result in model.get("results", []):
                if result.get("dataset", {}).get("type") in datasets:
                    own_data.add(f"huggingface/{model_id}")

    def hub_only(members):
        return {m for m in members if m.startswith("huggingface/") and "/demo/" not in m}

    assert hub_only(inferred["FineTunedModel"]) == fine_tuned
    assert hub_only(inferred["LicenceRestrictedModel"]) == restricted
    assert hub_only(inferred["EvaluatedOnTrainingDataset"]) == own_data
    # The notebook's hypothetical quantisation of the Llama-2-licensed guarded-llm:
    assert inferred["QuantisedDescendantOfRestrictedBase"] == ["huggingface/demo/guarded-llm-GGUF"]
    assert "huggingface/tidewater/guarded-llm" in restricted


def test_reasoning_shows_the_shacl_violations_of_the_draft(run):
    notebook = run("02-ontology-reasoning.ipynb")
    shown = [
        output["data"].get("text/html", "")
        for cell in notebook.cells
        if cell.cell_type == "code" and "draft_violations" in cell.source
        for output in cell.outputs
        if output.get("output_type") == "execute_result"
    ]
    assert shown, "the draft's violations are not displayed"
    assert "DatatypeConstraintComponent" in shown[0] and "parameterCount" in shown[0]
    assert "the fixed record conforms" in stream_text(notebook)


# -- 03: optimizer ---------------------------------------------------------------------------


def test_optimizer_curve_is_the_brute_force_optimum(run):
    shown = tagged(run("03-optimizer.ipynb"), "trade-off")
    from mlkg.optimizer.synthetic import synthetic_zoo

    zoo, _ = synthetic_zoo(24, 16, blocks=4, seed=11)  # the notebook's zoo (the generator's data)
    groups = [g.strip(" ()").split(" & ") for g in shown["query"].split(" | ")]
    labels = [label for group in groups for label in group]
    choices = [[m for m in zoo if m.accuracy.get(label, 0) > 0] for label in labels]
    plans = []
    for picked in itertools.product(*choices):
        quality = {label: m.accuracy[label] for label, m in zip(labels, picked, strict=True)}
        accuracy = 1 - math.prod(1 - math.prod(quality[t] for t in group) for group in groups)
        plans.append((sum({m.id: m.cost for m in picked}.values()), accuracy))
    for budget, accuracy in zip(shown["budgets"], shown["exact"], strict=True):
        best = max(a for c, a in plans if c <= budget + 1e-9)
        assert accuracy == pytest.approx(best, abs=1e-8), budget
    assert shown["exact"] == sorted(shown["exact"])


def test_optimizer_coco_curve_is_the_brute_force_optimum(run, shared_dir):
    shown = tagged(run("03-optimizer.ipynb"), "coco")
    assert shown is not None, "the notebook skipped the COCO zoo although ../shared is present"
    path = shared_dir / "optimizer-zoo/Project_Boolean_Query_Plan/repository/model_stats_ap.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    zoo = []
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        person, car = (float(row[k]) if row[k] else 0.0 for k in ("person", "car"))
        zoo.append((row[""], float(row["cost"]), person, car))
    pairs = [
        (p_cost + (c_cost if p_id != c_id else 0.0), person * car)
        for p_id, p_cost, person, _ in zoo
        if person > 0
        for c_id, c_cost, _, car in zoo
        if car > 0
    ]
    for budget, accuracy in zip(shown["budgets"], shown["accuracy"], strict=True):
        within = [a for c, a in pairs if c <= budget + 1e-9]
        if not within:
            assert accuracy is None
        else:
            assert accuracy == pytest.approx(max(within), abs=1e-8), budget
