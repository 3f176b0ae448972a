"""The links stage after a load derives again only what the load's graphs can change.

Property: after any sequence of builds with random changes (lineage targets changed, versions
added and removed, records added and removed, across sources: one source describes a target
another one links to, then stops), the three derived graphs (revisions, same weights, unresolved
references) are exactly what a from-scratch derivation over the same final store gives. The zoos
are written by :func:`mlkg.generate.generate_zoo` and hand-written pages, then edited on disk, so
each build runs the real crawl → map → validate → load path.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Quad

import crawlers.tfhub as tfhub
from crawlers import Source
from mlkg.config import Settings, resolve_settings
from mlkg.generate import generate_zoo
from mlkg.identity import CANDIDATES, SAME_WEIGHTS_GRAPH, derive_same_weights
from mlkg.iris import Iris
from mlkg.links import (
    PENDING_GRAPH,
    REVISIONS_GRAPH,
    UNRESOLVED,
    UNRESOLVED_GRAPH,
    VERSIONED_MODELS,
    check_links,
    derive_revisions,
)
from mlkg.loading import LoadSession
from mlkg.pipeline import build, load_chunks
from mlkg.remote_store import RemoteStore
from mlkg.report import BuildReport
from mlkg.store import EmbeddedStore, connect
from tests.test_remote_store import OxigraphServer

DERIVED = (REVISIONS_GRAPH, SAME_WEIGHTS_GRAPH, UNRESOLVED_GRAPH)
#: The whole-store queries of the links stage (CANDIDATES up to its hub list).
WHOLE_STORE = (VERSIONED_MODELS, UNRESOLVED, CANDIDATES.split("%s")[0])

#: TF Hub handles no generated page has: tfhub variants are re-pointed at them, and the
#: "mirror" source (a second source describing TF Hub models) describes them for a while.
GHOSTS = ("ghost/transformer/spook_001/1", "ghost/transformer/spook_001/3", "ghost/convnext/boo/2")
#: Hugging Face ids no generated model has.
HF_GHOSTS = ("ghostorg/phantom-bert-base", "ghostorg/phantom-gpt2")

VISION = ("resnet50", "vgg16", "resnet18", "alexnet")
TIMM_ROWS = ("resnet50.tv_in1k", "vgg16.tv_in1k", "resnet18.tv_in1k", "resnet50.a1_in1k")


# -- the zoos ---------------------------------------------------------------------------------


class Zoos:
    """Five sources on disk, edited at random between builds: Hugging Face and TF Hub as
    generated, a "mirror" of TF Hub pages, PyTorch Hub and timm pages naming torchvision
    weights."""

    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.clock = 1_600_000_000
        generate_zoo(root / "gen", models=60, seed=seed, hub_share=0.5, workers=1, datasets=3)
        self.hf = root / "gen" / "huggingface"
        self.tfhub = root / "gen" / "tfhub"
        self.mirror = root / "mirror"
        (self.mirror / "assets" / "docs").mkdir(parents=True)
        self.vision = set(self.rng.sample(VISION, 2))
        self.timm = set(self.rng.sample(TIMM_ROWS, 2))
        self.timm_legacy = self.rng.random() < 0.5
        self.write_torchvision()

    def write(self, path: Path, text: str) -> None:
        """Write a file with a new modification time (the local crawlers trust unchanged stats)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.clock += 10
        os.utime(path, (self.clock, self.clock))

    # PyTorch Hub and timm

    def write_torchvision(self) -> None:
        loads = "\n".join(
            f"model = torch.hub.load('pytorch/vision:v0.10.0', '{arch}', pretrained=True)"
            for arch in sorted(self.vision)
        )
        self.write(
            self.root / "hub" / "pytorch_vision_resnet.md",
            "---\ntitle: ResNet\nsummary: Residual networks\nauthor: Pytorch Team\n"
            f"github-id: pytorch/vision\n---\n```python\n{loads}\n```\n\n### Model Description\n\n"
            "Pre-trained on ImageNet.\n",
        )
        rows = "".join(
            f"{name},224,76.1,23.9,92.8,7.2,25.56,0.875,bilinear\n" for name in sorted(self.timm)
        )
        self.write(
            self.root / "timm" / "results" / "results-imagenet.csv",
            "model,img_size,top1,top1_err,top5,top5_err,param_count,crop_pct,interpolation\n"
            + rows,
        )
        legacy = (
            "- Name: tv_resnet18\n  In Collection: ResNet\n  Metadata:\n    Training Data:\n"
            "    - ImageNet\n  Weights: https://download.pytorch.org/models/resnet18-5c106cde.pth\n"
            if self.timm_legacy
            else ""
        )
        self.write(
            self.root / "timm" / "hfdocs" / "source" / "models" / "resnet.mdx",
            "# ResNet\n\n<!--\nType: model-index\nCollections:\n- Name: ResNet\nModels:\n"
            f"{legacy}- Name: resnet34\n  In Collection: ResNet\n-->\n",
        )

    # TF Hub and its mirror

    def pages(self, zoo: Path) -> list[Path]:
        return sorted((zoo / "assets" / "docs").rglob("*.md"))

    def modules(self, zoo: Path) -> list[Path]:
        return [p for p in self.pages(zoo) if p.read_text().startswith("# Module")]

    def variants(self) -> list[Path]:
        return [p for p in self.pages(self.tfhub) if "parent-model:" in p.read_text()]

    def module_handles(self) -> list[str]:
        return [p.read_text().split("\n", 1)[0].split()[-1] for p in self.modules(self.tfhub)]

    def module_page(self, zoo: Path, handle: str, template: Path) -> None:
        """A Module page for ``handle`` in ``zoo``, made from another module's page."""
        old = template.read_text().split("\n", 1)[0].split()[-1]
        publisher, rest = handle.split("/", 1)
        arch, name, version = rest.split("/")
        text = re.sub(re.escape(old) + r"\b", handle, template.read_text())
        self.write(zoo / "assets/docs" / publisher / "models" / arch / name / f"{version}.md", text)
        if not (zoo / "assets/docs" / publisher / f"{publisher}.md").exists():
            self.write(
                zoo / "assets/docs" / publisher / f"{publisher}.md",
                f"# Publisher {publisher}\n{publisher.title()} Labs\n\n"
                f"[![Icon URL]](https://example.org/icons/{publisher}.png)\n",
            )

    # the edits

    def edit(self) -> set[str]:
        """One random edit; returns the sources it changed."""
        rng = self.rng
        kind = rng.choice(
            [
                "tfhub-drop",
                "tfhub-version",
                "tfhub-reparent",
                "tfhub-reparent",
                "mirror-add",
                "mirror-add",
                "mirror-drop",
                "hf-rebase",
                "hf-drop",
                "hf-ghost",
                "torchvision",
                "torchvision",
                "torchvision",
            ]
        )
        if kind == "tfhub-drop":
            page = rng.choice(self.pages(self.tfhub)[1:])
            page.unlink()
            return {"tfhub"}
        if kind == "tfhub-version":
            page = rng.choice(self.modules(self.tfhub))
            handle = page.read_text().split("\n", 1)[0].split()[-1]
            base, version = handle.rsplit("/", 1)
            self.module_page(self.tfhub, f"{base}/{int(version) + rng.choice([1, 2])}", page)
            return {"tfhub"}
        if kind == "tfhub-reparent":
            variants = self.variants()
            if not variants:
                return set()
            page = rng.choice(variants)
            parent = rng.choice([*GHOSTS, *self.module_handles()])
            text = re.sub(
                r"<!-- parent-model: \S+ -->", f"<!-- parent-model: {parent} -->", page.read_text()
            )
            self.write(page, text)
            return {"tfhub"}
        if kind == "mirror-add":
            # a ghost, or one more version of a TF Hub series: both are described by another
            # source than the pages that link to them (or that are the series' other versions)
            handles = self.module_handles()
            base, version = rng.choice(handles).rsplit("/", 1)
            handle = rng.choice([*GHOSTS, f"{base}/{int(version) + rng.choice([1, 2])}"])
            self.module_page(self.mirror, handle, rng.choice(self.modules(self.tfhub)))
            return {"mirror"}
        if kind == "mirror-drop":
            pages = [p for p in self.pages(self.mirror) if not p.read_text().startswith("# Pub")]
            if not pages:
                return set()
            rng.choice(pages).unlink()
            return {"mirror"}
        if kind in ("hf-rebase", "hf-drop", "hf-ghost"):
            return self.edit_hf(kind)
        if rng.random() < 0.5:
            self.vision ^= {rng.choice(VISION)}
            self.vision = self.vision or {rng.choice(VISION)}
        else:
            self.timm ^= {rng.choice(TIMM_ROWS)}
            self.timm_legacy ^= rng.random() < 0.3
        self.write_torchvision()
        return {"pytorch-hub", "timm"}

    def hf_models(self) -> dict[str, Path]:
        """Model id → its API file."""
        found = {}
        for path in (self.hf / "models").rglob("*.json"):
            if path.parent.name != path.stem and path.name != "config.json":
                found[path.relative_to(path.parents[1]).with_suffix("").as_posix()] = path
        return dict(sorted(found.items()))

    def edit_hf(self, kind: str) -> set[str]:
        rng = self.rng
        models = self.hf_models()
        if kind == "hf-drop":
            model = rng.choice(list(models))
            models[model].unlink()
            shutil.rmtree(models[model].with_suffix(""), ignore_errors=True)
            return {"huggingface"}
        if kind == "hf-ghost":
            # describe a ghost (a target some card may name) by copying another model
            ghost = rng.choice(HF_GHOSTS)
            if ghost in models:
                return set()
            model = rng.choice(list(models))
            api = models[model]
            target = api.parents[1] / f"{ghost}.json"
            self.write(target, api.read_text().replace(model, ghost))
            for file in api.with_suffix("").glob("*"):
                self.write(
                    target.with_suffix("") / file.name, file.read_text().replace(model, ghost)
                )
            return {"huggingface"}
        cards = [
            (model, path) for model, path in models.items() if "base_model:" in path.read_text()
        ]
        if not cards:
            return set()
        model, api = rng.choice(cards)
        base = re.search(r'"base_model:([^":]+/[^":]+)"', api.read_text())
        if base is None:
            return set()
        new = rng.choice([*HF_GHOSTS, *(m for m in models if m != model)])
        for path in [api, *api.with_suffix("").glob("*")]:
            self.write(path, path.read_text().replace(base[1], new))
        return {"huggingface"}


# -- building ---------------------------------------------------------------------------------


def mirror_source() -> Source:
    """A second source describing TF Hub models (the TF Hub crawler and mapper under another
    name, so its records are graphs of their own)."""

    def map_record(raw, iris: Iris):
        record = tfhub.SOURCE.map_record(raw, iris)
        return dataclasses.replace(
            record, source="mirror", graph=iris.record_graph("mirror", record.record_id)
        )

    return dataclasses.replace(tfhub.SOURCE, name="mirror", map_record=map_record)


def build_mirror(settings: Settings, location: Path) -> BuildReport:
    report = BuildReport("mirror")
    records = tfhub.crawl(str(location), cache_dir=settings.data_dir / "cache" / "mirror")
    with LoadSession(settings, mirror_source(), report) as session:
        load_chunks(session, records, report)
    return report


def build_source(settings: Settings, zoos: Zoos, source: str) -> BuildReport:
    locations = {
        "huggingface": zoos.hf,
        "tfhub": zoos.tfhub,
        "pytorch-hub": zoos.root / "hub",
        "timm": zoos.root / "timm",
    }
    if source == "mirror":
        return build_mirror(settings, zoos.mirror)
    return build(settings, source, location=str(locations[source]))


def derived(store, iris: Iris) -> dict[str, set[Quad]]:
    return {name: set(store.quads(iris.resource(name))) for name in DERIVED}


def assert_derived_like_from_scratch(settings: Settings) -> dict[str, set[Quad]]:
    """The derived graphs equal a whole-store derivation over the same store; returns them."""
    iris = settings.iris
    with connect(settings) as store:
        got = derived(store, iris)
        assert not list(store.quads(iris.resource(PENDING_GRAPH)))
        derive_revisions(store, iris)
        derive_same_weights(store, iris)
        check_links(store, iris)
        expected = derived(store, iris)
    for name in DERIVED:
        assert got[name] == expected[name], (
            f"{name}: missing {sorted(map(str, expected[name] - got[name]))}, "
            f"extra {sorted(map(str, got[name] - expected[name]))}"
        )
    return got


class QueryLog:
    """Every query and graph write of the stores (the methods of both store classes wrapped,
    so it sees what the load sessions do)."""

    def __init__(self, monkeypatch):
        self.queries: list[str] = []
        self.written: list[str] = []
        for cls in (EmbeddedStore, RemoteStore):
            monkeypatch.setattr(cls, "query", self._logged_query(cls.query))
            for name in ("add_new_graphs", "replace_graphs", "drop_graphs"):
                monkeypatch.setattr(cls, name, self._logged_graphs(getattr(cls, name)))
            monkeypatch.setattr(cls, "update_quads", self._logged_update(cls.update_quads))

    def _logged_query(self, method):
        def query(store, sparql, **kwargs):
            self.queries.append(sparql)
            return method(store, sparql, **kwargs)

        return query

    def _logged_graphs(self, method):
        def write(store, graphs):
            graphs = graphs if isinstance(graphs, dict) else list(graphs)
            self.written.extend(g.value for g in graphs)
            return method(store, graphs)

        return write

    def _logged_update(self, method):
        def update(store, remove, add):
            remove, add = list(remove), list(add)
            self.written.extend({q.graph_name.value for q in remove + add})
            return method(store, remove, add)

        return update

    def clear(self) -> None:
        self.queries.clear()
        self.written.clear()

    def whole_store_link_queries(self) -> list[str]:
        return [q for q in self.queries if any(q.startswith(w) for w in WHOLE_STORE)]


def settings_for(data_dir: Path) -> Settings:
    return resolve_settings(environ={"MLKG_BUILD_WORKERS": "0"}, data_dir=data_dir)


SOURCES = ("huggingface", "tfhub", "mirror", "pytorch-hub", "timm")


def random_builds(settings: Settings, zoos: Zoos, log: QueryLog, rounds: int) -> None:
    """Build every source, then ``rounds`` times edit the zoos and rebuild what changed,
    checking the derived graphs against a from-scratch derivation each time."""
    for source in SOURCES:
        assert build_source(settings, zoos, source).quarantined == 0, source
    history = [assert_derived_like_from_scratch(settings)]
    for _round in range(rounds):
        changed: set[str] = set()
        for _ in range(zoos.rng.randint(1, 3)):
            changed |= zoos.edit()
        log.clear()
        for source in [s for s in SOURCES if s in changed] or [zoos.rng.choice(SOURCES)]:
            build_source(settings, zoos, source)
        # a few records changed: nothing was derived from the whole store
        assert log.whole_store_link_queries() == []
        history.append(assert_derived_like_from_scratch(settings))
    # the edits did move every derived graph (else the property says little)
    for name in DERIVED:
        assert len({frozenset(h[name]) for h in history}) > 1, name
    assert any(len(h[UNRESOLVED_GRAPH]) > 1 for h in history)
    assert any(len(h[SAME_WEIGHTS_GRAPH]) > 1 for h in history)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_builds_leave_the_derived_graphs_of_a_from_scratch_derivation(
    tmp_path, monkeypatch, seed
):
    zoos = Zoos(tmp_path / "zoos", seed)
    random_builds(settings_for(tmp_path / "data"), zoos, QueryLog(monkeypatch), rounds=10)


@pytest.fixture(scope="module")
def external() -> Iterator[OxigraphServer]:
    """``oxigraph serve`` without union default graph: every query of the links stage must
    name its graphs or be sent the graph list."""
    server = OxigraphServer(union=False)
    yield server
    server.stop()


def test_the_same_on_an_external_store(tmp_path, monkeypatch, external):
    external.clear()
    settings = external.settings(tmp_path / "data", build_workers=0)
    assert settings.remote
    random_builds(settings, Zoos(tmp_path / "zoos", 5), QueryLog(monkeypatch), rounds=8)


def next_version(handle: str) -> str:
    base, version = handle.rsplit("/", 1)
    return f"{base}/{int(version) + 1}"


def test_a_target_another_source_describes_for_a_while(tmp_path, monkeypatch):
    """A TF Hub variant's parent that only the mirror describes, then no longer; a version of
    a TF Hub series that only the mirror publishes: only the mirror is rebuilt each time."""
    zoos = Zoos(tmp_path / "zoos", 17)
    settings = settings_for(tmp_path / "data")
    for source in SOURCES:
        build_source(settings, zoos, source)
    iris = settings.iris
    ghost = iris.model("tfhub", GHOSTS[0])
    variant = zoos.variants()[0]
    zoos.write(
        variant,
        re.sub(
            r"<!-- parent-model: \S+ -->",
            f"<!-- parent-model: {GHOSTS[0]} -->",
            variant.read_text(),
        ),
    )
    build_source(settings, zoos, "tfhub")
    handles = zoos.module_handles()
    current = next(h for h in handles if next_version(h) not in handles)
    template = zoos.modules(zoos.tfhub)[handles.index(current)]
    newer = iris.model("tfhub", next_version(current))
    older = iris.model("tfhub", current)
    log = QueryLog(monkeypatch)

    def flagged_and_linked() -> tuple[bool, bool]:
        graphs = assert_derived_like_from_scratch(settings)
        flags = {q.subject for q in graphs[UNRESOLVED_GRAPH] if q.subject != q.graph_name}
        links = {
            (q.subject, q.object) for q in graphs[REVISIONS_GRAPH] if q.subject != q.graph_name
        }
        return ghost in flags, (newer, older) in links

    assert flagged_and_linked() == (True, False)
    zoos.module_page(zoos.mirror, GHOSTS[0], template)
    zoos.module_page(zoos.mirror, next_version(current), template)
    pages = len(zoos.pages(zoos.mirror))  # the two models and their publishers
    log.clear()
    assert build_source(settings, zoos, "mirror").added == pages
    assert log.whole_store_link_queries() == []
    assert flagged_and_linked() == (False, True)
    for page in zoos.pages(zoos.mirror):
        page.unlink()
    log.clear()
    assert build_source(settings, zoos, "mirror").removed == pages
    assert log.whole_store_link_queries() == []
    assert flagged_and_linked() == (True, False)


def test_an_unchanged_rerun_runs_no_whole_store_query_and_writes_nothing(tmp_path, monkeypatch):
    zoos = Zoos(tmp_path / "zoos", 7)
    settings = settings_for(tmp_path / "data")
    for source in SOURCES:
        build_source(settings, zoos, source)
    log = QueryLog(monkeypatch)
    for source in SOURCES:
        report = build_source(settings, zoos, source)
        assert report.written == 0
    assert log.whole_store_link_queries() == []
    assert log.written == []
    links = [q for q in log.queries if "mlkg:unresolvedReference" in q or "?label" in q]
    assert len(links) == 2 * len(SOURCES)  # per run: the derived graphs' state, the flag count
    assert_derived_like_from_scratch(settings)


class Killed(Exception):
    pass


def test_a_load_killed_before_its_links_stage_leaves_the_next_one_deriving_everything(
    tmp_path, monkeypatch
):
    zoos = Zoos(tmp_path / "zoos", 11)
    settings = settings_for(tmp_path / "data")
    for source in SOURCES:
        build_source(settings, zoos, source)
    # an interrupted load: records written, then the process dies before the links stage
    zoos.module_page(zoos.tfhub, GHOSTS[0], zoos.modules(zoos.tfhub)[0])
    variant = zoos.variants()[0]
    zoos.write(
        variant,
        re.sub(
            r"<!-- parent-model: \S+ -->",
            f"<!-- parent-model: {GHOSTS[1]} -->",
            variant.read_text(),
        ),
    )

    def killed(self):
        raise Killed

    monkeypatch.setattr(LoadSession, "_finish", killed)
    with pytest.raises(Killed):
        build(settings, "tfhub", location=str(zoos.tfhub))
    monkeypatch.undo()
    log = QueryLog(monkeypatch)
    report = build(settings, "tfhub", location=str(zoos.tfhub))
    assert report.written == 0  # the killed run wrote the records already
    assert log.whole_store_link_queries()  # but left the mark: all derived again
    assert_derived_like_from_scratch(settings)
    log.clear()
    build(settings, "tfhub", location=str(zoos.tfhub))
    assert log.whole_store_link_queries() == []


def test_a_large_load_derives_from_the_whole_store(tmp_path, monkeypatch):
    zoos = Zoos(tmp_path / "zoos", 13)
    settings = settings_for(tmp_path / "data")
    for source in SOURCES:
        build_source(settings, zoos, source)
    monkeypatch.setattr("mlkg.links.INCREMENTAL_MIN_GRAPHS", 2)
    monkeypatch.setattr("mlkg.links.INCREMENTAL_SHARE", 0.0)
    log = QueryLog(monkeypatch)
    for page in zoos.pages(zoos.tfhub)[:5]:
        page.unlink()
    assert build(settings, "tfhub", location=str(zoos.tfhub)).removed == 5
    assert len(log.whole_store_link_queries()) == 3
    assert_derived_like_from_scratch(settings)


def test_a_write_through_the_server_leaves_the_next_build_deriving_everything(
    tmp_path, monkeypatch
):
    """The SPARQL Update endpoint writes outside any load session: it marks the derived graphs
    stale, and the next build derives them from the whole store (here: a lineage link it added
    to a target no record describes gets flagged)."""
    from mlkg.server.execute import LiveWriter, UpdateJob

    zoos = Zoos(tmp_path / "zoos", 13)
    settings = settings_for(tmp_path / "data")
    build_source(settings, zoos, "tfhub")
    iris = settings.iris
    ghost = iris.model("tfhub", GHOSTS[2])
    graph = iris.resource("graph/test/live-write")
    update = f"INSERT DATA {{ GRAPH {graph} {{ {graph} mlkg:derivedFrom {ghost} }} }}"
    outcome = LiveWriter(settings).run(UpdateJob(update=update, base_iri=None))
    assert outcome.status < 300
    with connect(settings) as store:
        assert list(store.quads(iris.resource(PENDING_GRAPH)))
    log = QueryLog(monkeypatch)
    build_source(settings, zoos, "tfhub")
    assert log.whole_store_link_queries()
    flags = assert_derived_like_from_scratch(settings)["graph/checks/unresolved"]
    assert ghost in {quad.subject for quad in flags}
