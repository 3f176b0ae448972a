"""A synthetic model zoo in the crawlers' own input formats, for benchmarks at Hub scale.

``generate_zoo(target, models=2_000_000, seed=1)`` writes raw records exactly as the real zoos
publish them, so the real crawl → map → validate → load path is what a benchmark measures:

* ``target/huggingface/``: a Hugging Face offline folder (``mlkg build huggingface --from``):
  per model an API response (``<org>/<name>.json``), a card (``<org>/<name>/README.md``) and,
  for transformers models, ``config.json``; dataset repositories below ``datasets/``. Layout and
  sharding: :mod:`mlkg._generate_hf`.
* ``target/tfhub/``: a ``tensorflow/tfhub.dev`` checkout (``mlkg build tfhub --from``):
  ``assets/docs/<publisher>/models/.../<version>.md`` Module, Placeholder, Lite, TF.js and Coral
  pages plus Collection and Publisher pages. Layout: :mod:`mlkg._generate_tfhub`.
* ``target/manifest.json``: the ground truth of what was written (models per task, lineage links
  per relation, dirt per kind, the ids that must be quarantined, ...), written last, so its
  presence means the zoo is complete. Tests compare the built graph with it.

Design
------
* **Deterministic.** Every record is a pure function of ``(seed, record index)``: counter-based
  hashing for what other records must see, one ``random.Random`` per record for the rest
  (:mod:`mlkg._generate_common`); dates are fixed offsets from 2021-01-01. The same arguments
  give byte-identical trees, whatever the number of worker processes (on one Python version:
  ``random``'s algorithms may change between versions).
* **Constant memory, streaming.** Records are written as they are made; nothing holds the zoo. A
  derived model finds its base by recomputing earlier indices (bounded LRU caches). The manifest
  holds counters and the short list of deliberately broken ids.
* **Sharded and parallel.** Hugging Face shards of 10,000 models (one folder each, so no folder
  holds more than ~10,000 entries), TF Hub shards of 4,000 model names, run on ``workers``
  processes (default: all cores).

Measured shapes (and where each number comes from)
---------------------------------------------------
All from ``../shared/zoo-snapshots`` (never copied: only counts, shares, fitted parameters and
identifiers are kept, in :mod:`mlkg._generate_profile`).

Hugging Face, from ``huggingface/model-cards-cs577`` (4,786 real cards drawn from 25,109, with
``SELECTION.json`` giving each card's stratum). Strata A (model-index + hyperparameters, 1,640)
and *dirty* (1,146) are complete; B (800 of the cards with results) and C (1,200 of the cards
without) are samples, weighted here by 11.16 each (B and C sampled at the same rate from the
remaining 22,323 cards; the RL share this implies matches a sample of the corpus's own
``metadata_noArch`` listing).

=================================  ============================================================
pipeline_tag mix                   reinforcement-learning 36.2 %, translation 9.6 %, text-to-image
                                   9.3 %, token-classification 7.2 %, conversational 6.2 %,
                                   text-classification 5.7 %, image-classification 5.3 %, ASR
                                   4.6 %, ... 31 tasks (the 25 % of cards without a readable task
                                   spread over the non-RL tasks). The corpus is early 2023,
                                   when the Deep RL course filled the Hub with agents.
library_name                       per task, from card ``library_name``/tags (RL:
                                   stable-baselines3 77 %, ml-agents 16 %; image-classification:
                                   timm 57 %; token-classification: spacy 25 %, ...)
cards with model-index results     42.7 % (RL 90 %, text-classification 41 %, ASR 40 %)
cards with hyperparameter lists    21.2 % (text2text 66 %, text-classification 59 %)
hyperparameter values              learning_rate 2e-05 44 %, 5e-05 18 %; train_batch_size 16
                                   28 %, 8 20 %; seed 42 95 %; Adam betas=(0.9,0.999) 90 %;
                                   linear schedule 97 %; num_epochs 3 29 %; key frequencies
                                   (optimizer 98 %, mixed precision 31 %, warmup steps 21 %)
metric values                      accuracy median 0.92 (5–95 %: 0.58–0.99); WER median 17.2
                                   and 83 % above 1 (written as percents); CER 61 % above 1;
                                   BLEU median 8.0; RL ``mean +/- sd`` 55 % of all values
datasets                           21 % of cards list some (91 % one id); per-task ids with
                                   measured weights (glue 24 % of text classifiers, conll2003
                                   18 % of token classifiers, common_voice_11_0 25 % of ASR);
                                   26.5 % of mentions are namespaced long-tail repositories:
                                   here the zoo's own dataset repos, Zipf-popular (s = 1.05)
licences                           43 % declare one: apache-2.0 66 %, mit 16 %, cc-by-4.0 7 %;
                                   diffusion cards creativeml-openrail-m 63 %
languages                          21 % declare some: en 33 %, es, zh, de ...; 85 % list one
lineage                            20 % of cards name a base (text-classification 56 %, ASR
                                   46 %; RL 0); fan-out: top base 17 % of derived models, top
                                   10 bases 50 %, 275 bases for 4,954 derived cards;
                                   reproduced by base ``j = floor(i·u^2.6)``
dirty cards                        4.56 % (SELECTION ``dirty:*``, exhaustive): library_tag 1.59 %,
                                   other odd keys 2.07 %, ``task:`` 0.38 %, ``model_index``
                                   0.29 %, ``dataset:`` 0.06 %, ``language: no`` 0.06 %,
                                   model-index as a mapping 0.04 %, ``languages`` 0.03 %,
                                   licence/licenses 0.02 %, YAML errors 0.016 %, ``pipeline-tag``
                                   0.01 %. Also measured: HTML in 8.7 % of bodies, NA/null metric
                                   values 0.3 %, comma decimals 0.04 %, invalid UTF-8 0.09 %, no
                                   front matter 3.2 %, cards under 50 bytes 2.6 %
=================================  ============================================================

Downloads and likes: censored log-normals (``floor(exp(y))`` for ``y ~ N(mu, sigma)``, 0 when
``y < 0``) fitted by moments to ``hub-docs/hacktoberfest_challenges/model_license_other.csv``
(349 models: 36 % never downloaded, log-downloads of the rest mean 4.09, sd 2.91 → mu 1.52,
sigma 4.36; likes 43 % zero, mean 1.97, sd 1.57 → mu 0.42, sigma 2.37; latent correlation 0.7
for the measured log-log 0.66). Datasets: ``datasets_without_language.csv`` (277: 55 % / 76 %
zero). API fields (``safetensors`` in 52 %, ``gated`` 2 %, siblings by library) follow the 42
full responses in ``api-responses/``.

TF Hub, from the complete final catalogue ``tfhub.dev`` (2,730 model pages): Modules 66.5 %,
Lite 13.6 %, TF.js 13.1 %, Placeholders 6.7 %, Coral 0.1 %; versions per name 1: 71 %, 2: 17 %,
4: 6 %, 5: 4 %, 3: 2 %, 9.3 % of names with a version gap; 25.6 % of Module versions have
variants (72 % one); Collections 1.8 % of pages (2–114 members); publishers Zipf with the top
one holding ~56 % (google: 1,523 of 2,730); Module tasks (image-classification 31 %,
image-feature-vector 24 %, text-embedding 20 %, ...), datasets (none 22 %, one 75 %;
imagenet-ilsvrc-2012-cls 41 % of mentions), architectures, format (saved_model_2 59 %),
fine-tunable 78 %, declared licence 15 % (mit 55 % of those), language on text models.
Dirt at the catalogue's rate (73 of 2,819 pages warn): ``&zwnj;`` in the handle 1.4 % of
Modules, non-URL asset-path 0.9 %, version-less parent-model 8.3 % of Lite pages.

Assumptions (not measurable in the snapshots): the relation mix of derived models
(finetune/adapter/quantized/merge by family, :data:`mlkg._generate_profile.RELATIONS`; the cs577
cards predate ``base_model``), chains (12 % of derived models build on a derived model; depth
capped at 4), 30 % of derived Trainer cards naming their base only in the "fine-tuned version
of" sentence, parameter counts, and the rare dirt the corpus lacks (``<script>``, NUL bytes,
cards over 1 MB). ``broken_share`` (default 0.1 %) makes records no crawler can map (a
repository id with a space, a binary TF Hub page): the real snapshots have none (every real
record maps; dirty ones with warnings), so this exists to measure the quarantine path.

Example::

    >>> from pathlib import Path; import tempfile
    >>> report = generate_zoo(Path(tempfile.mkdtemp()) / "zoo", models=50, seed=1, workers=1)
    >>> report.huggingface_models + report.tfhub_models, (report.target / "manifest.json").exists()
    (50, True)
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlkg import _generate_profile as P
from mlkg._generate_common import ShardStats
from mlkg._generate_hf import (
    SHARD_SIZE,
    HubPlan,
    refresh_model_shard,
    write_dataset_shard,
    write_model_shard,
)
from mlkg._generate_tfhub import (
    TfPlan,
    plan_tfhub,
    write_collections,
    write_publishers,
    write_shard,
)
from mlkg.errors import ConfigurationError
from mlkg.progress import progress

__all__ = ["GenerateReport", "generate_zoo"]

GENERATOR_VERSION = 2
DEFAULT_HUB_SHARE = 0.9
DEFAULT_BROKEN_SHARE = 0.001
#: Dataset repositories per Hugging Face model when ``datasets`` is not given (the Hub lists
#: roughly one dataset per five to ten models; the snapshots give no count).
DATASETS_PER_MODEL = 0.1
MANIFEST = "manifest.json"


@dataclass
class GenerateReport:
    """What :func:`generate_zoo` wrote, and how fast."""

    target: Path
    seed: int
    models: int
    huggingface_models: int
    tfhub_models: int
    datasets: int
    records: int
    files: int
    bytes: int
    seconds: float
    workers: int
    shards: int

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    @property
    def manifest(self) -> Path:
        return self.target / MANIFEST

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "target": str(self.target),
            "files_per_second": round(self.files_per_second, 1),
        }


def generate_zoo(
    target: Path,
    *,
    models: int,
    seed: int,
    hub_share: float = DEFAULT_HUB_SHARE,
    tfhub_share: float | None = None,
    datasets: int | None = None,
    broken_share: float = DEFAULT_BROKEN_SHARE,
    workers: int | None = None,
    shard_size: int = SHARD_SIZE,
    show_progress: bool = False,
    refresh: float | None = None,
    revision: int = 1,
) -> GenerateReport:
    """Write a synthetic zoo of ``models`` models into ``target`` (a new or empty folder).

    ``hub_share`` of the models are Hugging Face repositories, the rest (``tfhub_share``, by
    default ``1 - hub_share``) TF Hub model pages; ``datasets`` Hugging Face dataset
    repositories are added (default: one per ten Hugging Face models). ``broken_share`` of the
    records cannot be mapped at all and must be quarantined. The same arguments always give the
    same bytes; ``workers`` (default: all cores) and ``shard_size`` only change the speed —
    except that ``shard_size`` also decides the folder each model lands in.

    With ``refresh`` (a share, e.g. 0.01), ``target`` must instead hold the zoo these arguments
    wrote: the API responses of ``refresh`` of all models (chosen among the Hugging Face ones)
    are rewritten in place as revision ``revision`` (more downloads and likes, a new commit and
    ``lastModified``), for measuring an incremental re-build. ``refresh-<revision>.json`` lists
    the changed ids. The same arguments again write the same bytes.

    Raises :class:`~mlkg.errors.ConfigurationError` for impossible arguments or a ``target``
    that already holds files (without ``refresh``), or that holds no matching zoo (with it).
    """
    hub, tfhub = _shares(hub_share, tfhub_share)
    if models < 1:
        raise ConfigurationError(f"generate: models must be at least 1, got {models}")
    if not 0.0 <= broken_share <= 0.5:
        raise ConfigurationError(f"generate: broken_share {broken_share} is not in [0, 0.5]")
    if shard_size < 1:
        raise ConfigurationError(f"generate: shard_size must be positive, got {shard_size}")
    if refresh is None:
        _check_target(target)
    hf_models = round(models * hub / (hub + tfhub)) if hub + tfhub else 0
    tf_models = models - hf_models
    if datasets is None:
        datasets = round(hf_models * DATASETS_PER_MODEL)
    if datasets < 0:
        raise ConfigurationError(f"generate: datasets must be 0 or more, got {datasets}")
    hub_plan = HubPlan(seed, hf_models, datasets, broken_share, shard_size)
    if refresh is not None:
        return _refresh(target, hub_plan, models, refresh, revision, workers, show_progress)
    tf_plan = plan_tfhub(seed, tf_models, broken_share)
    jobs = _jobs(hub_plan, tf_plan, str(target))
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    started = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    stats = ShardStats()
    for shard_stats in progress(
        _run(jobs, workers), desc="generate", unit="shard", enabled=show_progress, total=len(jobs)
    ):
        stats.merge(shard_stats)
    manifest = _manifest(hub_plan, tf_plan, stats, hub, tfhub)
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (target / MANIFEST).write_bytes(data)
    seconds = time.perf_counter() - started
    counts = stats.counts
    return GenerateReport(
        target=target,
        seed=seed,
        models=models,
        huggingface_models=hf_models,
        tfhub_models=tf_models,
        datasets=datasets,
        records=hf_models
        + tf_models
        + datasets
        + sum(counts.get("tfhub", {}).get(k, 0) for k in ("publishers", "collections")),
        files=stats.files + 1,
        bytes=stats.bytes + len(data),
        seconds=seconds,
        workers=workers,
        shards=len(jobs),
    )


def _refresh(
    target: Path,
    plan: HubPlan,
    models: int,
    share: float,
    revision: int,
    workers: int | None,
    show_progress: bool,
) -> GenerateReport:
    """Rewrite ``share`` of all models (Hugging Face ones) as revision ``revision``."""
    if not 0.0 < share <= 1.0:
        raise ConfigurationError(f"generate: refresh {share} is not in (0, 1]")
    if revision < 1:
        raise ConfigurationError(f"generate: revision must be 1 or more, got {revision}")
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"generate: {target} holds no complete zoo to refresh") from exc
    parameters = manifest.get("parameters", {})
    wanted = {
        "seed": plan.seed,
        "models": models,
        "datasets": plan.datasets,
        "broken_share": plan.broken_share,
        "shard_size": plan.shard_size,
    }
    if any(parameters.get(key) != value for key, value in wanted.items()):
        raise ConfigurationError(
            f"generate: the zoo in {target} was written with other arguments "
            f"({ {k: parameters.get(k) for k in wanted} }); refresh it with those"
        )
    per_model = min(1.0, share * models / plan.models) if plan.models else 0.0
    jobs: list[Job] = [
        ("hf-refresh", (plan, per_model, revision), k, str(target))
        for k in range(plan.model_shards)
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    started = time.perf_counter()
    stats = ShardStats()
    for shard_stats in progress(
        _run(jobs, workers), desc="refresh", unit="shard", enabled=show_progress, total=len(jobs)
    ):
        stats.merge(shard_stats)
    changed = stats.counts.get("hf", {}).get("refreshed", 0)
    listing = {"revision": revision, "share": share, "changed": changed}
    listing["ids"] = sorted(stats.ids.get("hf.refreshed", []))
    data = (json.dumps(listing, indent=1) + "\n").encode()
    (target / f"refresh-{revision}.json").write_bytes(data)
    return GenerateReport(
        target=target,
        seed=plan.seed,
        models=changed,
        huggingface_models=changed,
        tfhub_models=0,
        datasets=0,
        records=changed,
        files=stats.files + 1,
        bytes=stats.bytes + len(data),
        seconds=time.perf_counter() - started,
        workers=workers,
        shards=len(jobs),
    )


def _shares(hub_share: float, tfhub_share: float | None) -> tuple[float, float]:
    if tfhub_share is None:
        tfhub_share = 1.0 - hub_share
    for name, value in (("hub_share", hub_share), ("tfhub_share", tfhub_share)):
        if not 0.0 <= value <= 1.0:
            raise ConfigurationError(f"generate: {name} {value} is not in [0, 1]")
    if not math.isclose(hub_share + tfhub_share, 1.0, abs_tol=1e-9):
        raise ConfigurationError(
            f"generate: hub_share {hub_share} and tfhub_share {tfhub_share} must add up to 1"
        )
    return hub_share, tfhub_share


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigurationError(
            f"generate: {target} already exists and is not an empty folder; "
            "choose a new folder (generation never overwrites)"
        )


# -- jobs ------------------------------------------------------------------------------------------

Job = tuple[str, Any, int, str]


def _jobs(hub: HubPlan, tf: TfPlan, root: str) -> list[Job]:
    """Every shard as a job; the big Hugging Face shards first, so workers finish together."""
    jobs: list[Job] = [("hf-models", hub, k, root) for k in range(hub.model_shards)]
    jobs += [("tf-groups", tf, k, root) for k in range(tf.shards)]
    jobs += [("hf-datasets", hub, k, root) for k in range(hub.dataset_shards)]
    if tf.models:
        jobs += [("tf-publishers", tf, 0, root), ("tf-collections", tf, 0, root)]
    return jobs


_RUNNERS: dict[str, Callable[[Any, int, str], ShardStats]] = {
    "hf-models": write_model_shard,
    "hf-datasets": write_dataset_shard,
    "tf-groups": write_shard,
    "tf-publishers": lambda plan, _shard, root: write_publishers(plan, root),
    "tf-collections": lambda plan, _shard, root: write_collections(plan, root),
    "hf-refresh": lambda args, shard, root: refresh_model_shard(args[0], shard, root, *args[1:]),
}


def _run_job(job: Job) -> ShardStats:
    kind, plan, shard, root = job
    return _RUNNERS[kind](plan, shard, root)


def _run(jobs: list[Job], workers: int) -> Iterator[ShardStats]:
    """Shard statistics in job order (so merging them is deterministic)."""
    if workers == 1:
        yield from map(_run_job, jobs)
        return
    # spawn: workers share nothing with the caller (which may hold threads or a store).
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap(_run_job, jobs, chunksize=1)


# -- manifest --------------------------------------------------------------------------------------


def _manifest(
    hub: HubPlan, tf: TfPlan, stats: ShardStats, hub_share: float, tfhub_share: float
) -> dict[str, Any]:
    counts = {topic: dict(counter) for topic, counter in stats.counts.items()}
    hf, tfhub = counts.get("hf", {}), counts.get("tfhub", {})
    depths = counts.get("hf.depth", {})
    hf_models = hf.get("models", 0)
    return {
        "generator": {"module": "mlkg.generate", "version": GENERATOR_VERSION},
        "parameters": {
            "seed": hub.seed,
            "models": hub.models + tf.models,
            "hub_share": hub_share,
            "tfhub_share": tfhub_share,
            "datasets": hub.datasets,
            "broken_share": hub.broken_share,
            "shard_size": hub.shard_size,
        },
        "huggingface": {
            "folder": "huggingface",
            "models": hf_models,
            "broken": sorted(stats.ids.get("hf.broken", [])),
            "datasets": hf.get("datasets", 0),
            "tasks": counts.get("hf.tasks", {}),
            "libraries": counts.get("hf.libraries", {}),
            "lineage": counts.get("hf.lineage", {}),
            "depth": depths,
            "max_depth": max((int(d) for d in depths), default=0),
            "legacy_lineage": hf.get("legacy_lineage", 0),
            "model_index": hf.get("model_index", 0),
            "hyperparameters": hf.get("hyperparameters", 0),
            "dirty": hf.get("dirty", 0),
            "dirty_rate": round(hf.get("dirty", 0) / hf_models, 6) if hf_models else 0.0,
            "configured_dirty_rate": round(P.SELECTION_DIRTY_RATE, 6),
            "dirt": counts.get("hf.dirt", {}),
            "expect_warning": hf.get("expect_warning", 0),
            "dataset_tasks": counts.get("hf.dataset_tasks", {}),
        },
        "tfhub": {
            "folder": "tfhub",
            "models": tfhub.get("models", 0),
            "broken": sorted(stats.ids.get("tfhub.broken", [])),
            "pages": counts.get("tfhub.pages", {}),
            "tasks": counts.get("tfhub.tasks", {}),
            "lineage": counts.get("tfhub.lineage", {}),
            "dirt": counts.get("tfhub.dirt", {}),
            "expect_warning": tfhub.get("expect_warning", 0),
            "publishers": tfhub.get("publishers", 0),
            "collections": tfhub.get("collections", 0),
            "collection_members": tfhub.get("collection_members", 0),
        },
        "files": stats.files,
        "bytes": stats.bytes,
    }
