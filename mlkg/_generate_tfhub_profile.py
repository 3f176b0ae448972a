"""The measured distributions of the synthetic TF Hub catalogue.

Every number was measured on the complete final tfhub.dev catalogue in
``../shared/zoo-snapshots/tfhub.dev`` (2,819 pages: 2,730 model pages, 50 Collections, 39
Publishers); see the docstring of :mod:`mlkg.generate`. Only counts and TF Hub's own ids are
kept. Tables are ``(value, count)`` pairs.
"""

from __future__ import annotations

from mlkg._generate_common import Table

#: Page types of model pages in the final tfhub.dev catalogue (2,730 model pages); Collections
#: (50) and Publishers (39) are extra records.
TF_VARIANT_KINDS = Table([("Lite", 372), ("Tfjs", 358), ("Coral", 3)])
TF_PLACEHOLDER_SHARE = 182 / 1997  # of Module + Placeholder pages
#: Versions per model name (Module names: 820, 192, 28, 73, 47) and names with a gap (124/1,332).
TF_VERSIONS = Table([(1, 820), (2, 192), (3, 28), (4, 73), (5, 47)])
TF_VERSION_GAP = 124 / 1332
#: Module versions with variants (511 of 1,997) and variants per such version.
TF_HAS_VARIANTS = 511 / 1997
TF_VARIANTS_PER_PARENT = Table([(1, 366), (2, 96), (3, 30), (4, 12), (5, 5), (6, 2)])
TF_COLLECTION_SHARE = 50 / 2730
TF_COLLECTION_MEMBERS = (2, 114)  # fewest and most members; drawn log-uniform (median ~10)
TF_NAMES_PER_PUBLISHER = 33.0  # 1,160 Module names / 35 publishers with models
TF_PUBLISHER_EXPONENT = 1.8  # Zipf: the top publisher (google) holds ~56 % of the pages

#: Module tasks (1,845 task values on 1,815 Modules) and Placeholder tasks (183 on 182).
TF_TASKS = Table(
    [
        ("image-classification", 566),
        ("image-feature-vector", 436),
        ("text-embedding", 364),
        ("text-language-model", 98),
        ("image-object-detection", 64),
        ("image-segmentation", 43),
        ("image-generator", 37),
        ("video-classification", 36),
        ("text-preprocessing", 30),
        ("audio-embedding", 20),
        ("audio-event-classification", 16),
        ("audio-paralinguistics", 11),
        ("image-rnn-agent", 10),
        ("audio-command-detection", 10),
        ("image-pose-detection", 9),
        ("text-generation", 7),
        ("audio-stt", 7),
        ("image-augmentation", 6),
        ("video-feature-extraction", 6),
        ("text-question-answering", 5),
        ("text-classification", 5),
        ("image-aesthetic-quality", 5),
        ("video-generation", 5),
        ("text-retrieval-question-answering", 4),
        ("image-style-transfer", 4),
        ("image-super-resolution", 4),
    ]
)
TF_PLACEHOLDER_TASKS = Table(
    [
        ("image-classification", 63),
        ("image-object-detection", 37),
        ("image-pose-detection", 30),
        ("image-segmentation", 23),
        ("text-classification", 5),
        ("image-style-transfer", 4),
        ("audio-speech-synthesis", 4),
        ("text-embedding", 3),
        ("audio-command-detection", 3),
        ("image-text-recognition", 3),
        ("image-depth-estimation", 2),
        ("image-super-resolution", 2),
    ]
)
TF_MULTI_TASK = 10 / 1815  # Modules listing 4 tasks
#: Datasets per Module (0: 407, 1: 1,366, 2: 17, 3+: 25) and ids by task family.
TF_DATASET_COUNT = Table([(0, 407), (1, 1366), (2, 17), (3, 7), (4, 3), (6, 12)])
TF_DATASETS: dict[str, Table[str]] = {
    "image": Table(
        [
            ("imagenet-ilsvrc-2012-cls", 626),
            ("imagenet-21k", 97),
            ("imagenet", 49),
            ("cifar-10", 9),
            ("multiple", 10),
            ("dagm2007", 10),
            ("cppe-5", 7),
        ]
    ),
    "detection": Table(
        [
            ("coco-2017", 65),
            ("ade20k", 11),
            ("pascal-voc-2012", 10),
            ("cityscapes", 3),
            ("cppe-5", 7),
        ]
    ),
    "generation": Table([("celeba-hq", 15), ("imagenet", 10), ("multiple", 2)]),
    "text": Table(
        [
            ("wikipedia-and-bookscorpus", 162),
            ("google-news", 86),
            ("wikipedia", 47),
            ("wiki40b", 43),
            ("commoncrawl", 27),
            ("bookscorpus", 12),
            ("multilingual-wikipedia", 8),
            ("squad", 7),
        ]
    ),
    "video": Table([("kinetics-600", 31), ("kinetics-400", 8)]),
    "audio": Table([("audioset", 19), ("librilight", 10), ("speech-commands", 5)]),
}
TF_ARCHITECTURES: dict[str, Table[str]] = {
    "image": Table(
        [
            ("mobilenet-v2", 203),
            ("mobilenet-v1", 194),
            ("efficientnet-v2", 72),
            ("resnet50-v2", 62),
            ("convnext", 30),
            ("swin-transformer", 27),
            ("xcit", 22),
            ("inception-v3", 20),
            ("cait", 20),
            ("mobilenet-v3", 16),
            ("deit", 16),
            ("vit", 16),
            ("resnet-v2-50", 19),
        ]
    ),
    "detection": Table(
        [
            ("efficientdet", 22),
            ("faster-r-cnn", 13),
            ("ssd", 13),
            ("hrnet-v2-w48", 17),
            ("other", 15),
        ]
    ),
    "generation": Table([("biggan", 12), ("vgg-style", 12), ("other", 5)]),
    "text": Table([("transformer", 248), ("nnlm", 86), ("transformer-xl", 43), ("other", 10)]),
    "video": Table([("movinet", 30), ("other", 5)]),
    "audio": Table([("other", 10), ("transformer", 5)]),
}
TF_NO_ARCHITECTURE = 213 / 1815
TF_FINE_TUNABLE = 1408 / 1815
TF_FORMATS = Table([("saved_model_2", 1079), ("hub", 732), ("saved_model", 4)])
#: Module licences: none (TF Hub's Apache-2.0 default applies) 1,540; declared 275.
TF_LICENCES = Table(
    [
        (None, 1540),
        ("mit", 150),
        ("apache-2.0", 99),
        ("custom", 15),
        ("cc-by-sa-4.0", 6),
        ("cc-by-nc-4.0", 4),
        ("bsd-3-clause", 1),
    ]
)
TF_LANGUAGES = Table(
    [
        ("en", 384),
        ("zh-cn", 43),
        ("ko", 39),
        ("de", 38),
        ("es", 35),
        ("ja", 30),
        ("ar", 22),
        ("tr", 22),
        ("ru", 22),
        ("pl", 21),
        ("th", 19),
        ("id", 19),
        ("fr", 18),
        ("it", 18),
        ("nl", 18),
        ("pt", 18),
        ("multilingual", 17),
        ("zh-tw", 16),
        ("hi", 14),
    ]
)
TF_MULTILINGUAL = 24 / 515  # language lists of 11–53 codes among Modules with a language
TF_COLAB = 724 / 1815
TF_VISUALIZER = 22 / 1815
TF_LEGACY_ASSET = 1509 / 1815  # asset-path: legacy (no download URL)
TF_LITE_COLAB = 62 / 372
TF_LITE_VISUALIZER = 102 / 372
TF_TFJS_DEMO = 18 / 358
#: TF Hub dirt (the real catalogue's 73 pages with mapper warnings in 2,819): an invisible
#: ``&zwnj;`` in the handle (25 of 1,815 Modules), an asset-path that is not a URL (16), a
#: parent-model without a version (31 of 372 Lite pages, 1 of 358 Tfjs pages).
TF_ZWNJ = 25 / 1815
TF_ODD_ASSET = 16 / 1815
TF_UNVERSIONED_PARENT = {"Lite": 31 / 372, "Tfjs": 1 / 358, "Coral": 0.0}
