"""The measured distributions of the synthetic Hugging Face zoo.

Every number here was measured on the real snapshots in ``../shared/zoo-snapshots`` (see the
docstring of :mod:`mlkg.generate` for how, and for the few that are assumptions). Only numbers and
identifiers are kept: task, library, licence, metric and dataset *ids* as the Hub spells them;
no text of any card. Tables are ``(value, weight)`` pairs; weights need not sum to 1. TF Hub's
distributions are in :mod:`mlkg._generate_tfhub_profile`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlkg._generate_common import Table

# -- Hugging Face: tasks -------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskProfile:
    """One ``pipeline_tag``: its share of models and what its cards carry (probabilities)."""

    name: str
    share: float
    family: str
    results: float  # model-index with at least one result
    hyperparameters: float  # a "Training hyperparameters" list
    derived: float  # names a base model
    licence: float
    datasets: float  # a ``datasets:`` list
    language: float


#: pipeline_tag, share, lineage family, P(results), P(hyperparameters), P(derived), P(licence),
#: P(datasets), P(language). Shares: cs577 corpus, strata re-weighted to the 25,109-card
#: population; cards whose task could not be read were spread over the non-RL tasks.
#: Conditionals: the same corpus per task. The unreadable-task cards are mostly Trainer cards, so
#: their hyperparameter lists went to the tasks the Trainer writes cards for (×1.235; overall
#: 21.2 % as measured). ``derived`` for text-to-image, conversational and sentence-similarity is
#: an assumption (their cards carry no machine-readable base model).
TASKS: tuple[TaskProfile, ...] = tuple(
    TaskProfile(*row)
    for row in (
        ("reinforcement-learning", 0.3623, "rl", 0.904, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("translation", 0.0962, "seq2seq", 0.064, 0.33, 0.245, 0.826, 0.165, 0.345),
        ("text-to-image", 0.0932, "diffusion", 0.0, 0.02, 0.6, 0.835, 0.135, 0.256),
        ("token-classification", 0.0721, "text", 0.397, 0.59, 0.457, 0.719, 0.495, 0.444),
        ("conversational", 0.0619, "lm", 0.0, 0.05, 0.5, 0.275, 0.094, 0.119),
        ("text-classification", 0.0569, "text", 0.406, 0.722, 0.564, 0.673, 0.612, 0.38),
        ("image-classification", 0.0533, "vision", 0.154, 0.357, 0.272, 0.514, 0.365, 0.14),
        (
            "automatic-speech-recognition",
            0.0464,
            "speech",
            0.399,
            0.604,
            0.455,
            0.784,
            0.613,
            0.641,
        ),
        (
            "unconditional-image-generation",
            0.0273,
            "diffusion",
            0.0,
            0.02,
            0.2,
            0.841,
            0.111,
            0.097,
        ),
        ("summarization", 0.0202, "seq2seq", 0.077, 0.396, 0.305, 0.471, 0.41, 0.361),
        ("sentence-similarity", 0.0178, "text", 0.0, 0.295, 0.3, 0.279, 0.119, 0.124),
        ("text2text-generation", 0.0142, "seq2seq", 0.445, 0.813, 0.638, 0.781, 0.589, 0.324),
        ("text-generation", 0.0137, "lm", 0.109, 0.4, 0.5, 0.645, 0.306, 0.492),
        ("text-to-speech", 0.0113, "speech", 0.0, 0.1, 0.197, 0.779, 0.637, 0.693),
        ("audio-to-audio", 0.0107, "speech", 0.0, 0.1, 0.197, 0.808, 0.484, 0.343),
        ("question-answering", 0.008, "text", 0.092, 0.308, 0.227, 0.568, 0.632, 0.665),
        ("object-detection", 0.0054, "vision", 0.344, 0.283, 0.212, 0.514, 0.608, 0.179),
        ("fill-mask", 0.0049, "text", 0.106, 0.394, 0.27, 0.703, 0.323, 0.612),
        ("tabular-classification", 0.0049, "tabular", 0.093, 0.0, 0.0, 0.527, 0.316, 0.097),
        ("zero-shot-classification", 0.0045, "text", 0.101, 0.398, 0.305, 0.658, 0.6, 0.601),
        ("image-to-text", 0.0031, "vision", 0.0, 0.264, 0.197, 0.713, 0.383, 0.674),
        ("tabular-regression", 0.0025, "tabular", 0.177, 0.0, 0.0, 0.605, 0.522, 0.097),
        ("image-to-image", 0.0023, "diffusion", 0.0, 0.1, 0.197, 0.857, 0.697, 0.292),
        ("audio-classification", 0.0022, "speech", 0.0, 0.513, 0.398, 0.656, 0.496, 0.298),
        ("feature-extraction", 0.0022, "text", 0.0, 0.264, 0.197, 0.656, 0.295, 0.298),
        ("robotics", 0.0007, "rl", 0.0, 0.0, 0.0, 0.857, 0.094, 0.097),
        ("video-classification", 0.0007, "vision", 0.0, 0.264, 0.197, 0.857, 0.094, 0.097),
        ("table-question-answering", 0.0007, "text", 0.0, 0.264, 0.197, 0.857, 0.697, 0.7),
        ("image-segmentation", 0.0002, "vision", 0.0, 0.264, 0.197, 0.857, 0.295, 0.097),
        ("visual-question-answering", 0.0001, "vision", 0.0, 0.264, 0.197, 0.857, 0.094, 0.097),
        ("document-question-answering", 0.0001, "vision", 0.605, 0.95, 0.8, 0.254, 0.094, 0.097),
    )
)
TASK_BY_NAME = {task.name: task for task in TASKS}

#: Relation of a derived model to its base, per family. Not measurable in the snapshots (the
#: cs577 cards predate ``base_model``; the 42 full API responses carry 6 explicit ``finetune``
#: tags and 7 bare ones): an assumption shaped on today's Hub (quantized GGUF/GPTQ copies and
#: mergekit merges are language models; LoRA adapters are language and diffusion models).
RELATIONS: dict[str, Table[str]] = {
    "text": Table([("finetune", 0.93), ("adapter", 0.05), ("quantized", 0.02)]),
    "seq2seq": Table([("finetune", 0.97), ("adapter", 0.03)]),
    "lm": Table([("finetune", 0.5), ("adapter", 0.2), ("quantized", 0.2), ("merge", 0.1)]),
    "speech": Table([("finetune", 0.95), ("adapter", 0.05)]),
    "vision": Table([("finetune", 0.95), ("adapter", 0.05)]),
    "diffusion": Table([("finetune", 0.45), ("adapter", 0.45), ("merge", 0.1)]),
}
#: Derived models that may build on another derived model (chains): about 4.5 % of derived
#: models then have depth 2 or more, as ~5 % of cs577's derived cards name a base that is itself
#: a fine-tune ("...-finetuned-sst2"). Depth is capped at 4.
CHAIN_SHARE = 0.12
MAX_DEPTH = 4
#: Most derived models build on one of a few famous roots of their family (Zipf over the
#: family's oldest roots, one famous root per MODELS_PER_FAMOUS models); the rest pick by age.
FAMOUS_SHARE = 0.9
FAMOUS_EXPONENT = 1.3
MODELS_PER_FAMOUS = 1000
#: The rest pick ``j = floor(i * u ** FANOUT_POWER)`` for model ``i``: older models collect
#: more children. With the famous roots above this gives, at the corpus's 25,000 models, a top
#: base with 10 % of the derived models, top 10 bases 56 %, top 100 85 % (cs577: 17 %, 50 %,
#: 88 %); at 200,000 models 6 %, 35 %, 77 %.
FANOUT_POWER = 2.6
#: A legacy Trainer card names its base only in the sentence "fine-tuned version of [X](...)"
#: (every derived card of the 2023 corpus); the rest also declare ``base_model`` (today's Hub).
LEGACY_LINEAGE = 0.3

# -- Hugging Face: libraries, model types, sizes -------------------------------------------------

_TRANSFORMERS = (("transformers", 1.0),)
#: library_name by task: card ``library_name``/tags in the cs577 corpus, cards without a library
#: (mostly transformers Trainer and Helsinki-NLP cards) given to transformers.
LIBRARIES: dict[str, Table[str]] = {
    task: Table(rows)
    for task, rows in {
        "reinforcement-learning": (
            ("stable-baselines3", 0.77),
            ("ml-agents", 0.157),
            ("sample-factory", 0.053),
            ("cleanrl", 0.018),
        ),
        "translation": (("transformers", 0.96), ("fairseq", 0.02), ("opennmt", 0.02)),
        "text-to-image": (("diffusers", 0.99), ("keras", 0.01)),
        "token-classification": (
            ("transformers", 0.57),
            ("spacy", 0.245),
            ("flair", 0.107),
            ("stanza", 0.058),
            ("adapter-transformers", 0.02),
        ),
        "text-classification": (
            ("transformers", 0.91),
            ("adapter-transformers", 0.046),
            ("spacy", 0.03),
            ("generic", 0.014),
        ),
        "image-classification": (
            ("timm", 0.57),
            ("transformers", 0.36),
            ("keras", 0.05),
            ("fastai", 0.02),
        ),
        "automatic-speech-recognition": (
            ("transformers", 0.56),
            ("espnet", 0.2),
            ("nemo", 0.17),
            ("speechbrain", 0.05),
            ("k2", 0.02),
        ),
        "unconditional-image-generation": (("diffusers", 0.97), ("keras", 0.03)),
        "sentence-similarity": (("sentence-transformers", 0.96), ("keras", 0.04)),
        "text2text-generation": (("transformers", 0.93), ("generic", 0.07)),
        "text-generation": (("transformers", 0.85), ("peft", 0.05), ("fastai", 0.05)),
        "text-to-speech": (
            ("espnet", 0.49),
            ("speechbrain", 0.14),
            ("tensorflowtts", 0.14),
            ("fairseq", 0.14),
            ("txtai", 0.07),
        ),
        "audio-to-audio": (
            ("fairseq", 0.37),
            ("espnet", 0.35),
            ("asteroid", 0.21),
            ("speechbrain", 0.07),
        ),
        "question-answering": (("transformers", 0.63), ("adapter-transformers", 0.37)),
        "object-detection": (
            ("yolov5", 0.45),
            ("transformers", 0.3),
            ("ultralytics", 0.15),
            ("yolor", 0.1),
        ),
        "tabular-classification": (("sklearn", 0.7), ("keras", 0.15), ("mlconsole", 0.15)),
        "tabular-regression": (("sklearn", 0.6), ("keras", 0.25), ("mlconsole", 0.15)),
        "image-to-text": (("transformers", 0.76), ("espnet", 0.24)),
        "image-to-image": (("keras", 0.65), ("diffusers", 0.35)),
        "audio-classification": (("transformers", 0.66), ("speechbrain", 0.34)),
        "feature-extraction": (("sentence-transformers", 0.67), ("transformers", 0.33)),
        "robotics": (("generic", 1.0),),
    }.items()
}
DEFAULT_LIBRARY = Table(_TRANSFORMERS)

#: config.json ``model_type`` (the architecture family), by lineage family; sizes in parameters.
MODEL_TYPES: dict[str, Table[str]] = {
    "text": Table(
        [
            ("bert", 0.35),
            ("roberta", 0.2),
            ("distilbert", 0.2),
            ("xlm-roberta", 0.12),
            ("deberta-v2", 0.08),
            ("electra", 0.05),
        ]
    ),
    "seq2seq": Table(
        [("marian", 0.5), ("t5", 0.25), ("bart", 0.12), ("mt5", 0.1), ("pegasus", 0.03)]
    ),
    "lm": Table(
        [("gpt2", 0.45), ("llama", 0.25), ("mistral", 0.12), ("gpt_neox", 0.1), ("qwen2", 0.08)]
    ),
    "speech": Table([("wav2vec2", 0.6), ("whisper", 0.3), ("hubert", 0.1)]),
    "vision": Table(
        [("vit", 0.45), ("convnext", 0.15), ("swin", 0.15), ("resnet", 0.15), ("detr", 0.1)]
    ),
}
ARCHITECTURE_PREFIX = {
    "bert": "Bert",
    "roberta": "Roberta",
    "distilbert": "DistilBert",
    "xlm-roberta": "XLMRoberta",
    "deberta-v2": "DebertaV2",
    "electra": "Electra",
    "marian": "Marian",
    "t5": "T5",
    "bart": "Bart",
    "mt5": "MT5",
    "pegasus": "Pegasus",
    "gpt2": "GPT2",
    "llama": "Llama",
    "mistral": "Mistral",
    "gpt_neox": "GPTNeoX",
    "qwen2": "Qwen2",
    "wav2vec2": "Wav2Vec2",
    "whisper": "Whisper",
    "hubert": "Hubert",
    "vit": "ViT",
    "convnext": "ConvNext",
    "swin": "Swin",
    "resnet": "ResNet",
    "detr": "Detr",
}
#: The head an architecture class names, by task ("BertForSequenceClassification").
HEADS = {
    "text-classification": "ForSequenceClassification",
    "zero-shot-classification": "ForSequenceClassification",
    "token-classification": "ForTokenClassification",
    "question-answering": "ForQuestionAnswering",
    "fill-mask": "ForMaskedLM",
    "translation": "ForConditionalGeneration",
    "summarization": "ForConditionalGeneration",
    "text2text-generation": "ForConditionalGeneration",
    "text-generation": "ForCausalLM",
    "conversational": "ForCausalLM",
    "automatic-speech-recognition": "ForCTC",
    "audio-classification": "ForSequenceClassification",
    "image-classification": "ForImageClassification",
    "object-detection": "ForObjectDetection",
}
#: Parameter counts (log-uniform between the bounds), by family: the usual sizes of each kind.
PARAMETERS = {
    "text": (4e6, 5.6e8),
    "seq2seq": (6e7, 1.2e9),
    "lm": (1.2e8, 7.0e10),
    "speech": (3e7, 1.6e9),
    "vision": (5e6, 6.3e8),
    "diffusion": (8e8, 3.5e9),
}
#: API responses with a ``safetensors`` block: 22 of 42 full responses in api-responses/.
SAFETENSORS_SHARE = 0.52
#: ``gated`` other than false: 8 of 42 full API responses (all popular, so this is an upper
#: bound); 2 % is used.
GATED_SHARE = 0.02

# -- Hugging Face: licences, languages ------------------------------------------------------------

#: Licence ids of cards that declare one (cs577; diffusion cards separately).
LICENCES = Table(
    [
        ("apache-2.0", 0.6646),
        ("mit", 0.1555),
        ("cc-by-4.0", 0.0679),
        ("cc-by-sa-4.0", 0.0241),
        ("cc-by-nc-4.0", 0.0147),
        ("other", 0.0123),
        ("cc-by-nc-sa-4.0", 0.0102),
        ("afl-3.0", 0.0099),
        ("gpl-3.0", 0.008),
        ("bsd-3-clause", 0.0067),
        ("openrail", 0.0062),
        ("cc0-1.0", 0.0028),
        ("agpl-3.0", 0.0027),
        ("unlicense", 0.0026),
        ("wtfpl", 0.0025),
        ("unknown", 0.0025),
    ]
)
DIFFUSION_LICENCES = Table(
    [
        ("creativeml-openrail-m", 0.6304),
        ("mit", 0.2365),
        ("openrail", 0.0316),
        ("apache-2.0", 0.0248),
        ("bigscience-bloom-rail-1.0", 0.0248),
        ("other", 0.0192),
        ("unknown", 0.0124),
        ("openrail++", 0.0079),
        ("cc-by-nc-sa-4.0", 0.0062),
        ("lgpl-3.0", 0.0062),
    ]
)
#: ``license: other`` cards that also give ``license_name``/``license_link``: an assumption
#: (hacktoberfest model_license_other.csv lists 349 such cards needing both).
OTHER_LICENCE_NAMED = 0.5

#: Language codes as written in cards (cs577), and how many a card lists.
LANGUAGES = Table(
    [
        ("en", 0.3293),
        ("es", 0.0266),
        ("zh", 0.0264),
        ("de", 0.0251),
        ("unk", 0.0248),
        ("fr", 0.0241),
        ("uk", 0.0231),
        ("vi", 0.02),
        ("multilingual", 0.0194),
        ("ja", 0.0183),
        ("nl", 0.0181),
        ("ar", 0.0175),
        ("ru", 0.0171),
        ("ro", 0.0166),
        ("it", 0.0146),
        ("pt", 0.0128),
        ("hu", 0.0118),
        ("hi", 0.0113),
        ("el", 0.0109),
        ("pl", 0.0101),
        ("bg", 0.0101),
        ("da", 0.0101),
        ("ca", 0.0092),
        ("fa", 0.0086),
        ("sv", 0.0073),
        ("fi", 0.0067),
        ("nb", 0.0064),
        ("tr", 0.0063),
        ("ur", 0.0058),
    ]
)
LANGUAGE_COUNT = Table([(1, 0.853), (2, 0.113), (3, 0.006), (4, 0.011), (8, 0.004), (11, 0.007)])
DATASET_COUNT = Table([(1, 0.905), (2, 0.061), (3, 0.017), (4, 0.005), (5, 0.007)])

# -- Hugging Face: datasets ------------------------------------------------------------------------

#: ``datasets:`` ids by task (cs577, weights within the task). ``None`` stands for a Hub dataset
#: repository of the synthetic zoo (the namespaced long tail: 26.5 % of all mentions).
TRAINING_DATASETS: dict[str, Table[str | None]] = {
    task: Table(rows)
    for task, rows in {
        "text-classification": (
            ("glue", 0.184),
            ("emotion", 0.118),
            ("imdb", 0.09),
            ("tweet_eval", 0.049),
            ("clinc_oos", 0.024),
            ("anli", 0.023),
            ("sst2", 0.012),
            ("amazon_reviews_multi", 0.01),
            (None, 0.22),
        ),
        "token-classification": (
            ("conll2003", 0.17),
            ("xtreme", 0.155),
            ("universal_dependencies", 0.095),
            ("ontonotes", 0.028),
            ("wikiann", 0.02),
            ("wnut_17", 0.01),
            (None, 0.1),
        ),
        "automatic-speech-recognition": (
            ("mozilla-foundation/common_voice_11_0", 0.25),
            ("mozilla-foundation/common_voice_8_0", 0.12),
            ("common_voice", 0.1),
            ("librispeech_asr", 0.08),
            ("mozilla-foundation/common_voice_7_0", 0.05),
            ("mozilla-foundation/common_voice_10_0", 0.07),
            ("google/fleurs", 0.05),
            ("facebook/multilingual_librispeech", 0.04),
            ("tedlium2", 0.03),
            (None, 0.21),
        ),
        "translation": (
            ("wmt16", 0.45),
            ("kde4", 0.08),
            ("iwslt2017", 0.07),
            ("open_subtitles", 0.07),
            ("opus_books", 0.05),
            ("tatoeba", 0.05),
            (None, 0.14),
        ),
        "summarization": (
            ("mlsum", 0.15),
            ("cnn_dailymail", 0.15),
            ("xsum", 0.1),
            ("samsum", 0.1),
            ("xlsum", 0.07),
            ("billsum", 0.05),
            (None, 0.38),
        ),
        "text2text-generation": (
            ("samsum", 0.093),
            ("xsum", 0.072),
            ("kde4", 0.072),
            ("wikihow", 0.062),
            ("cnn_dailymail", 0.057),
            ("wmt16", 0.057),
            ("billsum", 0.031),
            (None, 0.22),
        ),
        "image-classification": (
            ("imagenet-1k", 0.32),
            ("imagefolder", 0.14),
            ("imagenet-21k", 0.068),
            ("beans", 0.043),
            ("cifar10", 0.012),
            ("cifar100", 0.009),
            ("food101", 0.009),
            ("fashion_mnist", 0.008),
            (None, 0.28),
        ),
        "text-generation": (("the_pile", 0.28), ("openwebtext", 0.05), (None, 0.67)),
        "conversational": ((None, 1.0),),
        "question-answering": (
            ("squad", 0.45),
            ("squad_v2", 0.15),
            ("hotpot_qa", 0.2),
            ("quoref", 0.1),
            ("subjqa", 0.03),
            (None, 0.03),
        ),
        "zero-shot-classification": (
            ("multi_nli", 0.17),
            ("anli", 0.16),
            ("fever", 0.16),
            ("xnli", 0.06),
            ("snli", 0.06),
            (None, 0.22),
        ),
        "fill-mask": (("wikipedia", 0.45), ("bookcorpus", 0.25), ("oscar", 0.15), ("cc100", 0.15)),
        "object-detection": (("coco", 0.33), (None, 0.64)),
        "text-to-speech": (
            ("ljspeech", 0.23),
            ("libritts", 0.14),
            ("vctk", 0.07),
            ("common_voice", 0.075),
            ("jsut", 0.07),
            ("csmsc", 0.07),
            (None, 0.01),
        ),
        "audio-to-audio": (("librimix", 0.3), ("wsj0_2mix", 0.25), ("chime4", 0.15)),
    }.items()
}
DEFAULT_TRAINING_DATASETS: Table[str | None] = Table([(None, 1.0)])
#: Popularity of the synthetic zoo's own dataset repositories when a card names one (Zipf).
DATASET_REPO_EXPONENT = 1.05

#: Results without a dataset (the mapper drops them with a warning), by task: cs577 model-index
#: results whose ``dataset`` is missing (spaCy and image-folder cards).
RESULTS_WITHOUT_DATASET = {"token-classification": 0.5, "image-classification": 0.45}
RESULTS_WITHOUT_DATASET_DEFAULT = 0.03
#: Results per model-index block (cs577): most cards report one evaluation.
RESULT_COUNT = Table([(1, 0.85), (2, 0.07), (3, 0.04), (4, 0.015), (6, 0.015), (8, 0.01)])
SPLITS = Table([("test", 0.5), ("validation", 0.35), ("train", 0.12), ("dev", 0.03)])

# -- Hugging Face: metrics and values ------------------------------------------------------------

#: Metric sets a result reports, by task (cs577 model-index metric types, grouped as cards list
#: them: a Trainer token classifier reports precision, recall, f1 and accuracy together).
METRIC_SETS: dict[str, Table[tuple[str, ...]]] = {
    task: Table(rows)
    for task, rows in {
        "text-classification": (
            (("accuracy",), 0.45),
            (("accuracy", "f1"), 0.35),
            (("accuracy", "f1", "precision", "recall"), 0.15),
            (("matthews_correlation",), 0.05),
        ),
        "token-classification": (
            (("precision", "recall", "f1", "accuracy"), 0.7),
            (("precision", "recall", "f_score"), 0.3),
        ),
        "automatic-speech-recognition": ((("wer",), 0.65), (("wer", "cer"), 0.35)),
        "translation": ((("bleu",), 0.75), (("bleu", "chrf"), 0.25)),
        "summarization": ((("rouge1", "rouge2", "rougeL", "rougeLsum"), 0.7), (("rouge",), 0.3)),
        "text2text-generation": (
            (("rouge",), 0.45),
            (("bleu",), 0.25),
            (("sacrebleu",), 0.1),
            (("rouge1", "rouge2", "rougeL"), 0.2),
        ),
        "image-classification": (
            (("accuracy",), 0.75),
            (("accuracy", "f1", "precision", "recall"), 0.25),
        ),
        "object-detection": ((("precision",), 0.9), (("f1",), 0.1)),
        "question-answering": ((("exact_match", "f1"), 0.9), (("accuracy",), 0.1)),
        "reinforcement-learning": ((("mean_reward",), 1.0),),
        "tabular-classification": ((("accuracy", "loss"), 1.0),),
        "tabular-regression": ((("mae", "loss"), 1.0),),
        "text-generation": ((("accuracy",), 0.6), (("perplexity",), 0.4)),
    }.items()
}
DEFAULT_METRIC_SET: Table[tuple[str, ...]] = Table([(("accuracy",), 1.0)])
METRIC_NAMES = {
    "accuracy": "Accuracy",
    "f1": "F1",
    "precision": "Precision",
    "recall": "Recall",
    "f_score": "F Score",
    "matthews_correlation": "Matthews Correlation",
    "wer": "Wer",
    "cer": "Cer",
    "bleu": "Bleu",
    "chrf": "Chrf",
    "sacrebleu": "Sacrebleu",
    "rouge": "Rouge",
    "rouge1": "Rouge1",
    "rouge2": "Rouge2",
    "rougeL": "Rougel",
    "rougeLsum": "Rougelsum",
    "exact_match": "Exact Match",
    "mean_reward": "mean_reward",
    "loss": "Loss",
    "mae": "Mae",
    "perplexity": "Perplexity",
}

#: Reinforcement-learning environments (the model-index ``dataset`` of RL cards, cs577 shares)
#: with the range of their mean reward and of its spread.
RL_ENVIRONMENTS: tuple[tuple[str, float, float, float, float, float], ...] = (
    # env id, weight, mean low, mean high, spread low, spread high
    ("LunarLander-v2", 0.32, 150.0, 300.0, 5.0, 40.0),
    ("FrozenLake-v1-4x4-no_slippery", 0.138, 1.0, 1.0, 0.0, 0.0),
    ("Taxi-v3", 0.136, 7.4, 7.6, 2.5, 2.8),
    ("SpaceInvadersNoFrameskip-v4", 0.073, 250.0, 1500.0, 100.0, 600.0),
    ("CartPole-v1", 0.065, 200.0, 500.0, 0.0, 40.0),
    ("Pixelcopter-PLE-v0", 0.049, 5.0, 60.0, 5.0, 30.0),
    ("AntBulletEnv-v0", 0.03, 800.0, 3000.0, 50.0, 300.0),
    ("FrozenLake-v1-4x4", 0.022, 0.6, 0.8, 0.4, 0.5),
    ("PandaReachDense-v2", 0.02, -3.0, -0.4, 0.1, 1.0),
    ("FrozenLake-v1-8x8", 0.011, 0.4, 1.0, 0.0, 0.5),
    ("Huggy", 0.06, 0.0, 0.0, 0.0, 0.0),
    ("SnowballTarget", 0.04, 5.0, 25.0, 1.0, 5.0),
    ("Pyramids", 0.036, 0.5, 1.8, 0.1, 0.8),
)
RL_ALGORITHMS = Table(
    [("ppo", 0.62), ("dqn", 0.14), ("q", 0.14), ("a2c", 0.06), ("reinforce", 0.04)]
)

# -- Hugging Face: hyperparameters ----------------------------------------------------------------

#: The Trainer's hyperparameter list (cs577, 5,311 weighted cards with one): how often each
#: key appears, and its values.
HYPERPARAMETERS: tuple[tuple[str, float, Table[str]], ...] = (
    (
        "learning_rate",
        0.903,
        Table(
            [
                ("2e-05", 0.442),
                ("5e-05", 0.184),
                ("1e-05", 0.111),
                ("0.0001", 0.048),
                ("0.0003", 0.047),
                ("3e-05", 0.038),
                ("0.0002", 0.014),
                ("7.5e-05", 0.011),
                ("4e-05", 0.04),
                ("3e-04", 0.02),
                ("1e-04", 0.02),
                ("6e-05", 0.025),
            ]
        ),
    ),
    (
        "train_batch_size",
        0.901,
        Table(
            [
                ("16", 0.282),
                ("8", 0.198),
                ("32", 0.147),
                ("4", 0.107),
                ("64", 0.09),
                ("2", 0.041),
                ("24", 0.039),
                ("1", 0.037),
                ("12", 0.03),
                ("128", 0.029),
            ]
        ),
    ),
    (
        "eval_batch_size",
        0.901,
        Table(
            [
                ("8", 0.361),
                ("16", 0.206),
                ("32", 0.115),
                ("64", 0.089),
                ("4", 0.079),
                ("24", 0.039),
                ("2", 0.034),
                ("1", 0.031),
                ("128", 0.046),
            ]
        ),
    ),
    (
        "seed",
        0.899,
        Table([("42", 0.949), ("43", 0.016), ("0", 0.007), ("1234", 0.014), ("2022", 0.014)]),
    ),
    (
        "gradient_accumulation_steps",
        0.141,
        Table(
            [("2", 0.421), ("4", 0.309), ("8", 0.111), ("16", 0.099), ("32", 0.032), ("1", 0.028)]
        ),
    ),
    ("optimizer", 0.982, Table([("adam", 1.0)])),  # rendered by the card writer
    (
        "lr_scheduler_type",
        0.9,
        Table(
            [
                ("linear", 0.973),
                ("constant", 0.013),
                ("cosine", 0.012),
                ("cosine_with_restarts", 0.002),
            ]
        ),
    ),
    (
        "lr_scheduler_warmup_steps",
        0.209,
        Table(
            [
                ("500", 0.508),
                ("1000", 0.164),
                ("2000", 0.116),
                ("100", 0.071),
                ("200", 0.032),
                ("50", 0.025),
                ("250", 0.024),
                ("100.0", 0.01),
                ("300", 0.05),
            ]
        ),
    ),
    (
        "lr_scheduler_warmup_ratio",
        0.041,
        Table([("0.1", 0.73), ("0.06", 0.111), ("0.2", 0.103), ("0.05", 0.056)]),
    ),
    (
        "num_epochs",
        0.825,
        Table(
            [
                ("3", 0.196),
                ("5", 0.14),
                ("2", 0.095),
                ("3.0", 0.094),
                ("10", 0.071),
                ("1", 0.07),
                ("30", 0.056),
                ("4", 0.044),
                ("20", 0.05),
                ("8", 0.04),
                ("15", 0.03),
                ("50", 0.03),
                ("100", 0.02),
                ("6", 0.03),
                ("40", 0.02),
            ]
        ),
    ),
    (
        "training_steps",
        0.075,
        Table(
            [
                ("4000", 0.285),
                ("5000", 0.112),
                ("1000", 0.082),
                ("10000", 0.06),
                ("20000", 0.038),
                ("500", 0.1),
            ]
        ),
    ),
    (
        "mixed_precision_training",
        0.306,
        Table([("Native AMP", 0.991), ("Apex, opt level O1", 0.009)]),
    ),
    (
        "distributed_type",
        0.018,
        Table([("multi-GPU", 0.777), ("tpu", 0.128), ("not_parallel", 0.074)]),
    ),
)
#: The optimizer line: the Trainer's Adam form (90.4 %), a Keras optimizer dict (Keras-callback
#: cards, 2 %), Adafactor; the betas/epsilon vary rarely.
KERAS_CARD_SHARE = 0.084  # cards with ``training_precision`` (the Keras callback's list)
TRAINING_RESULTS_TABLE = 0.92  # hyperparameter cards with a "Training results" table
#: "Framework versions" lines (cs577): the versions cards of the Trainer era report.
FRAMEWORKS: tuple[tuple[str, Table[str]], ...] = (
    (
        "Transformers",
        Table(
            [
                ("4.25.1", 0.2),
                ("4.17.0", 0.17),
                ("4.20.1", 0.15),
                ("4.15.0", 0.15),
                ("4.18.0", 0.13),
                ("4.24.0", 0.13),
                ("4.11.3", 0.12),
                ("4.26.0.dev0", 0.11),
            ]
        ),
    ),
    (
        "Pytorch",
        Table(
            [
                ("1.12.1+cu113", 0.3),
                ("1.11.0+cu113", 0.19),
                ("1.10.0+cu111", 0.15),
                ("1.13.0+cu116", 0.13),
                ("1.13.1+cu116", 0.13),
                ("1.9.0+cu111", 0.1),
            ]
        ),
    ),
    (
        "Datasets",
        Table(
            [
                ("2.4.0", 0.2),
                ("2.8.0", 0.11),
                ("2.7.1", 0.1),
                ("2.3.2", 0.1),
                ("1.18.3", 0.09),
                ("1.16.1", 0.08),
                ("2.1.0", 0.07),
                ("2.6.1", 0.07),
            ]
        ),
    ),
    (
        "Tokenizers",
        Table(
            [
                ("0.12.1", 0.37),
                ("0.13.2", 0.23),
                ("0.10.3", 0.21),
                ("0.11.6", 0.09),
                ("0.11.0", 0.05),
            ]
        ),
    ),
)

# -- Hugging Face: card shapes ---------------------------------------------------------------------

NO_FRONT_MATTER = 0.032  # cs577: cards without YAML front matter
NEAR_EMPTY_CARD = 0.026  # cs577: cards under 50 bytes
HTML_SHARE = 0.087  # cs577: card bodies with HTML tags (<p>, <img>, <details>, ...)
PIPELINE_TAG_IN_CARD = 0.03  # cs577: cards repeating pipeline_tag in their metadata
EMPTY_MODEL_INDEX = 0.66  # hyperparameter cards without results that keep ``results: []``

# -- Hugging Face: popularity ---------------------------------------------------------------------

#: Downloads and likes: censored log-normals (count = floor(exp(y)) if y >= 0 else 0) fitted to
#: hub-docs/hacktoberfest_challenges/model_license_other.csv (349 models; 36 % with no download,
#: log-downloads of the rest mean 4.09, sd 2.91; 43 % without likes, log-likes mean 1.97, sd
#: 1.57; log-log correlation 0.66). Datasets: datasets_without_language.csv (277 datasets).
MODEL_DOWNLOADS = (1.52, 4.36)
MODEL_LIKES = (0.42, 2.37)
MODEL_POPULARITY_RHO = 0.7
DATASET_DOWNLOADS = (-0.59, 4.7)
DATASET_LIKES = (-1.7, 2.4)
DATASET_POPULARITY_RHO = 0.75

# -- Hugging Face: dirty cards --------------------------------------------------------------------


@dataclass(frozen=True)
class Dirt:
    """A kind of dirt, its rate among Hugging Face model cards, and what the mapper does with it:
    ``warn`` (mapped, with a warning) or ``silent`` (mapped, nothing to report)."""

    kind: str
    rate: float
    expect: str
    selection: bool  # one of cs577 SELECTION.json's "dirty:*" reasons (the measured dirty rate)


#: SELECTION.json marks every dirty card of the 25,109 (1,146: 4.56 %); the split by reason and
#: by odd key is from the cards themselves. The rest was measured over the whole corpus (the
#: cs577 build's warnings and a scan of the card text); ``script``, ``binary`` and ``huge`` do
#: not occur in it and are kept rare, to exercise the crawler's limits.
DIRT: tuple[Dirt, ...] = (
    Dirt("library_tag", 400 / 25109, "silent", True),  # library_tag: instead of library_name
    Dirt("odd_key", 519 / 25109, "silent", True),  # duplicated_from, tasks, benchmark, ...
    Dirt("task_key", 96 / 25109, "warn", True),  # task: instead of pipeline_tag
    Dirt("model_index_key", 74 / 25109, "warn", True),  # model_index:
    Dirt("dataset_key", 14 / 25109, "warn", True),  # dataset: instead of datasets
    Dirt("languages_key", 8 / 25109, "warn", True),
    Dirt("licence_key", 6 / 25109, "warn", True),  # licence: / licenses:
    Dirt("pipeline_dash_key", 3 / 25109, "warn", True),  # pipeline-tag:
    Dirt("language_no", 14 / 25109, "warn", True),  # language: no (YAML reads False)
    Dirt("model_index_dict", 9 / 25109, "warn", True),  # model-index: a mapping
    Dirt("yaml_error", 4 / 25109, "warn", True),  # front matter that is not YAML
    Dirt("wrong_type", 7 / 25109, "warn", False),  # tags: true, datasets: {..}
    Dirt("value_na", 0.0030, "warn", False),  # a metric value NA / null / nan
    Dirt("comma_decimal", 0.00044, "warn", False),  # value: 0,912
    Dirt("percent_value", 0.00004, "silent", False),  # value: 93.5 % (normalised)
    Dirt("invalid_utf8", 0.00089, "warn", False),  # bytes that are not UTF-8
    Dirt("script", 0.0001, "silent", False),  # <script> in the body (kept as inert text)
    Dirt("binary", 0.00005, "warn", False),  # NUL bytes: not a card
    Dirt("huge", 0.00005, "warn", False),  # over the mapper's 1,000,000-character cap
)
SELECTION_DIRTY_RATE = sum(d.rate for d in DIRT if d.selection)
ODD_KEYS = ("duplicated_from", "tasks", "benchmark", "xdatasets", "eval_info", "model_type")
