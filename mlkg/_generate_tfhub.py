"""TF Hub records of the synthetic zoo: the markdown catalogue of a ``tensorflow/tfhub.dev``
checkout, ``tfhub/assets/docs/...``, as ``crawlers.tfhub`` reads it.

The unit is a *group*: one model name with its versions (Module or Placeholder pages) and each
version's Lite/TF.js/Coral variants, laid out like the real catalogue::

    <publisher>/<publisher>.md                          Publisher page
    <publisher>/models/<arch>/<name>/<v>.md             Module, Placeholder (handle .../<v>)
    <publisher>/models/<arch>/<name>/<v>/lite/<n>.md    Lite  (handle .../<v>/lite/<n>)
    <publisher>/models/<arch>/<name>/<v>/tfjs/<n>.md    Tfjs  (handle .../<v>/default/<n>)
    <publisher>/models/<arch>/<name>/<v>/coral/<n>.md   Coral (handle .../<v>/edgetpu/<n>)
    <publisher>/collections/<name>/1.md                 Collection

Group ``g`` is a pure function of ``(seed, g)``; a shard is a range of groups. The planner sums
the page counts of groups until the requested number of model pages is reached (the last group
is cut short), so the zoo holds exactly that many models.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache

from mlkg import _generate_tfhub_profile as P
from mlkg._generate_common import (
    ShardStats,
    Stream,
    Writer,
    choose,
    pick_distinct,
    word,
    zipf_rank,
)

GROUPS_PER_SHARD = 4_000
DOCS = os.path.join("tfhub", "assets", "docs")
TFHUB = "https://tfhub.dev/"
_VARIANT_FOLDERS = {
    "Lite": ("lite", "lite"),
    "Tfjs": ("tfjs", "default"),
    "Coral": ("coral", "edgetpu"),
}
_FAMILY = {
    "image-classification": "image",
    "image-feature-vector": "image",
    "image-classifier": "image",
    "image-aesthetic-quality": "image",
    "image-rnn-agent": "image",
    "image-object-detection": "detection",
    "image-segmentation": "detection",
    "image-pose-detection": "detection",
    "image-depth-estimation": "detection",
    "image-text-recognition": "detection",
    "image-generator": "generation",
    "image-style-transfer": "generation",
    "image-super-resolution": "generation",
    "image-augmentation": "generation",
    "video-classification": "video",
    "video-feature-extraction": "video",
    "video-generation": "video",
}


def family_of(task: str) -> str:
    if task in _FAMILY:
        return _FAMILY[task]
    return task.split("-", 1)[0] if task.startswith(("text", "audio")) else "image"


@dataclass(frozen=True)
class Group:
    """One model name: where it lives, what it is, its versions and their variants."""

    index: int
    publisher: str
    folder: str  # <arch or task>/<name>
    tasks: tuple[str, ...]
    family: str
    placeholder: bool
    versions: tuple[int, ...]
    variants: tuple[tuple[str, ...], ...]  # per version: the variant kinds, in page order

    @property
    def pages(self) -> int:
        return len(self.versions) + sum(len(v) for v in self.variants)


@dataclass(frozen=True)
class TfPlan:
    """Everything a worker needs to generate any TF Hub shard (picklable)."""

    seed: int
    models: int
    broken_share: float
    groups: int
    last_group_pages: int
    publishers: int
    collections: int
    groups_per_shard: int = GROUPS_PER_SHARD

    @property
    def shards(self) -> int:
        return math.ceil(self.groups / self.groups_per_shard) if self.groups else 0


class TfGroups:
    """Groups as pure functions of their index (cached: collections and shards revisit them)."""

    def __init__(self, seed: int, publishers: int) -> None:
        self.stream = Stream(seed, "tfhub-group")
        self.publishers = max(publishers, 1)
        self.group = lru_cache(maxsize=1 << 14)(self._group)

    def _group(self, g: int) -> Group:
        u = self.stream.uniform
        placeholder = u(g, 0) < P.TF_PLACEHOLDER_SHARE
        table = P.TF_PLACEHOLDER_TASKS if placeholder else P.TF_TASKS
        task = table.pick(u(g, 1))
        tasks = (task,)
        if not placeholder and u(g, 2) < P.TF_MULTI_TASK:
            tasks = (task, *(t for t in ("image-feature-vector", "text-embedding") if t != task))
        family = family_of(task)
        publisher = publisher_name(zipf_rank(u(g, 3), self.publishers, P.TF_PUBLISHER_EXPONENT))
        segment = task
        if u(g, 4) >= P.TF_NO_ARCHITECTURE and family in P.TF_ARCHITECTURES:
            segment = P.TF_ARCHITECTURES[family].pick(u(g, 5))
        folder = f"{segment}/{word(int(u(g, 6) * 1024**2))}_{int(u(g, 7) * 1000):03d}"
        count = 1 if placeholder else P.TF_VERSIONS.pick(u(g, 8))
        versions = tuple(range(1, count + 1))
        if count > 1 and u(g, 9) < P.TF_VERSION_GAP:
            versions = (*versions[:-1], count + 1)  # a withdrawn version leaves a gap
        variants = []
        for number, _version in enumerate(versions):
            kinds: tuple[str, ...] = ()
            if not placeholder and u(g, 20 + number) < P.TF_HAS_VARIANTS:
                many = P.TF_VARIANTS_PER_PARENT.pick(u(g, 40 + number))
                kinds = tuple(
                    P.TF_VARIANT_KINDS.pick(u(g, 60 + 8 * number + k)) for k in range(many)
                )
            variants.append(kinds)
        return Group(g, publisher, folder, tasks, family, placeholder, versions, tuple(variants))


def publisher_name(rank: int) -> str:
    """Publisher ``rank`` (0 is the largest): an invented word, unique per rank."""
    return word(rank, syllables=2 if rank < 1024**2 else 3)


def plan_tfhub(seed: int, models: int, broken_share: float) -> TfPlan:
    """How many groups make ``models`` pages, and the pages of the last one."""
    if models <= 0:
        return TfPlan(seed, 0, broken_share, 0, 0, 1, 0)
    publishers = max(1, round(models / 2.35 / P.TF_NAMES_PER_PUBLISHER))
    groups = TfGroups(seed, publishers)
    total = g = 0
    while True:
        pages = groups.group(g).pages
        if total + pages >= models:
            last = models - total
            break
        total += pages
        g += 1
    collections = round(models * P.TF_COLLECTION_SHARE)
    return TfPlan(seed, models, broken_share, g + 1, last, publishers, collections)


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One model page to write."""

    kind: str
    handle: str
    path: str  # relative to assets/docs
    version: int
    parent: str | None = None  # the parent Module's handle (variants)


def group_pages(group: Group, limit: int | None = None) -> list[Page]:
    """The group's model pages in order: each version, then its variants."""
    pages: list[Page] = []
    base = f"{group.publisher}/models/{group.folder}"
    handle = f"{group.publisher}/{group.folder}"
    kind = "Placeholder" if group.placeholder else "Module"
    for version, variants in zip(group.versions, group.variants, strict=True):
        pages.append(Page(kind, f"{handle}/{version}", f"{base}/{version}.md", version))
        seen: dict[str, int] = {}
        for variant in variants:
            seen[variant] = number = seen.get(variant, 0) + 1
            folder, label = _VARIANT_FOLDERS[variant]
            pages.append(
                Page(
                    variant,
                    f"{handle}/{version}/{label}/{number}",
                    f"{base}/{version}/{folder}/{number}.md",
                    number,
                    parent=f"{handle}/{version}",
                )
            )
    return pages if limit is None else pages[:limit]


def write_shard(plan: TfPlan, shard: int, root: str) -> ShardStats:
    """Write groups ``[shard * size, ...)`` below ``root/tfhub/assets/docs``."""
    stats = ShardStats()
    writer = Writer(os.path.join(root, DOCS), stats)
    groups = TfGroups(plan.seed, plan.publishers)
    pages_stream = Stream(plan.seed, "tfhub-page")
    start = shard * plan.groups_per_shard
    for g in range(start, min(start + plan.groups_per_shard, plan.groups)):
        group = groups.group(g)
        limit = plan.last_group_pages if g == plan.groups - 1 else None
        for number, page in enumerate(group_pages(group, limit)):
            rng = pages_stream.rng(g * 64 + number)
            _write_page(plan, group, page, rng, writer, stats)
    return stats


def _write_page(plan: TfPlan, group: Group, page: Page, rng, writer: Writer, stats) -> None:
    folder, name = page.path.rsplit("/", 1)
    if rng.random() < plan.broken_share:
        writer.write(folder, name, _broken(rng))
        stats.add("tfhub", "broken")
        stats.note("tfhub.broken", page.path)
        return
    dirt: list[str] = []
    if page.kind in ("Module", "Placeholder"):
        text = _module(group, page, rng, dirt)
        for task in group.tasks:
            stats.add("tfhub.tasks", task)
    else:
        text = _variant(page, rng, dirt)
        stats.add("tfhub.lineage", "converted")
    writer.write(folder, name, text.encode())
    stats.add("tfhub", "models")
    stats.add("tfhub.pages", page.kind)
    for kind in dirt:
        stats.add("tfhub.dirt", kind)
    if dirt:
        stats.add("tfhub", "expect_warning")


def _broken(rng) -> bytes:
    """A page the crawler cannot map: binary junk, or a first line that is not a handle."""
    if rng.random() < 0.5:
        return b"\x00\x01BIN" + bytes(rng.getrandbits(8) for _ in range(128))
    return b"Module without its heading line\n\n<!-- task: image-classification -->\n"


_PROSE = (
    "It was trained with the settings described in the accompanying paper.",
    "Inputs are expected in the value range documented below.",
    "The outputs can be fed to a small classifier trained for the target domain.",
    "Fine-tuning all layers usually gives the best accuracy at a higher cost.",
    "Smaller variants trade some quality for speed on mobile devices.",
    "See the usage section for the expected input shape.",
)


def _module(group: Group, page: Page, rng, dirt: list[str]) -> str:
    handle = page.handle
    heading = handle
    if page.kind == "Module" and rng.random() < P.TF_ZWNJ:
        publisher, rest = handle.split("/", 1)
        heading = f"{publisher}/&zwnj;{rest}"
        dirt.append("zwnj_handle")
    lines = [f"# {page.kind} {heading}\n", f"{_summary(group, rng)}\n\n"]
    lines += _module_metadata(group, page, rng, dirt)
    lines.append(f"\n## Overview\n\n{choose(rng, _PROSE)} {choose(rng, _PROSE)}\n\n")
    if page.kind == "Module":
        lines.append(f'## Usage\n\n```python\nlayer = hub.KerasLayer("{TFHUB}{handle}")\n```\n')
    return "".join(lines)


def _summary(group: Group, rng) -> str:
    arch = group.folder.split("/", 1)[0]
    task = group.tasks[0].replace("-", " ")
    return f"A {arch} model for {task}, {choose(rng, ('trained from scratch', 'pre-trained'))}."


def _module_metadata(group: Group, page: Page, rng, dirt: list[str]) -> list[str]:
    out = []
    if page.kind == "Module":
        out.append(f"<!-- asset-path: {_asset(page, rng, dirt)} -->\n")
    out += [f"<!-- task: {task} -->\n" for task in group.tasks]
    arch = group.folder.split("/", 1)[0]
    if arch != group.tasks[0]:
        out.append(f"<!-- network-architecture: {arch} -->\n")
    datasets = P.TF_DATASETS.get(group.family)
    if datasets is not None:
        count = P.TF_DATASET_COUNT.draw(rng) if page.kind == "Module" else int(rng.random() < 0.39)
        for dataset in pick_distinct(rng, datasets, count):
            out.append(f"<!-- dataset: {dataset} -->\n")
    if group.family == "text" or group.tasks[0] == "audio-stt":
        out += [f"<!-- language: {code} -->\n" for code in _languages(rng)]
    if page.kind == "Placeholder":
        if rng.random() < 0.53:
            out.append("<!-- fine-tunable: false -->\n")
        if rng.random() < 0.247:
            out.append("<!-- license: apache-2.0 -->\n")
        return out
    fine_tunable = "true" if rng.random() < P.TF_FINE_TUNABLE else "false"
    out.append(f"<!-- fine-tunable: {fine_tunable} -->\n")
    out.append(f"<!-- format: {P.TF_FORMATS.draw(rng)} -->\n")
    licence = P.TF_LICENCES.draw(rng)
    if licence is not None:
        out.append(f"<!-- license: {licence} -->\n")
    if rng.random() < P.TF_COLAB:
        out.append(
            f"<!-- colab: https://colab.research.google.com/example/{group.index}.ipynb -->\n"
        )
    if rng.random() < P.TF_VISUALIZER:
        out.append("<!-- interactive-visualizer: vision -->\n")
    return out


def _languages(rng) -> list[str]:
    if rng.random() < P.TF_MULTILINGUAL:
        return pick_distinct(rng, P.TF_LANGUAGES, 11 + int(rng.random() * 8), tries=60)
    return [P.TF_LANGUAGES.draw(rng)]


def _asset(page: Page, rng, dirt: list[str]) -> str:
    if rng.random() < P.TF_ODD_ASSET:
        dirt.append("odd_asset_path")
        return f"models/{page.handle.replace('/', '_')}.tar.gz"
    if rng.random() < P.TF_LEGACY_ASSET:
        return "legacy"
    return f"https://storage.googleapis.com/synthetic-tfhub/{page.handle}.tar.gz"


def _variant(page: Page, rng, dirt: list[str]) -> str:
    parent = page.parent or ""
    if rng.random() < P.TF_UNVERSIONED_PARENT[page.kind]:
        parent = parent.rsplit("/", 1)[0]
        dirt.append("unversioned_parent")
    what = {"Lite": "TF Lite version", "Tfjs": "TF.js deployment", "Coral": "Edge TPU build"}
    lines = [f"# {page.kind} {page.handle}\n", f"{what[page.kind]} of {page.parent}.\n\n"]
    lines.append(f"<!-- parent-model: {parent} -->\n")
    asset = "legacy"
    if page.kind != "Tfjs" and rng.random() > 0.78:
        asset = f"https://storage.googleapis.com/synthetic-tfhub/{page.handle}.tflite"
    lines.append(f"<!-- asset-path: {asset} -->\n")
    if page.kind == "Lite":
        if rng.random() < P.TF_LITE_COLAB:
            lines.append("<!-- colab: https://colab.research.google.com/example/lite.ipynb -->\n")
        if rng.random() < P.TF_LITE_VISUALIZER:
            lines.append("<!-- interactive-visualizer: vision -->\n")
    elif page.kind == "Tfjs" and rng.random() < P.TF_TFJS_DEMO:
        lines.append("<!-- demo: https://example.org/tfjs-demo -->\n")
    lines.append(f"\n## Origin\n\nConverted from [{page.parent}]({TFHUB}{page.parent}).\n")
    return "".join(lines)


def write_publishers(plan: TfPlan, root: str) -> ShardStats:
    """One Publisher page per publisher (some publish no model yet, as on tfhub.dev)."""
    stats = ShardStats()
    writer = Writer(os.path.join(root, DOCS), stats)
    stream = Stream(plan.seed, "tfhub-publisher")
    for rank in range(plan.publishers):
        name = publisher_name(rank)
        rng = stream.rng(rank)
        display = name.title() + choose(rng, (" Research", " AI", " Labs", ""))
        text = (
            f"# Publisher {name}\n{display}\n\n"
            f"[![Icon URL]](https://example.org/icons/{name}.png)\n\n"
            f"## [{name}.example.org](https://{name}.example.org)\n\n"
            f"{display} shares pre-trained models here. {choose(rng, _PROSE)}\n"
        )
        writer.write(name, f"{name}.md", text.encode())
        stats.add("tfhub", "publishers")
    return stats


def write_collections(plan: TfPlan, root: str) -> ShardStats:
    """Collections: a publisher's page linking to a run of Module groups."""
    stats = ShardStats()
    writer = Writer(os.path.join(root, DOCS), stats)
    groups = TfGroups(plan.seed, plan.publishers)
    stream = Stream(plan.seed, "tfhub-collection")
    complete = max(plan.groups - 1, 0)  # the last group may be cut short: never a member
    low, high = P.TF_COLLECTION_MEMBERS
    for number in range(plan.collections if complete else 0):
        rng = stream.rng(number)
        size = int(math.exp(math.log(low) + (math.log(high) - math.log(low)) * rng.random()))
        start = int(rng.random() * complete)
        members = []
        for g in range(start, min(start + 3 * size, complete)):
            group = groups.group(g)
            if not group.placeholder:
                members.append(f"{group.publisher}/{group.folder}/{group.versions[-1]}")
            if len(members) >= size:
                break
        publisher = groups.group(start).publisher if complete else publisher_name(0)
        name = f"{word(number, syllables=3)}-collection"
        rows = "".join(f"| [{m}]({TFHUB}{m}) | {choose(rng, _PROSE)} |\n" for m in members)
        text = (
            f"# Collection {publisher}/{name}/1\n"
            f"Models collected for {groups.group(start).tasks[0].replace('-', ' ')}.\n\n"
            f"<!-- task: {groups.group(start).tasks[0]} -->\n\n## Overview\n\n"
            f"{choose(rng, _PROSE)}\n\n| Model | Notes |\n|---|---|\n{rows}"
        )
        writer.write(f"{publisher}/collections/{name}", "1.md", text.encode())
        stats.add("tfhub", "collections")
        stats.add("tfhub", "collection_members", len(members))
    return stats
