"""Model and dataset cards (README.md) of the synthetic Hugging Face zoo: YAML front matter and a
markdown body, including the dirt real cards carry.

The prose is this module's own; the only fixed phrases are the two the crawler parses as format
markers, exactly as the Hub's Trainer prints them: "This model is a fine-tuned version of
[X](https://huggingface.co/X)" (lineage of older cards) and "The following hyperparameters were
used during training:" (the hyperparameter list). YAML is written by hand (no ``yaml.dump``): it
is several times faster and lets the dirt be injected exactly as card authors make it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlkg import _generate_profile as P
from mlkg._generate_common import choose, fmt, pick_distinct, quoted, word

if TYPE_CHECKING:
    from mlkg._generate_hf import HubModels

TRAINER_LIBRARIES = frozenset({"transformers", "peft", "adapter-transformers"})
HUB = "https://huggingface.co/"
#: Size of a "huge" card: over the mapper's 1,000,000-character cap.
HUGE_CHARS = (1_050_000, 1_400_000)

_SELECTION = tuple(d for d in P.DIRT if d.selection)
_CONTENT = tuple(d for d in P.DIRT if not d.selection)
_EXPECT = {d.kind: d.expect for d in P.DIRT}
_NEEDS_NUMERIC_RESULTS = frozenset({"value_na", "comma_decimal", "percent_value"})
_GLUE = ("sst2", "cola", "mrpc", "qnli", "rte", "stsb", "mnli", "qqp", "wnli")
_CV = ("en", "de", "fr", "es", "it", "pt", "ru", "tr", "uk", "ar", "fa", "zh-CN", "ja", "nl")
_TRAINER_SHARE: dict[str, float] = {}
for _task in P.TASKS:
    _table = P.LIBRARIES.get(_task.name, P.DEFAULT_LIBRARY)
    _TRAINER_SHARE[_task.name] = sum(_table.share(lib) for lib in TRAINER_LIBRARIES | {"keras"})


@dataclass
class Result:
    """One model-index result: the task, the dataset it ran on (or none), its metrics."""

    dataset: dict[str, str] | None
    metrics: list[tuple[str, str]]  # (metric type, value as written in YAML)


@dataclass
class CardContext:
    """Everything one model's card, API response and config say, decided once."""

    repo_id: str
    name: str
    task: P.TaskProfile
    library: str
    parents: tuple[str, ...]
    relation: str | None
    archetype: str
    rng: random.Random
    rng_value: float
    licence: str | None = None
    licence_named: bool = False
    datasets: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    empty_model_index: bool = False
    hyperparameters: list[tuple[str, str]] = field(default_factory=list)
    keras: bool = False
    framework_versions: dict[str, str] = field(default_factory=dict)
    legacy_lineage: bool = False
    dirt: list[str] = field(default_factory=list)
    front_matter: bool = True
    near_empty: bool = False
    html: bool = False
    pipeline_in_card: bool = False
    library_in_card: bool = False
    model_type: str | None = None
    environment: tuple | None = None
    algorithm: str = ""
    wrong_datasets: bool = False

    @classmethod
    def build(
        cls,
        models: HubModels,
        i: int,
        rng: random.Random,
        *,
        library: str,
        parents: tuple[str, ...],
    ) -> CardContext:
        light, lineage = models.light(i), models.lineage(i)
        task = light.task
        archetype = _archetype(task, library, lineage.relation)
        card = cls(
            repo_id=f"{models.org(i)}/{models.name(i)}",
            name=models.name(i),
            task=task,
            library=library,
            parents=parents,
            relation=lineage.relation,
            archetype=archetype,
            rng=rng,
            rng_value=rng.random(),
            model_type=models.model_type(i),
        )
        card._decide_facts(models, i)
        card._decide_dirt()
        return card

    # -- decisions -------------------------------------------------------------------------------

    def _decide_facts(self, models: HubModels, i: int) -> None:
        rng, task = self.rng, self.task
        if task.family == "rl":
            self.environment = models.rl_environment(i)
            self.algorithm = models.stem(i).split("-", 1)[0]
            self.library_in_card = True
        elif rng.random() < 0.1:
            self.library_in_card = True
        if rng.random() < task.licence:
            table = P.DIFFUSION_LICENCES if task.family == "diffusion" else P.LICENCES
            self.licence = table.draw(rng)
            self.licence_named = self.licence == "other" and rng.random() < P.OTHER_LICENCE_NAMED
        if rng.random() < _datasets_probability(task, self.archetype):
            self.datasets = _training_datasets(models, i, rng)
        if rng.random() < task.language:
            count = P.LANGUAGE_COUNT.draw(rng)
            self.languages = pick_distinct(rng, P.LANGUAGES, count)
        trainer_share = _TRAINER_SHARE.get(task.name, 0.0)
        wants_hp = trainer_share > 0 and rng.random() < task.hyperparameters / trainer_share
        if wants_hp and self.archetype == "trainer":
            self.keras = rng.random() < P.KERAS_CARD_SHARE
            self.hyperparameters = _hyperparameters(rng, self.keras)
            self.framework_versions = {
                name: table.draw(rng) for name, table in P.FRAMEWORKS if not self.keras
            }
        if rng.random() < task.results:
            self.results = _results(self, rng)
        elif self.hyperparameters and rng.random() < P.EMPTY_MODEL_INDEX:
            self.empty_model_index = True
        self.legacy_lineage = (
            self.relation == "finetune"
            and bool(self.hyperparameters)
            and rng.random() < P.LEGACY_LINEAGE
        )
        self.pipeline_in_card = rng.random() < P.PIPELINE_TAG_IN_CARD
        self.html = rng.random() < P.HTML_SHARE

    def _decide_dirt(self) -> None:
        rng = self.rng
        draw, total = rng.random(), 0.0
        for dirt in _SELECTION:
            total += dirt.rate
            if draw < total:
                self._apply(dirt.kind)
                break
        for dirt in _CONTENT:
            if rng.random() < dirt.rate:
                self._apply(dirt.kind)
        if "binary" in self.dirt:  # nothing of the card survives: it is not text
            self.dirt = ["binary"]
            self.legacy_lineage = False
            self.results, self.hyperparameters, self.empty_model_index = [], [], False
        plain = not self.dirt and not self.hyperparameters and not self.results
        if plain and rng.random() < P.NO_FRONT_MATTER:
            self.front_matter = False
            self.near_empty = rng.random() < P.NEAR_EMPTY_CARD / P.NO_FRONT_MATTER
            self.legacy_lineage = False

    def _apply(self, kind: str) -> None:
        """Record one kind of dirt, making the card able to carry it."""
        numeric = [r for r in self.results if r.dataset is not None and self.task.family != "rl"]
        if kind in _NEEDS_NUMERIC_RESULTS and not numeric:
            return
        if kind == "model_index_key" and not self.results:
            self.results = _results(self, self.rng)
        elif kind == "model_index_dict":
            self.results, self.empty_model_index = [], False
        elif kind in ("language_no", "languages_key") and not self.languages:
            self.languages = ["en"]
        elif kind == "licence_key" and not self.licence:
            self.licence = "apache-2.0"
        elif kind == "dataset_key" and not self.datasets:
            self.datasets = ["glue"] if self.task.family != "speech" else ["common_voice"]
        elif kind == "wrong_type":
            self.wrong_datasets = bool(self.datasets) and self.rng.random() < 0.5
        self.dirt.append(kind)
        if kind in _NEEDS_NUMERIC_RESULTS:
            result = numeric[0]
            metric, _ = result.metrics[0]
            result.metrics[0] = (metric, _dirty_value(kind, self.rng))

    @property
    def expects_warning(self) -> bool:
        return any(_EXPECT[kind] == "warn" for kind in self.dirt)

    # -- what the API says -----------------------------------------------------------------------

    def files(self) -> list[str]:
        """The repository's files (``siblings``): what the mapper reads formats and hints from."""
        files = [".gitattributes", "README.md"]
        lib, relation = self.library, self.relation
        if relation == "quantized" and self.task.family == "lm":
            stem = self.name.removesuffix("-GGUF")
            return [*files, f"{stem}.Q4_K_M.gguf", f"{stem}.Q5_K_M.gguf", f"{stem}.Q8_0.gguf"]
        if relation == "adapter" or lib == "peft":
            return [*files, "adapter_config.json", "adapter_model.safetensors"]
        if lib in ("transformers", "adapter-transformers"):
            weights = "model.safetensors" if self.rng_value < 0.6 else "pytorch_model.bin"
            files += ["config.json", weights, "tokenizer.json", "tokenizer_config.json"]
            return files + (["training_args.bin"] if self.hyperparameters else [])
        if lib == "diffusers":
            if relation == "adapter":
                return [*files, "pytorch_lora_weights.safetensors"]
            return [*files, "model_index.json", "unet/diffusion_pytorch_model.safetensors"]
        if lib in ("stable-baselines3", "sample-factory", "cleanrl"):
            return [*files, f"{self.name}.zip", "config.json", "replay.mp4", "results.json"]
        if lib == "ml-agents":
            return [*files, f"{self.name}.onnx", "config.json", "run_logs/timers.json"]
        if lib == "timm":
            return [*files, "config.json", "model.safetensors", "pytorch_model.bin"]
        if lib in ("sklearn", "mlconsole"):
            return [*files, "model.pkl", "config.json"]
        if lib == "keras":
            return [*files, "keras_metadata.pb", "saved_model.pb", "variables/variables.index"]
        return [*files, "model.ckpt"]

    def api_tags(self) -> list[str]:
        """The Hub's tags: library, formats, task, datasets, languages, licence, lineage."""
        tags = [self.library]
        if self.library in TRAINER_LIBRARIES:
            tags += ["pytorch", "safetensors"] if self.rng_value < 0.6 else ["pytorch"]
        if self.model_type:
            tags.append(self.model_type)
        tags.append(self.task.name)
        if self.hyperparameters:
            tags.append("generated_from_keras_callback" if self.keras else "generated_from_trainer")
        if self.task.family == "rl":
            tags += ["deep-reinforcement-learning", "reinforcement-learning"]
            tags.append(self.environment[0])
        tags += [f"dataset:{dataset}" for dataset in self.datasets]
        tags += [code for code in self.languages if code not in ("unk",)]
        if not self.legacy_lineage:
            tags += [f"base_model:{parent}" for parent in self.parents]
            tags += [f"base_model:{self.relation}:{parent}" for parent in self.parents]
        if self.licence:
            tags.append(f"license:{self.licence}")
        if self.results:
            tags.append("model-index")
        tags += ["endpoints_compatible", "region:us"]
        return list(dict.fromkeys(tags))


def _archetype(task: P.TaskProfile, library: str, relation: str | None) -> str:
    if task.family == "rl":
        return "rl"
    if task.family == "diffusion":
        return "diffusion"
    if task.family == "lm" and relation in ("quantized", "merge", "adapter"):
        return "lm"
    if library in TRAINER_LIBRARIES or library == "keras":
        return "trainer"
    return "plain"


def _datasets_probability(task: P.TaskProfile, archetype: str) -> float:
    """P(a ``datasets:`` list) for a card of this archetype, so that the task's cards list
    datasets at the measured rate ``task.datasets`` overall: Trainer cards (which name their
    dataset in the generated text) up to 90 %, the others what remains. (Adding the Trainer's
    90 % on top of the task's rate doubled the share: 43 % of cards against 21 % measured.)"""
    trainer = _TRAINER_SHARE.get(task.name, 0.0)
    in_trainer = min(0.9, task.datasets / trainer) if trainer > 0 else 0.0
    if archetype == "trainer":
        return in_trainer
    return max(0.0, task.datasets - trainer * in_trainer) / (1.0 - trainer) if trainer < 1 else 0.0


def _training_datasets(models: HubModels, i: int, rng: random.Random) -> list[str]:
    """The card's ``datasets:``: the model's topic first, then more from the task's table."""
    from mlkg._generate_hf import dataset_repo_id

    table = P.TRAINING_DATASETS.get(models.light(i).task.name, P.DEFAULT_TRAINING_DATASETS)
    found: list[str] = []
    for number in range(P.DATASET_COUNT.draw(rng)):
        value = models.topic(i) if number == 0 else table.draw(rng)
        if value is None:
            rank = models.dataset_rank(i, 8 if number == 0 else 200 + number)
            if rank is None:
                continue
            value = dataset_repo_id(models.plan.seed, rank)
        if value not in found:
            found.append(value)
    return found


def _hyperparameters(rng: random.Random, keras: bool) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    batch = accumulate = None
    for name, share, table in P.HYPERPARAMETERS:
        if rng.random() >= share:
            continue
        if name == "optimizer":
            pairs.append((name, _optimizer(rng, keras)))
            continue
        value = table.draw(rng)
        if name == "train_batch_size":
            batch = int(value)
        if name == "gradient_accumulation_steps":
            accumulate = int(value)
        pairs.append((name, value))
    if batch and accumulate and accumulate > 1:
        pairs.append(("total_train_batch_size", str(batch * accumulate)))
    if keras:
        pairs = [(n, v) for n, v in pairs if n in ("optimizer", "learning_rate")]
        pairs.append(("training_precision", "float32" if rng.random() < 0.7 else "mixed_float16"))
    return pairs


def _optimizer(rng: random.Random, keras: bool) -> str:
    if keras:
        rate = choose(rng, ("2e-05", "5e-05", "3e-05"))
        return (
            f"{{'name': 'AdamWeightDecay', 'learning_rate': {rate}, 'decay': 0.0, "
            "'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'amsgrad': False, "
            "'weight_decay_rate': 0.01}"
        )
    if rng.random() < 0.006:
        return "Adafactor"
    epsilon = "1e-08" if rng.random() < 0.97 else "1e-06"
    betas = "(0.9,0.999)" if rng.random() < 0.96 else "(0.9,0.98)"
    return f"Adam with betas={betas} and epsilon={epsilon}"


# -- evaluations -------------------------------------------------------------------------------


def _results(card: CardContext, rng: random.Random) -> list[Result]:
    task = card.task
    if task.family == "rl":
        env = card.environment
        low, high, spread_low, spread_high = env[2], env[3], env[4], env[5]
        mean = low + (high - low) * rng.random()
        spread = spread_low + (spread_high - spread_low) * rng.random()
        value = f"{mean:.2f} +/- {spread:.2f}"
        return [Result({"name": env[0], "type": env[0]}, [("mean_reward", value)])]
    metric_table = P.METRIC_SETS.get(task.name, P.DEFAULT_METRIC_SET)
    missing = P.RESULTS_WITHOUT_DATASET.get(task.name, P.RESULTS_WITHOUT_DATASET_DEFAULT)
    results = []
    for number in range(P.RESULT_COUNT.draw(rng)):
        metrics = [(m, fmt(_metric_value(m, rng))) for m in metric_table.draw(rng)]
        dataset = None if rng.random() < missing else _result_dataset(card, rng, number)
        results.append(Result(dataset, metrics))
    return results


def _result_dataset(card: CardContext, rng: random.Random, number: int) -> dict[str, str]:
    if card.datasets:
        dataset_id = card.datasets[number % len(card.datasets)]
    else:
        table = P.TRAINING_DATASETS.get(card.task.name)
        picked = table.draw(rng) if table else None
        dataset_id = picked or "imagefolder"
    config = "default"
    if dataset_id == "glue":
        config = choose(rng, _GLUE)
    elif "common_voice" in dataset_id:
        config = choose(rng, _CV)
    split = P.SPLITS.draw(rng)
    shown = dataset_id.rsplit("/", 1)[-1].replace("_", " ")
    return {"name": shown, "type": dataset_id, "config": config, "split": split, "args": config}


def _metric_value(metric: str, rng: random.Random) -> float:
    """A value on the scale cards write it: ratios as fractions, WER/CER often as percents (83 %
    and 61 % of cs577 values are above 1), BLEU and ROUGE in points."""
    if metric in ("accuracy", "f1", "precision", "recall", "f_score"):
        if metric != "accuracy" and rng.random() < 0.04:
            return rng.random() * 0.1
        return max(0.05, 1.0 - 0.08 * math.exp(rng.gauss(0.0, 1.0)))
    if metric == "wer":
        if rng.random() < 0.17:
            return 0.1 + 0.5 * rng.random()
        return min(120.0, 20.0 * math.exp(rng.gauss(0.0, 0.7)))
    if metric == "cer":
        if rng.random() < 0.39:
            return 0.01 + 0.3 * rng.random()
        return min(80.0, 5.0 * math.exp(rng.gauss(0.0, 0.9)))
    if metric in ("bleu", "sacrebleu"):
        return min(70.0, 9.0 * math.exp(rng.gauss(0.0, 1.1)))
    if metric in ("rouge1", "rougeL", "rougeLsum"):
        return 30.0 * math.exp(rng.gauss(0.0, 0.3))
    if metric == "rouge2":
        return 12.0 * math.exp(rng.gauss(0.0, 0.4))
    if metric in ("rouge", "chrf"):
        return 0.3 + 0.4 * rng.random()
    if metric == "exact_match":
        return 40.0 + 45.0 * rng.random()
    if metric == "matthews_correlation":
        return rng.gauss(0.54, 0.06)
    if metric == "perplexity":
        return 5.0 * math.exp(rng.gauss(0.0, 0.8))
    if metric in ("loss", "mae"):
        return 0.05 + 1.5 * rng.random()
    return rng.random()


def _dirty_value(kind: str, rng: random.Random) -> str:
    if kind == "value_na":
        return choose(rng, ("NA", "null", "nan", "N/A"))
    if kind == "comma_decimal":
        return f"0,{int(600 + 399 * rng.random())}"
    return f"{50 + 49 * rng.random():.1f} %"


# -- rendering ---------------------------------------------------------------------------------


def render_card(card: CardContext) -> bytes:
    """The README.md bytes of one model."""
    rng = card.rng
    if "binary" in card.dirt:
        junk = bytes(rng.getrandbits(8) for _ in range(256 + int(rng.random() * 2048)))
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + junk
    if card.near_empty:
        return f"# {card.name}\n".encode()[:48]
    parts = []
    if card.front_matter:
        parts.append("---\n" + "".join(_front_matter(card)) + "---\n\n")
    parts.append(_body(card))
    text = "".join(parts)
    if "huge" in card.dirt:
        text += _huge_appendix(rng)
    data = text.encode()
    if "invalid_utf8" in card.dirt:
        at = data.rfind(b"\n\n", 0, max(len(data) - 1, 1)) + 1
        data = data[:at] + b"caf\xe9 \xff\xfe notes\n" + data[at:]
    return data


def _front_matter(card: CardContext) -> list[str]:
    dirt, lines = set(card.dirt), []
    if card.licence:
        key = "license"
        if "licence_key" in dirt:
            key = "licence" if card.rng_value < 0.4 else "licenses"
        lines.append(f"{key}: {card.licence}\n")
        if card.licence_named:
            slug = f"{card.repo_id.split('/')[0]}-model-license"
            lines.append(f"license_name: {slug}\nlicense_link: LICENSE\n")
    if card.languages:
        key = "languages" if "languages_key" in dirt else "language"
        codes = ["no"] if "language_no" in dirt else card.languages
        lines.append(f"{key}:\n" + "".join(f"- {code}\n" for code in codes))
    if card.library_in_card:
        key = "library_tag" if "library_tag" in dirt else "library_name"
        lines.append(f"{key}: {card.library}\n")
    elif "library_tag" in dirt:
        lines.append(f"library_tag: {card.library}\n")
    if card.pipeline_in_card:
        lines.append(f"pipeline_tag: {card.task.name}\n")
    if "task_key" in dirt:
        lines.append(f"task: {card.task.name}\n")
    if "pipeline_dash_key" in dirt:
        lines.append(f"pipeline-tag: {card.task.name}\n")
    if card.parents and not card.legacy_lineage:
        if len(card.parents) == 1:
            lines.append(f"base_model: {card.parents[0]}\n")
        else:
            lines.append("base_model:\n" + "".join(f"- {p}\n" for p in card.parents))
        if card.rng_value < 0.4:
            lines.append(f"base_model_relation: {card.relation}\n")
    lines.append(_tags(card, "wrong_type" in dirt and not card.wrong_datasets))
    if card.datasets:
        key = "dataset" if "dataset_key" in dirt else "datasets"
        if card.wrong_datasets:
            lines.append(f"datasets:\n  name: {card.datasets[0]}\n")
        else:
            lines.append(f"{key}:\n" + "".join(f"- {d}\n" for d in card.datasets))
    if card.results and card.task.family != "rl":
        names = dict.fromkeys(m for r in card.results for m, _ in r.metrics)
        lines.append("metrics:\n" + "".join(f"- {m}\n" for m in names))
    if "odd_key" in dirt:
        lines.append(_odd_key(card))
    if card.task.family in ("text", "seq2seq") and card.rng_value > 0.9:
        lines.append(f"widget:\n- text: {quoted(_sentence(card.rng))}\n")
    lines.append(_model_index(card, dirt))
    if "yaml_error" in dirt:
        lines.insert(min(1, len(lines)), _yaml_error(card))
    return lines


def _tags(card: CardContext, wrong_type: bool) -> str:
    if wrong_type:
        return "tags: true\n"
    tags: list[str] = []
    if card.hyperparameters:
        tags.append("generated_from_keras_callback" if card.keras else "generated_from_trainer")
    if card.task.family == "rl":
        tags += [card.environment[0], "deep-reinforcement-learning", "reinforcement-learning"]
        tags.append(card.library)
    elif card.task.family == "diffusion":
        tags += ["text-to-image", "diffusers", "stable-diffusion"]
        tags += ["lora"] if card.relation == "adapter" else []
    elif card.archetype == "lm":
        tags += {"quantized": ["gguf"], "merge": ["merge", "mergekit"]}.get(card.relation, [])
    if not tags:
        return ""
    return "tags:\n" + "".join(f"- {tag}\n" for tag in tags)


def _odd_key(card: CardContext) -> str:
    key = P.ODD_KEYS[int(card.rng_value * len(P.ODD_KEYS))]
    if key == "duplicated_from":
        return f"duplicated_from: {card.parents[0] if card.parents else card.repo_id}\n"
    if key == "tasks":
        return f"tasks:\n- {card.task.name}\n"
    if key == "model_type":
        return f"model_type: {card.model_type or 'custom'}\n"
    return f"{key}: {word(int(card.rng_value * 4096))}\n"


def _model_index(card: CardContext, dirt: set[str]) -> str:
    key = "model_index" if "model_index_key" in dirt else "model-index"
    if "model_index_dict" in dirt:
        return f"{key}:\n  name: {card.name}\n"
    if not card.results:
        return f"{key}:\n- name: {card.name}\n  results: []\n" if card.empty_model_index else ""
    name = card.algorithm.upper() if card.task.family == "rl" else card.name
    out = [f"{key}:\n- name: {name}\n  results:\n"]
    shown = card.task.name.replace("-", " ").title()
    for result in card.results:
        out.append(f"  - task:\n      type: {card.task.name}\n      name: {shown}\n")
        if result.dataset is not None:
            out.append("    dataset:\n")
            out += [f"      {k}: {v}\n" for k, v in result.dataset.items()]
        out.append("    metrics:\n")
        for metric, value in result.metrics:
            display = P.METRIC_NAMES.get(metric, metric)
            out.append(f"    - type: {metric}\n      value: {value}\n      name: {display}\n")
            if card.task.family == "rl":
                out.append("      verified: false\n")
    return "".join(out)


def _yaml_error(card: CardContext) -> str:
    """A line libyaml refuses: a tab used as indentation (the mapper retries with spaces), or a
    double-quoted string with an unescaped quote inside (metadata ignored)."""
    if card.rng_value < 0.5:
        return f"inference:\n\tparameters:\n\t\ttemperature: 0.{int(card.rng_value * 9) + 1}\n"
    return f'widget:\n- text: "The "{word(int(card.rng_value * 999))}" example"\n'


# -- bodies ------------------------------------------------------------------------------------

_ADJECTIVES = ("compact", "small", "multilingual", "domain-specific", "experimental", "distilled")
_VERBS = ("classifies", "tags", "transcribes", "summarises", "translates", "scores", "labels")
_NOUNS = ("short texts", "support tickets", "product reviews", "news items", "recordings")
_FILLER = (
    "Results may not carry over to other domains without further tuning.",
    "The checkpoint is shared for research and quick experiments.",
    "Evaluation numbers come from a single run with the seed below.",
    "Inputs longer than the training length are truncated.",
    "No additional filtering of the data was done.",
    "Please open a discussion if the outputs look wrong.",
    "Use it as a starting point rather than a finished product.",
)


def _sentence(rng: random.Random) -> str:
    return f"A {choose(rng, _ADJECTIVES)} model that {choose(rng, _VERBS)} {choose(rng, _NOUNS)}."


def _body(card: CardContext) -> str:
    body = {
        "rl": _rl_body,
        "diffusion": _diffusion_body,
        "lm": _lm_body,
        "trainer": _trainer_body,
        "plain": _plain_body,
    }[card.archetype](card)
    if card.html:
        body = _html(card) + body
    if "script" in card.dirt:
        body += '\n<script src="https://example.invalid/track.js"></script>\n'
    return body


def _link(repo_id: str) -> str:
    return f"[{repo_id}]({HUB}{repo_id})"


def _html(card: CardContext) -> str:
    if card.rng_value < 0.5:
        image = f"{HUB}{card.repo_id}/resolve/main/banner.png"
        return f'<p align="center">\n  <img src="{image}" width="400"/>\n</p>\n\n'
    return "<details>\n<summary>Changelog</summary>\n\nFirst public version.\n</details>\n\n"


def _trainer_body(card: CardContext) -> str:
    rng = card.rng
    out = ["<!-- drafted by the training script from what it knew; edit before sharing -->\n\n"]
    out.append(f"# {card.name}\n\n")
    if card.parents:
        data = card.datasets[0] if card.datasets else "an unnamed"
        base = _link(card.parents[0])
        out.append(f"This model is a fine-tuned version of {base} on the {data} dataset.\n")
    if card.results:
        out.append("Scores on the evaluation split:\n- Loss: " + fmt(0.05 + rng.random(), 4) + "\n")
        out += [f"- {P.METRIC_NAMES.get(m, m)}: {v}\n" for m, v in card.results[0].metrics]
    out.append(f"\n## About the model\n\n{_sentence(rng)} {choose(rng, _FILLER)}\n\n")
    out.append(f"## Uses and limits\n\n{choose(rng, _FILLER)}\n\n")
    out.append(f"## Data\n\n{choose(rng, _FILLER)}\n\n## Training\n\n")
    if card.hyperparameters:
        out.append("### Training hyperparameters\n\n")
        out.append("The following hyperparameters were used during training:\n")
        out += [f"- {name}: {value}\n" for name, value in card.hyperparameters]
        if not card.keras and rng.random() < P.TRAINING_RESULTS_TABLE:
            out.append(_results_table(card, rng))
        if card.framework_versions:
            out.append("\n### Framework versions\n\n")
            out += [f"- {name} {v}\n" for name, v in card.framework_versions.items()]
    return "".join(out)


def _results_table(card: CardContext, rng: random.Random) -> str:
    metrics = [m for m, _ in card.results[0].metrics] if card.results else []
    head = ["Training Loss", "Epoch", "Step", "Validation Loss"]
    head += [P.METRIC_NAMES.get(m, m) for m in metrics]
    rows = [
        "\n### Training results\n\n",
        "| " + " | ".join(head) + " |\n",
        "|" + "|".join(":---:" for _ in head) + "|\n",
    ]
    loss = 0.4 + rng.random()
    epochs = 1 + int(rng.random() * 5)
    steps = 50 * (1 + int(rng.random() * 40))
    for epoch in range(1, epochs + 1):
        loss *= 0.6 + 0.3 * rng.random()
        cells = [fmt(loss), f"{epoch}.0", str(steps * epoch), fmt(loss * 1.1)]
        cells += [fmt(rng.random()) for _ in metrics]
        rows.append("| " + " | ".join(cells) + " |\n")
    return "".join(rows)


def _rl_body(card: CardContext) -> str:
    env, algo = card.environment[0], card.algorithm.upper()
    return (
        f"# **{algo}** agent for **{env}**\n\n"
        f"A {algo} agent trained on the {env} environment with the {card.library} library.\n\n"
        f"## Usage\n\n```python\n# load {card.repo_id} and run a few episodes\n```\n"
    )


def _diffusion_body(card: CardContext) -> str:
    rng = card.rng
    token = word(int(rng.random() * 1024), syllables=1)
    out = [f"# {card.name}\n\n"]
    if card.parents:
        out.append(f"Trained from {_link(card.parents[0])} on a small set of images.\n\n")
    out.append(
        f"Prompt with `a photo of {token} {choose(rng, ('dog', 'cat', 'style', 'person'))}`.\n\n"
    )
    for n in range(1 + int(rng.random() * 3)):
        out.append(f"![sample {n}]({HUB}{card.repo_id}/resolve/main/sample_{n}.png)\n")
    return "".join(out)


def _lm_body(card: CardContext) -> str:
    rng = card.rng
    base = _link(card.parents[0]) if card.parents else "a base model"
    if card.relation == "quantized":
        rows = "".join(
            f"| {card.name}.{q}.gguf | {b} | {s:.1f} GB |\n"
            for q, b, s in (("Q4_K_M", 4, 4.1), ("Q5_K_M", 5, 4.8), ("Q8_0", 8, 7.2))
        )
        table = f"| File | Bits | Size |\n|---|---|---|\n{rows}"
        return f"# {card.name}\n\nQuantized files of {base}.\n\n{table}"
    if card.relation == "merge":
        listed = "".join(f"* {_link(p)}\n" for p in card.parents)
        config = "".join(f"  - model: {p}\n" for p in card.parents)
        return (
            f"# {card.name}\n\nA merge of these models:\n\n{listed}\n"
            f"```yaml\nmerge_method: slerp\nmodels:\n{config}dtype: bfloat16\n```\n"
        )
    version = choose(rng, ("0.7.1", "0.8.2", "0.10.0", "0.12.0"))
    versions = f"### Framework versions\n\n- PEFT {version}\n"
    return f"# {card.name}\n\nA LoRA adapter for {base}.\n\n{versions}"


def _plain_body(card: CardContext) -> str:
    rng = card.rng
    out = [f"# {card.name}\n\n", _sentence(rng), " ", choose(rng, _FILLER), "\n\n"]
    if card.parents:
        out.append(f"Based on {_link(card.parents[0])}.\n\n")
    if card.results:
        out.append("## Evaluation\n\n| Metric | Value |\n|---|---|\n")
        out += [f"| {m} | {v} |\n" for m, v in card.results[0].metrics]
        out.append("\n")
    out.append(f"## How to use\n\n```python\n# load {card.repo_id} with {card.library}\n```\n")
    return "".join(out)


def _huge_appendix(rng: random.Random) -> str:
    """A long generated results section (real huge cards are benchmark dumps)."""
    size = HUGE_CHARS[0] + int(rng.random() * (HUGE_CHARS[1] - HUGE_CHARS[0]))
    row = "| {} | {} | {} |\n"
    lines = ["\n## Full benchmark results\n\n| Task | Split | Score |\n|---|---|---|\n"]
    total = len(lines[0])
    n = 0
    while total < size:
        line = row.format(f"task-{n:06d}", "test", fmt(rng.random()))
        lines.append(line)
        total += len(line)
        n += 1
    return "".join(lines)


# -- dataset cards -----------------------------------------------------------------------------


def render_dataset_card(
    rng: random.Random,
    repo_id: str,
    task: str,
    size: str,
    languages: list[str],
    licence: str | None,
    topic: str,
) -> bytes:
    """A dataset repository's README.md: categories, splits (``dataset_info`` or ``configs``)."""
    pretty = repo_id.split("/", 1)[1].rsplit("-", 1)[0].replace("-", " ").title()
    lines = ["---\n"]
    if licence:
        lines.append(f"license: {licence}\n")
    lines.append(f"task_categories:\n- {task}\n")
    if languages:
        lines.append("language:\n" + "".join(f"- {code}\n" for code in languages))
    lines.append(f"size_categories:\n- {size}\npretty_name: {pretty}\n")
    splits = ("train", "test") if rng.random() < 0.6 else ("train", "validation", "test")
    if rng.random() < 0.3:
        lines.append("dataset_info:\n  features:\n  - name: text\n    dtype: string\n  splits:\n")
        for split in splits:
            count = int(10 ** (2 + 4 * rng.random()))
            lines.append(f"  - name: {split}\n    num_examples: {count}\n")
    elif rng.random() < 0.5:
        lines.append("configs:\n- config_name: default\n  data_files:\n")
        lines += [f"  - split: {s}\n    path: data/{s}-*\n" for s in splits]
    lines.append("---\n\n")
    lines.append(f"# Dataset card for {pretty}\n\n")
    lines.append(f"A collection of {topic} gathered for {task.replace('-', ' ')}. ")
    lines.append(f"{choose(rng, _FILLER)}\n\n## Structure\n\n")
    lines.append(f"Splits: {', '.join(splits)}.\n")
    return "".join(lines).encode()
