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
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import permutations

from pyoxigraph import Literal, NamedNode, Quad

from mlkg.iris import Iris
from mlkg.namespaces import MLKG, RDFS
from mlkg.store import GraphStore

TORCHVISION = "https://github.com/pytorch/vision"
SAME_WEIGHTS_GRAPH = "graph/derived/same-weights"

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


def derive_same_weights(store: GraphStore, iris: Iris) -> int:
    """Link the same weights across zoos (``mlkg:sameWeightsAs``, both directions).

    Recomputed from the whole store into ``graph/derived/same-weights``; the graph is rewritten
    only when its content changes, so an unchanged re-run writes nothing. Returns the number of
    links (each direction counts).
    """
    hubs = {iris.hub(name).value: name for name in ("timm", "pytorch-hub")}
    rows = store.query(CANDIDATES % " ".join(f"<{iri}>" for iri in hubs))
    models = [
        ModelFacts(
            row["model"],
            hubs[row["hub"].value],
            row["id"].value,
            *(row[k].value if row[k] is not None else None for k in ("entrypoint", "repository")),
            row["download"].value if row["download"] is not None else None,
        )
        for row in rows
    ]
    graph = iris.resource(SAME_WEIGHTS_GRAPH)
    quads = {Quad(s, MLKG.sameWeightsAs, o, graph) for s, o in same_weights_links(models)}
    label = Quad(graph, RDFS.label, Literal("the same weights published in two zoos"), graph)
    quads.add(label)
    if set(store.quads(graph)) != quads:
        store.replace_graphs({graph: list(quads)})
    return len(quads) - 1
