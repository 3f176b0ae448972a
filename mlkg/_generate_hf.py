"""Hugging Face records of the synthetic zoo: API JSON, model cards, config.json, dataset cards.

Layout (what ``crawlers.huggingface._local`` reads; it takes the *last two* folders of a card's
path as the repository id, so the leading shard folder is grouping only)::

    huggingface/models/<shard>/<org>/<name>/README.md     the model card
    huggingface/models/<shard>/<org>/<name>/config.json   transformers models only
    huggingface/models/<shard>/<org>/<name>.json          the API response (names itself by "id")
    huggingface/datasets/<shard>/<org>/<name>/README.md   dataset cards (+ <name>.json)

A shard holds :data:`SHARD_SIZE` consecutive model indices, so no folder grows past ~10,000
entries however large the zoo. Model ``i`` is a pure function of ``(seed, i)``; its base models
are earlier indices, found again by recomputing them (see :class:`HubModels`).
"""

from __future__ import annotations

import json
import math
import os
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from mlkg import _generate_profile as P
from mlkg._generate_cards import CardContext, render_card, render_dataset_card
from mlkg._generate_common import (
    EPOCH,
    SPAN_SECONDS,
    ShardStats,
    Stream,
    Table,
    Writer,
    base36,
    correlated_counts,
    iso_time,
    key_of,
    mix64,
    pick_distinct,
    word,
    zipf_rank,
)

SHARD_SIZE = 10_000
#: The first models are never derived: there must be something to derive from.
FIRST_DERIVED = 16
#: Tries to find a base model of the right family before giving up (then the model is a root).
MAX_TRIES = 256
ORG_EXPONENT = 0.95
MODELS_PER_ORG = 3.0
MAX_STEM = 60

TASK_TABLE = Table((task, task.share) for task in P.TASKS)
RL_TABLE = Table((env, env[1]) for env in P.RL_ENVIRONMENTS)
FAMILY_SHARE: dict[str, float] = {}
for _task in P.TASKS:
    FAMILY_SHARE[_task.family] = FAMILY_SHARE.get(_task.family, 0.0) + _task.share

_SIZES = {
    "text": ("tiny", "small", "base", "base", "base", "large"),
    "seq2seq": ("small", "base", "base", "large"),
    "lm": ("125m", "350m", "1.3b", "3b", "7b", "7b", "13b"),
    "speech": ("base", "large", "xls-r-300m", "small", "medium"),
    "vision": ("tiny", "small", "base-patch16-224", "base", "large"),
    "diffusion": ("v1", "v2", "xl"),
    "tabular": ("",),
    "rl": ("",),
}
_LANG_PAIRS = ("en-de", "de-en", "en-fr", "fr-en", "en-es", "es-en", "en-zh", "zh-en", "en-ru")
_QUANT = ("GGUF", "GPTQ", "AWQ", "GGUF", "GGUF")


@dataclass(frozen=True)
class HubPlan:
    """Everything a worker needs to generate any Hugging Face shard (picklable)."""

    seed: int
    models: int
    datasets: int
    broken_share: float
    shard_size: int = SHARD_SIZE

    @property
    def model_shards(self) -> int:
        return math.ceil(self.models / self.shard_size) if self.models else 0

    @property
    def dataset_shards(self) -> int:
        return math.ceil(self.datasets / self.shard_size) if self.datasets else 0

    def shard_name(self, shard: int) -> str:
        width = max(4, len(str(max(self.model_shards, self.dataset_shards) - 1)))
        return f"{shard:0{width}d}"


@dataclass(frozen=True)
class Light:
    """What other records need to know of model ``i``: cheap, no recursion."""

    task: P.TaskProfile
    broken: bool
    derived: bool
    relation: str | None


@dataclass(frozen=True)
class Lineage:
    """Model ``i``'s base models (earlier indices), relation, chain depth and chain root."""

    parents: tuple[int, ...]
    relation: str | None
    depth: int
    root: int


class HubModels:
    """Model identities and lineage as pure functions of the index, with bounded caches.

    A derived model ``i`` picks its base among earlier models ``j = floor(i * u ** k)`` (older
    models collect more children: the heavy-tailed fan-out of popular bases), keeping only a
    model of the same family that is not quantized, and a derived one only when this model
    builds a chain (:data:`~mlkg._generate_profile.CHAIN_SHARE`) shorter than the depth cap.
    """

    def __init__(self, plan: HubPlan) -> None:
        self.plan = plan
        self.stream = Stream(plan.seed, "hf-model")
        self.orgs = {
            family: max(4, round(plan.models * share / MODELS_PER_ORG))
            for family, share in FAMILY_SHARE.items()
        }
        self.light = lru_cache(maxsize=1 << 17)(self._light)
        self._famous: dict[str, list[int]] = {}
        self.lineage = lru_cache(maxsize=1 << 16)(self._lineage)
        self.stem = lru_cache(maxsize=1 << 16)(self._stem)
        self.org = lru_cache(maxsize=1 << 16)(self._org)
        self.name = lru_cache(maxsize=1 << 16)(self._name)

    # -- identity ------------------------------------------------------------------------------

    def _light(self, i: int) -> Light:
        u = self.stream.uniform
        task = TASK_TABLE.pick(u(i, 0))
        broken = u(i, 1) < self.plan.broken_share
        derived = i >= FIRST_DERIVED and task.family in P.RELATIONS and u(i, 2) < task.derived
        relation = P.RELATIONS[task.family].pick(u(i, 3)) if derived else None
        return Light(task, broken, derived, relation)

    def _org(self, i: int) -> str:
        family = self.light(i).task.family
        rank = zipf_rank(self.stream.uniform(i, 4), self.orgs[family], ORG_EXPONENT)
        return org_name(family, rank)

    def repo_id(self, i: int) -> str:
        return f"{self.org(i)}/{self.name(i)}"

    def _name(self, i: int) -> str:
        """The repository name: a stem plus the index in base 36 (unique in the whole zoo)."""
        return f"{self.stem(i)}-{base36(i)}"

    def topic(self, i: int) -> str | None:
        """The first training dataset (a real id, or ``None`` for a synthetic repository)."""
        table = P.TRAINING_DATASETS.get(self.light(i).task.name, P.DEFAULT_TRAINING_DATASETS)
        return table.pick(self.stream.uniform(i, 7))

    def dataset_rank(self, i: int, slot: int = 8) -> int | None:
        if not self.plan.datasets:
            return None
        u = self.stream.uniform(i, slot)
        return zipf_rank(u, self.plan.datasets, P.DATASET_REPO_EXPONENT)

    def rl_environment(self, i: int) -> tuple[str, float, float, float, float, float]:
        return RL_TABLE.pick(self.stream.uniform(i, 7))

    def _stem(self, i: int) -> str:
        light, lineage = self.light(i), self.lineage(i)
        u = self.stream.uniform
        family = light.task.family
        if family == "rl":
            algorithm = P.RL_ALGORITHMS.pick(u(i, 9))
            return f"{algorithm}-{self.rl_environment(i)[0]}"
        topic = self._topic_slug(i)
        if lineage.parents:
            parent = self.stem(lineage.parents[0])
            suffix = {
                "finetune": f"finetuned-{topic}",
                "adapter": f"lora-{topic}",
                "quantized": _QUANT[int(u(i, 9) * len(_QUANT))],
                "merge": f"{word(int(u(i, 10) * 4096))}-slerp",
            }[lineage.relation or "finetune"]
            return _join(parent, suffix)
        root = word(int(u(i, 11) * 1024**2))
        sizes = _SIZES[family]
        size = sizes[int(u(i, 12) * len(sizes))]
        if family == "seq2seq" and light.task.name == "translation":
            return f"{root}-mt-{_LANG_PAIRS[int(u(i, 12) * len(_LANG_PAIRS))]}"
        if family in P.MODEL_TYPES:
            kind = P.MODEL_TYPES[family].pick(u(i, 13)).replace("_", "-")
            return _join(f"{root}-{kind}", size)
        if family == "diffusion":
            return _join(f"{root}-diffusion", size)
        return _join(root, light.task.name.split("-")[-1])

    def _topic_slug(self, i: int) -> str:
        topic = self.topic(i)
        if topic is None:
            rank = self.dataset_rank(i)
            return dataset_topic(rank) if rank is not None else "custom"
        return topic.rsplit("/", 1)[-1].replace("_", "-").lower()

    # -- lineage -------------------------------------------------------------------------------

    def _lineage(self, i: int) -> Lineage:
        light = self.light(i)
        if not light.derived or light.broken:
            return Lineage((), None, 0, i)
        u = self.stream.uniform
        count = (3 if u(i, 5) < 0.15 else 2) if light.relation == "merge" else 1
        chain = u(i, 6) < P.CHAIN_SHARE
        parents: list[int] = []
        for salt in range(count):
            found = self._find_base(i, light.task.family, salt, chain, parents)
            if found is None:
                break
            parents.append(found)
        relation = light.relation
        if relation == "merge" and len(parents) < 2:
            relation, parents = "finetune", parents[:1]
        if not parents:
            return Lineage((), None, 0, i)
        depth = 1 + max(self.lineage(p).depth for p in parents)
        return Lineage(tuple(parents), relation, depth, self.lineage(parents[0]).root)

    def _find_base(
        self, i: int, family: str, salt: int, chain: bool, taken: list[int]
    ) -> int | None:
        u = self.stream.uniform
        if not chain and u(i, 30 + salt) < P.FAMOUS_SHARE:
            famous = self.famous(family)
            count = bisect_left(famous, i)
            if count:
                j = famous[zipf_rank(u(i, 40 + salt), count, P.FAMOUS_EXPONENT)]
                if j not in taken:
                    return j
        for attempt in range(MAX_TRIES):
            j = int(i * u(i, 64 + salt * MAX_TRIES + attempt) ** P.FANOUT_POWER)
            if j >= i or j in taken:
                continue
            other = self.light(j)
            if other.broken or other.task.family != family or other.relation == "quantized":
                continue
            if other.derived and (not chain or self.lineage(j).depth >= P.MAX_DEPTH):
                continue
            return j
        return None

    def famous(self, family: str) -> list[int]:
        """The family's first roots, oldest first: the popular bases most derived models pick
        (one per :data:`~mlkg._generate_profile.MODELS_PER_FAMOUS` models of the family)."""
        if family not in self._famous:
            wanted = max(4, round(self.plan.models * FAMILY_SHARE[family] / P.MODELS_PER_FAMOUS))
            found: list[int] = []
            for i in range(self.plan.models):
                light = self.light(i)
                if light.task.family == family and not light.derived and not light.broken:
                    found.append(i)
                    if len(found) >= wanted:
                        break
            self._famous[family] = found
        return self._famous[family]

    # -- facts inherited from the chain's root ---------------------------------------------------

    def model_type(self, i: int) -> str | None:
        root = self.lineage(i).root
        family = self.light(root).task.family
        table = P.MODEL_TYPES.get(family)
        return table.pick(self.stream.uniform(root, 13)) if table else None

    def parameters(self, i: int) -> int | None:
        root = self.lineage(i).root
        bounds = P.PARAMETERS.get(self.light(root).task.family)
        if bounds is None:
            return None
        low, high = math.log(bounds[0]), math.log(bounds[1])
        return int(math.exp(low + (high - low) * self.stream.uniform(root, 14)))

    def created(self, i: int) -> int:
        """Creation time: increasing with the index, so a base is older than its children."""
        fraction = (i + self.stream.uniform(i, 15)) / max(self.plan.models, 1)
        return EPOCH + int(SPAN_SECONDS * fraction)


def _join(stem: str, suffix: str) -> str:
    """``stem-suffix`` cut to :data:`MAX_STEM` characters, a valid Hub name (no ``--``, no
    trailing ``-``/``.``)."""
    joined = f"{stem}-{suffix}" if suffix else stem
    joined = joined[:MAX_STEM]
    while "--" in joined:
        joined = joined.replace("--", "-")
    return joined.rstrip("-.") or "model"


@lru_cache(maxsize=64)
def _family_key(family: str) -> int:
    return key_of(family)


_ORG_SUFFIXES = ("", "", "", "-ai", "-lab", "-nlp", "-ml", "-research", "-hub", "labs")


@lru_cache(maxsize=1 << 16)
def org_name(family: str, rank: int) -> str:
    """An invented organisation; ranks are drawn per family, so an org publishes one kind."""
    bits = mix64(_family_key(family) ^ (rank * 0x9E3779B1))
    syllables = 2 + (bits >> 60) % 2
    return word(bits % 1024**syllables, syllables=syllables) + _ORG_SUFFIXES[(bits >> 40) % 10]


_TOPICS = (
    "reviews", "dialogues", "receipts", "commands", "tweets", "recipes", "invoices", "news",
    "poems", "faces", "birds", "plants", "xrays", "lyrics", "code", "contracts", "tickets",
    "forum", "quotes", "medical", "legal", "finance", "weather", "satellite", "memes",
)  # fmt: skip


def dataset_topic(rank: int) -> str:
    return _TOPICS[mix64(rank ^ 0x5EED) % len(_TOPICS)]


def dataset_repo_id(seed: int, rank: int) -> str:
    """The id of the synthetic zoo's dataset repository number ``rank`` (pure)."""
    bits = Stream(seed, "hf-dataset").bits(rank, 0)
    org = org_name("datasets-of", zipf_rank((bits >> 11) * 2.0**-53, 4096, ORG_EXPONENT))
    return f"{org}/{word(bits % 4096)}-{dataset_topic(rank)}-{base36(rank)}"


# -- writing one shard ----------------------------------------------------------------------------


def write_model_shard(plan: HubPlan, shard: int, root: str) -> ShardStats:
    """Write models ``[shard * size, (shard + 1) * size)`` below ``root/huggingface/models``."""
    stats = ShardStats()
    models = HubModels(plan)
    folder = plan.shard_name(shard)
    writer = Writer(os.path.join(root, "huggingface", "models", folder), stats)
    start = shard * plan.shard_size
    for i in range(start, min(start + plan.shard_size, plan.models)):
        write_model(models, i, writer, stats)
    return stats


def refresh_model_shard(
    plan: HubPlan, shard: int, root: str, share: float, revision: int
) -> ShardStats:
    """Rewrite the API responses of ``share`` of the models of one shard as revision
    ``revision`` of the zoo: new downloads, likes, commit and ``lastModified``; cards and
    configs stay. Which models change is a pure function of ``(seed, revision, index)``."""
    stats = ShardStats()
    models = HubModels(plan)
    chooser = Stream(plan.seed, f"hf-refresh-{revision}")
    writer = Writer(os.path.join(root, "huggingface", "models", plan.shard_name(shard)), stats)
    start = shard * plan.shard_size
    for i in range(start, min(start + plan.shard_size, plan.models)):
        if chooser.uniform(i, 0) < share and not models.light(i).broken:
            write_model(models, i, writer, stats, revision=revision)
            stats.add("hf", "refreshed")
            stats.note("hf.refreshed", models.repo_id(i))
    return stats


def write_model(
    models: HubModels, i: int, writer: Writer, stats: ShardStats, *, revision: int = 0
) -> None:
    """One model: its API response, card and (for transformers) config.json; counted in
    ``stats`` as the manifest's ground truth. With ``revision`` > 0, only the API response of
    that later revision of the model is written (see :func:`refresh_model_shard`)."""
    light, lineage = models.light(i), models.lineage(i)
    org, name = models.org(i), models.name(i)
    rng = models.stream.rng(i)
    if light.broken:
        if not revision:
            _write_broken(org, name, writer, stats)
        return
    task = light.task
    library = P.LIBRARIES.get(task.name, P.DEFAULT_LIBRARY).draw(rng)
    if lineage.relation == "adapter" and task.family in ("lm", "text"):
        library = "peft"
    parents = tuple(models.repo_id(p) for p in lineage.parents)
    card = CardContext.build(models, i, rng, library=library, parents=parents)
    text = render_card(card)
    repo = f"{org}/{name}"
    if revision:
        stream = Stream(models.plan.seed, f"hf-revision-{revision}")
        info = _revised(_api_info(models, i, card, rng), stream, i)
        writer.write(org, f"{name}.json", _json(info))
        return
    writer.write(f"{org}/{name}", "README.md", text)
    config = _config(models, i, card)
    if config is not None:
        writer.write(f"{org}/{name}", "config.json", _json(config))
    writer.write(org, f"{name}.json", _json(_api_info(models, i, card, rng)))
    _count_model(stats, repo, card, lineage)


def _revised(info: dict, stream: Stream, i: int) -> dict:
    """The API response a few weeks later: more downloads and likes, a new commit."""
    rng = stream.rng(i)
    info = dict(info)
    info["downloads"] = int(info["downloads"] * (1.0 + rng.random())) + rng.randrange(1, 500)
    info["likes"] = info["likes"] + rng.randrange(0, 5)
    info["sha"] = f"{rng.getrandbits(160):040x}"
    modified = _parse_iso(info["lastModified"]) + rng.randrange(86_400, 60 * 86_400)
    info["lastModified"] = iso_time(modified)
    return info


def _parse_iso(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _write_broken(org: str, name: str, writer: Writer, stats: ShardStats) -> None:
    """A repository id the Hub would never serve (a space in the name: a corrupted mirror), so
    the crawl reports it as unreadable and the pipeline quarantines it."""
    bad = f"{name} copy"
    writer.write(f"{org}/{bad}", "README.md", b"---\nlicense: mit\n---\n\n# Copy\n")
    writer.write(org, f"{bad}.json", _json({"id": f"{org}/{bad}", "downloads": 0, "likes": 0}))
    stats.add("hf", "broken")
    stats.note("hf.broken", f"models/{org}/{bad}")


def _count_model(stats: ShardStats, repo: str, card: CardContext, lineage: Lineage) -> None:
    stats.add("hf", "models")
    stats.add("hf.tasks", card.task.name)
    stats.add("hf.libraries", card.library)
    stats.add("hf.depth", str(lineage.depth))
    if lineage.relation:
        stats.add("hf.lineage", lineage.relation, len(lineage.parents))
    if card.legacy_lineage:
        stats.add("hf", "legacy_lineage")
    if card.results:
        stats.add("hf", "model_index")
    if card.hyperparameters:
        stats.add("hf", "hyperparameters")
    for dirt in card.dirt:
        stats.add("hf.dirt", dirt)
    if any(d.selection for d in P.DIRT if d.kind in card.dirt):
        stats.add("hf", "dirty")
    if card.expects_warning:
        stats.add("hf", "expect_warning")


def _json(value: object) -> bytes:
    """Compact JSON, as the Hub's API sends it (indenting would use json's slow pure-Python
    encoder)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_LABELS = {
    "emotion": ("sadness", "joy", "love", "anger", "fear", "surprise"),
    "imdb": ("neg", "pos"),
    "sst2": ("negative", "positive"),
    "glue": ("negative", "positive"),
    "tweet_eval": ("negative", "neutral", "positive"),
    "conll2003": ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"),
    "wikiann": ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"),
    "beans": ("angular_leaf_spot", "bean_rust", "healthy"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship"),
}
_CLASSIFIERS = {
    "text-classification",
    "token-classification",
    "image-classification",
    "audio-classification",
    "zero-shot-classification",
}


def _config(models: HubModels, i: int, card: CardContext) -> dict | None:
    """config.json of a transformers model: architecture, model type, labels, sizes."""
    model_type = models.model_type(i)
    if card.library not in ("transformers", "peft") or model_type is None:
        return None
    head = P.HEADS.get(card.task.name, "Model")
    config: dict = {
        "_name_or_path": card.parents[0] if card.parents else card.repo_id,
        "architectures": [P.ARCHITECTURE_PREFIX.get(model_type, "Auto") + head],
        "model_type": model_type,
    }
    if card.task.name in _CLASSIFIERS:
        labels = _LABELS.get(card.datasets[0] if card.datasets else "", ())
        if not labels or card.rng_value < 0.35:
            labels = tuple(f"LABEL_{n}" for n in range(2 + int(card.rng_value * 8)))
        config["id2label"] = {str(n): label for n, label in enumerate(labels)}
        config["label2id"] = {label: n for n, label in enumerate(labels)}
    width = 256 * (1 + int(card.rng_value * 16))
    config.update(
        {
            "hidden_size": width,
            "num_attention_heads": max(4, width // 64),
            "num_hidden_layers": 6 + int(card.rng_value * 30),
            "torch_dtype": "float32" if card.rng_value < 0.6 else "bfloat16",
            "transformers_version": card.framework_versions.get("Transformers", "4.25.1"),
            "vocab_size": 30522 + int(card.rng_value * 100_000),
        }
    )
    if card.relation == "quantized":
        config["quantization_config"] = {"bits": 4, "group_size": 128, "quant_method": "gptq"}
    return config


def _api_info(models: HubModels, i: int, card: CardContext, rng) -> dict:
    """``GET /api/models/{id}`` as the Hub answers it (the fields the mapper reads, in the Hub's
    order; no cardData copy of the card)."""
    created = models.created(i)
    modified = min(created + int(rng.expovariate(1 / (20 * 86_400))), created + 400 * 86_400)
    downloads, likes = correlated_counts(
        rng, P.MODEL_DOWNLOADS, P.MODEL_LIKES, P.MODEL_POPULARITY_RHO
    )
    info: dict = {
        "_id": f"{created:08x}{rng.getrandbits(64):016x}",
        "id": card.repo_id,
        "private": False,
        "pipeline_tag": card.task.name,
        "library_name": card.library,
        "tags": card.api_tags(),
        "downloads": downloads,
        "likes": likes,
        "modelId": card.repo_id,
        "author": card.repo_id.split("/", 1)[0],
        "sha": f"{rng.getrandbits(160):040x}",
        "lastModified": iso_time(modified),
        "gated": _gated(rng),
        "disabled": False,
        "createdAt": iso_time(created),
        "siblings": [{"rfilename": name} for name in card.files()],
    }
    parameters = models.parameters(i)
    with_weights = card.library in ("transformers", "peft", "diffusers", "timm")
    if parameters and with_weights and rng.random() < P.SAFETENSORS_SHARE:
        dtype = "BF16" if parameters > 1e9 else "F32"
        info["safetensors"] = {"parameters": {dtype: parameters}, "total": parameters}
    return info


def _gated(rng) -> bool | str:
    if rng.random() >= P.GATED_SHARE:
        return False
    return "manual" if rng.random() < 0.5 else "auto"


# -- dataset repositories -------------------------------------------------------------------------

_DATASET_TASKS = Table((t.name, t.share) for t in P.TASKS if t.family not in ("rl", "tabular"))
_SIZE_CATEGORIES = Table(
    [("n<1K", 0.3), ("1K<n<10K", 0.3), ("10K<n<100K", 0.2), ("100K<n<1M", 0.12), ("1M<n<10M", 0.08)]
)


def write_dataset_shard(plan: HubPlan, shard: int, root: str) -> ShardStats:
    """Write dataset repositories ``[shard * size, ...)`` below ``root/huggingface/datasets``."""
    stats = ShardStats()
    folder = plan.shard_name(shard)
    writer = Writer(os.path.join(root, "huggingface", "datasets", folder), stats)
    stream = Stream(plan.seed, "hf-dataset-card")
    start = shard * plan.shard_size
    for rank in range(start, min(start + plan.shard_size, plan.datasets)):
        repo = dataset_repo_id(plan.seed, rank)
        org, name = repo.split("/", 1)
        rng = stream.rng(rank)
        task = _DATASET_TASKS.draw(rng)
        size = _SIZE_CATEGORIES.draw(rng)
        languages = pick_distinct(rng, P.LANGUAGES, 1 + int(rng.random() < 0.1))
        languages = [code for code in languages if code not in ("unk", "multilingual")]
        licence = P.LICENCES.draw(rng) if rng.random() < 0.7 else None
        text = render_dataset_card(rng, repo, task, size, languages, licence, dataset_topic(rank))
        writer.write(f"{org}/{name}", "README.md", text)
        downloads, likes = correlated_counts(
            rng, P.DATASET_DOWNLOADS, P.DATASET_LIKES, P.DATASET_POPULARITY_RHO
        )
        created = EPOCH + int(SPAN_SECONDS * (rank + rng.random()) / max(plan.datasets, 1))
        tags = [f"task_categories:{task}", f"size_categories:{size}"]
        tags += [f"language:{code}" for code in languages]
        tags += [f"license:{licence}"] if licence else []
        info = {
            "_id": f"{created:08x}{rng.getrandbits(64):016x}",
            "id": repo,
            "author": org,
            "sha": f"{rng.getrandbits(160):040x}",
            "lastModified": iso_time(created + int(rng.random() * 90 * 86_400)),
            "private": False,
            "gated": False,
            "disabled": False,
            "tags": tags,
            "downloads": downloads,
            "likes": likes,
            "createdAt": iso_time(created),
        }
        writer.write(org, f"{name}.json", _json(info))
        stats.add("hf", "datasets")
        stats.add("hf.dataset_tasks", task)
    return stats
