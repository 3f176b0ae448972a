"""Cross-zoo identity: one node per dataset, and links between the same weights in two zoos.

Datasets. Every source normalises dataset names through the vocabulary
(:meth:`mlkg.vocabulary.Vocabulary.find`), so ImageNet from TF Hub, PyTorch Hub, timm and
Hugging Face is the one concept ``dataset/imagenet-ilsvrc-2012``, and OpenML's ``iris`` (version 1)
is ``dataset/iris``; each source keeps its own id on the node (``skos:notation "openml:data/61"``,
TF Hub's ``imagenet-ilsvrc-2012-cls`` in the vocabulary). That happens at map time, per record.

Weights. Whether two zoo entries are the same trained weights is a fact about two records, so it
is derived after loading from the whole store, like ``mlkg:revisionOf``, into
``graph/derived/same-weights``, rewritten only when it changes. The property is
``mlkg:sameWeightsAs``, symmetric and written in both directions. Not ``owl:sameAs``: that would
merge the two entries into one individual for any reasoner (one zoo, one id, one licence would
become two of each on both; every count of models per zoo would change meaning), while the point
is to compare what two zoos say about one set of weights.

The rule links only on explicit evidence that the weights are torchvision's published ImageNet-1k
weights (``IMAGENET1K_V1``, what ``torch.hub.load('pytorch/vision', arch, pretrained=True)``
loads):

* a PyTorch Hub model whose code repository is ``https://github.com/pytorch/vision`` is those
  weights for its entrypoint ``arch``;
* a timm model named ``{arch}.tv_in1k`` (``.tv_`` is timm's tag for weights taken from
  torchvision) or, in older timm, ``tv_{arch}``;
* a timm model whose weights URL is torchvision's own file,
  ``https://download.pytorch.org/models/{arch}-{hash}.pth``.

Models with the same ``arch`` are linked pairwise (within timm too: ``tv_resnet101`` and
``resnet101.tv_in1k`` are one file). Not linked: ``.tv2_in1k`` (torchvision's later V2 weights,
which the PyTorch Hub pages, pinned to ``pytorch/vision:v0.10.0``, do not load), and look-alike
names without such evidence (timm's own ``resnet50.a1_in1k`` is a different training run).

After a load that changed a few records, only the groups of the architectures those records had
or have are recomputed (:func:`touched_archs`, :func:`same_weights_update`; the links stage
keeps the graph in step, see :class:`mlkg.links.LinkChanges`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import permutations

from pyoxigraph import Literal, NamedNode, Quad

from mlkg.iris import Iris
from mlkg.namespaces import MLKG, RDFS
from mlkg.store import GraphStore, values_batches

TORCHVISION = "https://github.com/pytorch/vision"
SAME_WEIGHTS_GRAPH = "graph/derived/same-weights"
SAME_WEIGHTS_LABEL = "the same weights published in two zoos"

_TIMM_TAG = re.compile(r"(?P<arch>[a-z0-9_]+)\.tv_in1k")
_TIMM_LEGACY = re.compile(r"tv_(?P<arch>[a-z0-9_]+)")
_TORCHVISION_FILE = re.compile(
    r"https?://download\.pytorch\.org/models/(?P<arch>[a-z0-9_]+)-[0-9a-f]{6,}\.pth"
)

CANDIDATES = """
SELECT DISTINCT ?model ?hub ?id ?entrypoint ?repository ?download WHERE {
  ?g foaf:topic ?model .
  ?model a mlkg:Model ; mlkg:hub ?hub ; dcterms:identifier ?id .
  VALUES ?hub { %s }
  OPTIONAL { ?model mlkg:entrypoint ?entrypoint }
  OPTIONAL { ?model mlkg:sourceRepository ?repository }
  OPTIONAL { ?model schema:downloadUrl ?download }
}"""


#: :data:`CANDIDATES` for some models only, one pattern per graph (the union of the named graphs
#: without asking for it as the default graph, which an external store may build per query).
MODEL_CANDIDATES = """
SELECT DISTINCT ?model ?hub ?id ?entrypoint ?repository ?download WHERE {
  VALUES ?model { %s }
  VALUES ?hub { %s }
  GRAPH ?g1 { ?model mlkg:hub ?hub }
  GRAPH ?g2 { ?model a mlkg:Model }
  GRAPH ?g3 { ?model dcterms:identifier ?id }
  GRAPH ?g4 { ?t foaf:topic ?model }
  OPTIONAL { GRAPH ?g5 { ?model mlkg:entrypoint ?entrypoint } }
  OPTIONAL { GRAPH ?g6 { ?model mlkg:sourceRepository ?repository } }
  OPTIONAL { GRAPH ?g7 { ?model schema:downloadUrl ?download } }
}"""

#: Models of the two hubs that may hold some architectures' weights (the rule then decides).
ARCH_MEMBERS = """
SELECT DISTINCT ?model WHERE {
  VALUES ?hub { %s }
  GRAPH ?g1 { ?model mlkg:hub ?hub }
  { GRAPH ?g2 { ?model dcterms:identifier ?v } FILTER(STR(?v) IN (%s)) }
  UNION { GRAPH ?g2 { ?model mlkg:entrypoint ?v } FILTER(STR(?v) IN (%s)) }
  UNION { GRAPH ?g2 { ?model schema:downloadUrl ?v } FILTER(%s) }
}"""
#: Architectures per :data:`ARCH_MEMBERS` query.
ARCH_BATCH = 100


@dataclass(frozen=True)
class ModelFacts:
    """What the rule reads about one model."""

    model: NamedNode
    hub: str
    identifier: str
    entrypoint: str | None = None
    repository: str | None = None
    download: str | None = None


def torchvision_weights(facts: ModelFacts) -> str | None:
    """The torchvision architecture whose V1 ImageNet weights ``facts`` says the model is.

    >>> N = NamedNode("x:m")
    >>> torchvision_weights(ModelFacts(N, "timm", "resnet50.tv_in1k"))
    'resnet50'
    >>> torchvision_weights(ModelFacts(N, "timm", "tv_resnet101"))
    'resnet101'
    >>> torchvision_weights(ModelFacts(N, "timm", "resnet18",
    ...     download="https://download.pytorch.org/models/resnet18-5c106cde.pth"))
    'resnet18'
    >>> torchvision_weights(ModelFacts(N, "timm", "resnet50.tv2_in1k")) is None
    True
    >>> torchvision_weights(ModelFacts(N, "pytorch-hub", "pytorch/vision/vgg16", "vgg16",
    ...     TORCHVISION))
    'vgg16'
    """
    if facts.hub == "pytorch-hub":
        if facts.repository == TORCHVISION and facts.entrypoint:
            return facts.entrypoint
        return None
    if facts.hub != "timm":
        return None
    for pattern in (_TIMM_TAG, _TIMM_LEGACY):
        match = pattern.fullmatch(facts.identifier)
        if match:
            return match["arch"]
    match = _TORCHVISION_FILE.fullmatch(facts.download or "")
    return match["arch"] if match else None


def same_weights_links(models: Iterable[ModelFacts]) -> set[tuple[NamedNode, NamedNode]]:
    """Ordered pairs (both directions) of models that hold the same torchvision weights.

    >>> a, b, c = (NamedNode(f"x:{n}") for n in "abc")
    >>> links = same_weights_links([
    ...     ModelFacts(a, "pytorch-hub", "pytorch/vision/resnet50", "resnet50", TORCHVISION),
    ...     ModelFacts(b, "timm", "resnet50.tv_in1k"), ModelFacts(c, "timm", "resnet50.a1_in1k")])
    >>> sorted((s.value, o.value) for s, o in links)
    [('x:a', 'x:b'), ('x:b', 'x:a')]
    """
    groups: dict[str, set[NamedNode]] = defaultdict(set)
    for facts in models:
        arch = torchvision_weights(facts)
        if arch is not None:
            groups[arch].add(facts.model)
    return {pair for members in groups.values() for pair in permutations(sorted(members), 2)}


def _hubs(iris: Iris) -> dict[str, str]:
    return {iris.hub(name).value: name for name in ("timm", "pytorch-hub")}


def _facts(rows, hubs: dict[str, str]) -> list[ModelFacts]:
    def value(row, key):
        return row[key].value if row[key] is not None else None

    return [
        ModelFacts(
            row["model"],
            hubs[row["hub"].value],
            row["id"].value,
            value(row, "entrypoint"),
            value(row, "repository"),
            value(row, "download"),
        )
        for row in rows
    ]


def model_facts(store: GraphStore, iris: Iris, models: Iterable[NamedNode]) -> list[ModelFacts]:
    """What the rule reads about ``models`` (the :data:`CANDIDATES` rows of those models)."""
    hubs = _hubs(iris)
    in_hubs = " ".join(f"<{iri}>" for iri in hubs)
    named = sorted({m for m in models if isinstance(m, NamedNode)}, key=str)
    return [
        facts
        for batch in values_batches(named)
        for facts in _facts(
            store.query(MODEL_CANDIDATES % (batch, in_hubs), union_default_graph=False), hubs
        )
    ]


def touched_archs(store: GraphStore, iris: Iris, models: Iterable[NamedNode]) -> set[str]:
    """The architectures whose weights ``models`` hold, according to the store as it is now.

    Called before a load rewrites or drops graphs that mention the models (their old facts) and
    after it (their new ones): the groups of those architectures are the ones that may change.
    """
    return {
        arch for facts in model_facts(store, iris, models) if (arch := torchvision_weights(facts))
    }


def arch_members(store: GraphStore, iris: Iris, archs: Collection[str]) -> set[NamedNode]:
    """Models of timm and PyTorch Hub whose facts may make them hold one of ``archs``' weights:
    every model the rule gives one of them, and maybe a few more."""
    found: set[NamedNode] = set()
    in_hubs = " ".join(f"<{iri}>" for iri in _hubs(iris))
    ordered = sorted(archs)
    for start in range(0, len(ordered), ARCH_BATCH):
        batch = ordered[start : start + ARCH_BATCH]
        identifiers = [f"{arch}.tv_in1k" for arch in batch] + [f"tv_{arch}" for arch in batch]
        downloads = [
            f"STRSTARTS(STR(?v), {Literal(f'{scheme}://download.pytorch.org/models/{arch}-')})"
            for arch in batch
            for scheme in ("http", "https")
        ]
        query = ARCH_MEMBERS % (
            in_hubs,
            ", ".join(str(Literal(i)) for i in identifiers),
            ", ".join(str(Literal(a)) for a in batch),
            " || ".join(downloads),
        )
        found.update(row["model"] for row in store.query(query, union_default_graph=False))
    return found


def same_weights_update(
    store: GraphStore, iris: Iris, models: Collection[NamedNode], archs: Collection[str]
) -> tuple[set[NamedNode], set[tuple[NamedNode, NamedNode]]]:
    """The models whose ``mlkg:sameWeightsAs`` links may have changed, and those links now.

    ``models`` are the models whose facts a load may have changed, ``archs`` the architectures
    they held before it (:func:`touched_archs`). Returns (X, links): every link of the derived
    graph with an end in X is one of ``links`` (those with an end in X are exactly the ones the
    whole store gives); links with no end in X did not change. Both are empty when no touched
    model holds torchvision weights, before or after.
    """
    models = set(models)
    facts = model_facts(store, iris, models)
    archs = set(archs) | {arch for f in facts if (arch := torchvision_weights(f))}
    if not archs:
        return set(), set()
    fetched = models | arch_members(store, iris, archs)
    facts += model_facts(store, iris, fetched - models)
    held: dict[NamedNode, set[str]] = defaultdict(set)
    for f in facts:
        if arch := torchvision_weights(f):
            held[f.model].add(arch)
    touched = models | {model for model, its in held.items() if its & archs}
    # A touched model may hold the weights of another group too: its links there have an end
    # in X, so that group must be complete as well.
    extra = {arch for model in touched for arch in held.get(model, ())} - archs
    if extra:
        facts += model_facts(store, iris, arch_members(store, iris, extra) - fetched)
    return touched, same_weights_links(facts)


def derive_same_weights(store: GraphStore, iris: Iris) -> int:
    """Link the same weights across zoos (``mlkg:sameWeightsAs``, both directions).

    Recomputed from the whole store into ``graph/derived/same-weights``; the graph is rewritten
    only when its content changes, so an unchanged re-run writes nothing. Returns the number of
    links (each direction counts).
    """
    hubs = _hubs(iris)
    models = _facts(store.query(CANDIDATES % " ".join(f"<{iri}>" for iri in hubs)), hubs)
    graph = iris.resource(SAME_WEIGHTS_GRAPH)
    quads = {Quad(s, MLKG.sameWeightsAs, o, graph) for s, o in same_weights_links(models)}
    label = Quad(graph, RDFS.label, Literal(SAME_WEIGHTS_LABEL), graph)
    quads.add(label)
    if set(store.quads(graph)) != quads:
        store.replace_graphs({graph: list(quads)})
    return len(quads) - 1
