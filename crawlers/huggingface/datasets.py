"""Datasets on the Hub: the nodes models point at, and the facts of a dataset repository's card.

How a Hub dataset repository and a vocabulary dataset relate (the rule every stage relies on):

* A model's training or evaluation dataset is the **vocabulary concept** when
  ``ontology/vocab/datasets.ttl`` knows the id (``imagenet-1k`` → ``dataset/imagenet-ilsvrc-2012``,
  ``glue`` → ``dataset/glue``, ``nyu-mll/glue`` → the same), so every zoo's models meet on one
  node. Otherwise it is the Hub repository's own node ``dataset/huggingface/{id}``, with a stub
  (type, id, label, hub, page) so a dataset that is only mentioned is still a node.
* A dataset repository's record describes ``dataset/huggingface/{id}`` (one node per repository,
  with its downloads, licence, splits...) and, when the vocabulary knows the id, links it with
  ``skos:exactMatch`` to the concept. The concept stays the shared, zoo-neutral node; the repository
  node is one publication of it. Query both with ``?repo skos:exactMatch? ?concept``.
* A split is ``{dataset}/split/{name}``. Hub splits belong to a configuration (subset), so a
  non-default configuration is part of the split's name: ``.../split/sst2%2Fvalidation`` with
  ``mlkg:splitName "validation"``. When the vocabulary has a concept for the configuration
  itself (``glue`` + ``sst2`` → ``dataset/sst-2``, whose ``skos:broader`` is GLUE), the split
  hangs off that concept instead: ``dataset/sst-2/split/validation``.
"""

from __future__ import annotations

from typing import Any

from pyoxigraph import Literal, NamedNode

from crawlers.huggingface.cards import is_placeholder, mapping, strings
from crawlers.huggingface.context import HUB, Context, hub_url, is_repo_id
from mlkg.iris import slug
from mlkg.namespaces import DCAT, DCTERMS, MLKG, RDF, RDFS, SCHEMA, SKOS
from mlkg.rdf import clean_text, integer, text

#: Configuration names that mean "the dataset itself" (no subset).
DEFAULT_CONFIGS = frozenset({"default", "plain_text", "all", ""})
MAX_SPLITS = 500
MAX_CONFIGS = 200


def dataset_node(ctx: Context, written: str, name: str | None = None) -> NamedNode | None:
    """The node for a dataset a card names: vocabulary concept, else the Hub repository (stub).

    ``written`` is the id as the card gives it; ``name`` a display name used when the id is a
    placeholder (``unknown``) or not a Hub id. ``None`` (with a warning) when neither names one.
    """
    candidates = [value for value in (written, name) if value and not is_placeholder(value)]
    for value in candidates:
        found = ctx.vocab.find("datasets", value, ctx.iris)
        if found is not None:
            return found
    if written in candidates and is_repo_id(written):
        return hub_dataset(ctx, written)
    if candidates:
        # a display name only ("AI2 Reasoning Challenge (25-Shot)"): a node named by its slug
        return hub_dataset(ctx, slug(candidates[-1]), label=candidates[-1])
    return None


def hub_dataset(ctx: Context, repo_id: str, label: str | None = None) -> NamedNode:
    """``dataset/huggingface/{id}`` with its stub (written once per record)."""
    node = ctx.iris.dataset(repo_id, hub=HUB)
    if ctx.first_time(node):
        ctx.add(node, RDF.type, MLKG.Dataset)
        ctx.add(node, DCTERMS.identifier, Literal(repo_id))
        ctx.add(node, RDFS.label, text(label or repo_id))
        ctx.add(node, MLKG.hub, ctx.hub)
        if label is None:
            ctx.add(node, SCHEMA.url, hub_url(repo_id, "dataset"))
    return node


def training_datasets(ctx: Context, values: list[str]) -> list[NamedNode]:
    """The nodes of the datasets a model card lists (``datasets:`` and ``dataset:`` tags)."""
    nodes: list[NamedNode] = []
    for value in values:
        if is_placeholder(value):
            continue
        node = ctx.vocab.find("datasets", value, ctx.iris)
        if node is None and is_repo_id(value):
            node = hub_dataset(ctx, value)
        if node is None:
            ctx.warn(f"dataset {value[:80]!r} is not a Hub dataset id nor a known dataset; ignored")
        elif node not in nodes:
            nodes.append(node)
    return nodes


def evaluation_dataset(
    ctx: Context, written: str | None, name: str | None, config: str | None
) -> tuple[NamedNode | None, bool]:
    """The dataset an evaluation ran on; ``True`` when the configuration chose the concept.

    ``glue`` + ``sst2`` gives the vocabulary concept of SST-2 (if it knows ``glue/sst2``), so the
    configuration needs no place in the split name.
    """
    if written and config and not is_placeholder(written) and not is_placeholder(config):
        found = ctx.vocab.find("datasets", f"{written}/{config}", ctx.iris)
        if found is not None:
            return found, True
    return dataset_node(ctx, written or "", name), False


def subset(config: str | None, dataset_id: str | None) -> str | None:
    """The configuration that names a subset, ``None`` for the dataset itself: ``default``,
    ``plain_text``, ``all`` and a configuration named like the dataset (``squad_v2``).

    >>> subset("sst2", "glue"), subset("default", "x"), subset("squad_v2", "rajpurkar/squad_v2")
    ('sst2', None, None)
    """
    if config is None or config.strip().lower() in DEFAULT_CONFIGS:
        return None
    if dataset_id and config.strip() == dataset_id.rsplit("/", 1)[-1]:
        return None
    return config


def split_key(config: str | None, split: str) -> str:
    """The split's name within its dataset: ``validation``, or ``sst2/validation`` for a subset.

    >>> split_key("default", "test"), split_key("sst2", "validation"), split_key(None, "train")
    ('test', 'sst2/validation', 'train')
    """
    config = subset(config, None)
    return split if config is None else f"{config}/{split}"


def split_node(ctx: Context, dataset: NamedNode, split: str, config: str | None) -> NamedNode:
    """A DatasetSplit of ``dataset`` (name, part-of, label)."""
    key = split_key(config, split)
    node = ctx.iris.split(dataset, key)
    if ctx.first_time(node):
        ctx.add(node, RDF.type, MLKG.DatasetSplit)
        ctx.add(node, MLKG.splitName, Literal(split))
        ctx.add(node, DCTERMS.isPartOf, dataset)
        ctx.add(node, RDFS.label, text(key.replace("/", " / ")))
    return node


# -- a dataset repository's own card -------------------------------------------------------------


def map_dataset_card(
    ctx: Context, dataset: NamedNode, front: dict[str, Any], tags: list[str]
) -> None:
    """Task categories (else the Hub's ``task_categories:`` tags), size categories, title,
    vocabulary match and splits of a dataset card."""
    warn = ctx.warn
    found = ctx.vocab.find("datasets", ctx.repo_id, ctx.iris)
    if found is not None and found != dataset:
        ctx.add(dataset, SKOS.exactMatch, found)
    categories = strings(front.get("task_categories"), "task_categories", warn)
    if not categories:
        categories = [t[16:] for t in tags if t.startswith("task_categories:") and t[16:]]
    for category in categories:
        ctx.add(dataset, DCAT.theme, task_node(ctx, category))
    for task_id in strings(front.get("task_ids"), "task_ids", warn):
        known = ctx.vocab.find("tasks", task_id, ctx.iris)
        ctx.add(dataset, DCAT.theme, known)
        ctx.add(dataset, MLKG.tag, text(f"task_ids:{task_id}"))
    for size in strings(front.get("size_categories"), "size_categories", warn):
        ctx.add(dataset, MLKG.tag, text(f"size_categories:{size}"))
    pretty = strings(front.get("pretty_name"), "pretty_name", warn, limit=1)
    ctx.add(dataset, DCTERMS["title"], text(pretty[0]) if pretty else None)
    map_splits(ctx, dataset, front)


def task_node(ctx: Context, written: str) -> NamedNode:
    """A task: the vocabulary's concept, or ``task/{slug}`` with a stub."""
    return ctx.concept("tasks", written, MLKG.Task, ctx.iris.task(written))


def map_splits(ctx: Context, dataset: NamedNode, front: dict[str, Any]) -> None:
    """Splits from ``dataset_info`` (with example counts) and ``configs[].data_files``."""
    counts: dict[tuple[str | None, str], int | None] = {}
    for config, split, examples in _info_splits(front.get("dataset_info"), ctx.warn):
        counts[(config, split)] = examples
    for config, split in _config_splits(front.get("configs"), ctx.warn):
        counts.setdefault((config, split), None)
    if len(counts) > MAX_SPLITS:
        ctx.warn(f"dataset card lists {len(counts)} splits; only the first {MAX_SPLITS} were read")
    for (config, split), examples in list(counts.items())[:MAX_SPLITS]:
        node = split_node(ctx, dataset, split, subset(config, ctx.repo_id))
        ctx.add(node, MLKG.exampleCount, integer(examples) if examples is not None else None)


def _info_splits(value: Any, warn: Any) -> list[tuple[str | None, str, int | None]]:
    infos = value if isinstance(value, list) else [value] if value is not None else []
    found = []
    for info in infos[:MAX_CONFIGS]:
        info = mapping(info, "dataset_info", warn)
        config = _name(info.get("config_name"))
        splits = info.get("splits")
        for split in splits[:MAX_SPLITS] if isinstance(splits, list) else []:
            split = split if isinstance(split, dict) else {}
            name = _name(split.get("name"))
            examples = split.get("num_examples")
            if name is None:
                continue
            if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
                examples = None
            found.append((config, name, examples))
    return found


def _config_splits(value: Any, warn: Any) -> list[tuple[str | None, str]]:
    configs = value if isinstance(value, list) else []
    if value is not None and not isinstance(value, list):
        warn(f"configs: expected a list, got a {type(value).__name__}; ignored")
    found = []
    for config in configs[:MAX_CONFIGS]:
        config = config if isinstance(config, dict) else {}
        name = _name(config.get("config_name"))
        files = config.get("data_files")
        for item in files[:MAX_SPLITS] if isinstance(files, list) else []:
            split = _name(item.get("split")) if isinstance(item, dict) else None
            if split is not None:
                found.append((name, split))
    return found


def _name(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return clean_text(str(value), max_length=200) or None
    return None
