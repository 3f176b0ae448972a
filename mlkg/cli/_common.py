"""Helpers shared by the command modules: settings from the context, progress, reports."""

from __future__ import annotations

import click

from mlkg.config import Settings
from mlkg.report import BuildReport


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings)


def source_names() -> list[str]:
    from crawlers import source_names

    return source_names()


def crawl_options(command):
    """--from, --limit and --option KEY=VALUE, shared by ``build`` and ``crawl``."""
    command = click.option(
        "--option",
        "-o",
        "options",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_parse_options,
        help="A source-specific crawl filter, e.g. -o author=google for the Hugging Face Hub. "
        "Repeatable. A filtered crawl deletes nothing.",
    )(command)
    command = click.option(
        "--limit", type=click.IntRange(min=1), help="Stop after N records (no deletions)."
    )(command)
    return click.option(
        "--from",
        "location",
        metavar="PATH_OR_URL",
        help="A local checkout, archive or snapshot folder, or a URL "
        "[default: the zoo's public repository].",
    )(command)


def _parse_options(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict:
    options = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}")
        options[key.strip()] = text.strip()
    return options


def show_progress(ctx: click.Context) -> bool:
    return not ctx.meta.get("quiet")


def print_report(ctx: click.Context, report: BuildReport) -> None:
    if ctx.meta.get("quiet"):
        return
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    click.echo(
        f"{report.source}: {report.crawled + report.resumed} crawled"
        f"{f' ({report.resumed} resumed)' if report.resumed else ''}, "
        f"{report.unchanged} unchanged, "
        f"{report.mapped} mapped ({report.warnings} warnings), {report.accepted} accepted, "
        f"{report.quarantined} quarantined; graphs: {report.added} added, {report.replaced} "
        f"replaced, {report.removed} removed; {report.triples_written} triples written; "
        f"{report.unresolved_references} unresolved lineage references [{stages}]",
        err=True,
    )
