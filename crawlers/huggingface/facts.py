"""Facts every Hub repository has, model or dataset: identity and origin, tags, papers, licence,
languages and the card's prose.

Decisions:

* **Identity.** The subject is minted from the id the API returned (the canonical one). When the
  crawl asked for another id (a renamed repository the Hub redirected), the requested id is kept
  as ``mlkg:formerIdentifier`` (a sub-property of ``dcterms:identifier``: the shapes allow one
  ``dcterms:identifier`` per model) and the IRI it would have had is ``owl:sameAs`` the canonical
  one, so links other cards make to the old id still meet the model.
* ``createdAt`` ``2022-03-02T23:29:04.000Z`` is the Hub's placeholder for "created before the Hub
  stored creation dates" (docs/hub/api.md); it is not written as ``dcterms:created``.
* **Licence.** Ids go through the vocabulary (HF ids → SPDX IRIs). ``other`` with a
  ``license_name`` is a ``mlkg:CustomLicense`` ``license/{slug}`` labelled with the name and
  linked (``schema:url``) to ``license_link`` (a file name in the repository becomes its Hub URL);
  ``other`` without a name is the vocabulary's "other". An id the vocabulary does not know is a
  CustomLicense too, with a warning. The text as written is kept in ``mlkg:licenseName``.
* **Languages.** ``mlkg:language`` takes BCP 47-like codes. YAML reads ``language: no`` as
  ``False``: it is read back as Norwegian ``no`` (with a warning). ``unk`` (AutoTrain's "unknown")
  is dropped; ``multilingual`` becomes the tag ``multilingual``; other names are reported.
"""

from __future__ import annotations

import re
from typing import Any

from pyoxigraph import Literal, NamedNode

from crawlers.huggingface.cards import arxiv_ids, description, field, strings, title
from crawlers.huggingface.context import HUB, HUB_URL, Context, hub_url, is_repo_id
from mlkg.errors import InvalidIdError
from mlkg.namespaces import DCTERMS, MLKG, OWL, RDF, RDFS, SCHEMA
from mlkg.rdf import boolean, date_time, integer, text, url

#: The Hub's createdAt for every repository created before it stored creation dates.
CREATED_PLACEHOLDER = "2022-03-02T23:29:04"
MAX_TAGS = 500
MAX_LICENCES = 10
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}")
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?")


def map_identity(
    ctx: Context, node: NamedNode, requested: str | None, info: dict[str, Any]
) -> None:
    """Type, ids, label, hub, page, publisher and the API's counters, dates and flags."""
    kind = ctx.kind
    kind_class = MLKG.Dataset if kind == "dataset" else MLKG.Model
    ctx.add(node, RDF.type, kind_class)
    ctx.add(node, DCTERMS.identifier, Literal(ctx.repo_id))
    ctx.add(node, RDFS.label, Literal(ctx.repo_id))
    ctx.add(node, MLKG.hub, ctx.hub)
    ctx.add(node, SCHEMA.url, hub_url(ctx.repo_id, kind))
    if requested and requested != ctx.repo_id:
        ctx.add(node, MLKG.formerIdentifier, text(requested))
        try:
            other = (
                ctx.iris.dataset(requested, HUB)
                if kind == "dataset"
                else ctx.iris.model(HUB, requested)
            )
        except InvalidIdError:
            other = None
        ctx.add(node, OWL.sameAs, other)
    author = info.get("author") if isinstance(info.get("author"), str) else None
    if author is None and "/" in ctx.repo_id:
        author = ctx.repo_id.split("/", 1)[0]
    ctx.add(node, DCTERMS.publisher, publisher(ctx, author) if author else None)
    ctx.add(node, MLKG.revision, text(info.get("sha"), max_length=100))
    created = info.get("createdAt")
    if not (isinstance(created, str) and created.startswith(CREATED_PLACEHOLDER)):
        ctx.add(node, DCTERMS.created, date_time(created))
    ctx.add(node, DCTERMS.modified, date_time(info.get("lastModified")))
    for key, predicate in (("downloads", MLKG.downloads), ("likes", MLKG.likes)):
        value = integer(info.get(key)) if info.get(key) is not None else None
        if info.get(key) is not None and (value is None or int(value.value) < 0):
            ctx.warn(f"API {key} {info.get(key)!r:.40} is not a count; ignored")
            value = None
        ctx.add(node, predicate, value)
    map_gated(ctx, node, info.get("gated"))


def map_gated(ctx: Context, node: NamedNode, gated: Any) -> None:
    """``gated``: ``false``, ``"auto"``, ``"manual"`` (or ``true``) → ``mlkg:gated`` + mode tag."""
    if gated is None:
        return
    if isinstance(gated, str) and gated.strip().lower() in {"auto", "manual"}:
        ctx.add(node, MLKG.gated, boolean(True))
        ctx.add(node, MLKG.tag, Literal(f"gated:{gated.strip().lower()}"))
    elif boolean(gated) is not None:
        ctx.add(node, MLKG.gated, boolean(gated))
    else:
        ctx.warn(f"API gated {gated!r:.40} is not false, auto or manual; ignored")


def publisher(ctx: Context, author: str) -> NamedNode | None:
    """A Publisher stub for a Hub user or organisation."""
    if not is_repo_id(author) or "/" in author:
        ctx.warn(f"author {author[:60]!r} is not a Hub user or organisation name; ignored")
        return None
    node = ctx.iris.publisher(HUB, author)
    if ctx.first_time(node):
        ctx.add(node, RDF.type, MLKG.Publisher)
        ctx.add(node, DCTERMS.identifier, Literal(author))
        ctx.add(node, RDFS.label, Literal(author))
        ctx.add(node, MLKG.hub, ctx.hub)
        ctx.add(node, SCHEMA.url, url(HUB_URL + author))
    return node


def map_tags_and_papers(ctx: Context, node: NamedNode, tags: list[str], body: str | None) -> None:
    """Every tag as written; ``arxiv:`` tags and arXiv links in the body → dcterms:references."""
    if len(tags) > MAX_TAGS:
        ctx.warn(f"{len(tags)} tags; only the first {MAX_TAGS} were kept")
    for tag in tags[:MAX_TAGS]:
        ctx.add(node, MLKG.tag, text(tag))
    papers = [tag[6:].strip() for tag in tags if tag.lower().startswith("arxiv:")]
    papers += arxiv_ids(body) if body else []
    for paper in dict.fromkeys(papers):
        if _ARXIV_ID.fullmatch(paper):
            ctx.add(node, DCTERMS.references, url(f"https://arxiv.org/abs/{paper}"))
        else:
            ctx.warn(f"arXiv id {paper[:40]!r} is not an arXiv identifier; ignored")


def map_license(ctx: Context, node: NamedNode, front: dict[str, Any], tags: list[str]) -> None:
    """``license`` (or ``licence``/``licenses``, else the Hub's ``license:`` tag)."""
    written = field(front, "license", ctx.warn, ("licence", "licenses"))
    values = strings(written, "license", ctx.warn, limit=MAX_LICENCES)
    if not values:
        values = [tag[8:] for tag in tags if tag.startswith("license:") and tag[8:]]
    name = next(iter(strings(front.get("license_name"), "license_name", ctx.warn, limit=1)), None)
    link = next(iter(strings(front.get("license_link"), "license_link", ctx.warn, limit=1)), None)
    for value in values[:MAX_LICENCES]:
        if value.lower() == "other" and name:
            ctx.add(node, DCTERMS.license, custom_license(ctx, name, link))
            ctx.add(node, MLKG.licenseName, text(name))
            continue
        found = ctx.vocab.find("licenses", value, ctx.iris)
        if found is None:
            ctx.warn(f"licence {value[:60]!r} is not a known licence id; kept as a custom licence")
            found = custom_license(ctx, value, link)
        ctx.add(node, DCTERMS.license, found)
        ctx.add(node, MLKG.licenseName, text(value))


def custom_license(ctx: Context, name: str, link: str | None) -> NamedNode:
    """The vocabulary's licence of that name, else ``license/{slug}`` with its stub and link."""
    found = ctx.vocab.find("licenses", name, ctx.iris)
    if found is not None:
        return found
    licence = ctx.iris.license(name)
    if ctx.first_time(licence):
        ctx.add(licence, RDF.type, MLKG.CustomLicense)
        ctx.add(licence, RDFS.label, text(name))
    if link:
        target = url(link)
        if target is None and re.fullmatch(r"[\w./-]{1,200}", link) and ".." not in link:
            page = hub_url(ctx.repo_id, ctx.kind)
            target = url(f"{page.value}/blob/main/{link.lstrip('./')}") if page else None
        if target is None:
            ctx.warn(f"license_link {link[:80]!r} is neither a URL nor a file name; ignored")
        ctx.add(licence, SCHEMA.url, target)
    return licence


def languages(ctx: Context, value: Any) -> list[str]:
    """Language codes from ``language`` (string, list, or YAML's ``False`` for ``no``)."""
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items[:MAX_TAGS]:
        if item is False:
            ctx.warn(
                "language False read as 'no' (Norwegian): YAML turns an unquoted no into false"
            )
            item = "no"
        if isinstance(item, bool) or not isinstance(item, str):
            if item is not None:
                ctx.warn(f"language: a {type(item).__name__} value ignored")
            continue
        found.append(item.strip())
    return [code for code in found if code]


def map_languages(ctx: Context, node: NamedNode, codes: list[str]) -> None:
    for code in dict.fromkeys(codes):
        lower = code.lower()
        if lower == "unk":
            continue
        if lower == "multilingual":
            ctx.add(node, MLKG.tag, Literal("multilingual"))
        elif _LANGUAGE.fullmatch(code):
            ctx.add(node, MLKG.language, Literal(code.replace("_", "-")))
        else:
            ctx.warn(f"language {code[:40]!r} is not a language code; ignored")


def map_prose(ctx: Context, node: NamedNode, body: str | None, *, with_title: bool = True) -> None:
    """The body's first prose paragraph (dcterms:description) and first heading (title)."""
    if not body:
        return
    ctx.add(node, DCTERMS.description, text(description(body)))
    heading = title(body) if with_title else None
    if heading and heading != ctx.repo_id:
        ctx.add(node, DCTERMS["title"], text(heading))
