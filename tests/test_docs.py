"""The docs are tested: every command has help with an example, every setting and dependency is
documented, every named query has its header, the ruff lint passes."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import click
import pytest
from click.testing import CliRunner

from mlkg.cli import cli
from mlkg.config import SETTINGS
from mlkg.queries import named_queries
from tests.conftest import REPO


def all_commands() -> list[tuple[str, click.Command]]:
    return sorted(cli.commands.items())


@pytest.mark.parametrize(("name", "command"), all_commands())
def test_every_command_has_help_with_an_example(name, command):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`mlkg {name} --help` has no Example: block"
    example = result.output.split("Example:", 1)[1]
    assert "mlkg " in example and name in example, "the example does not show the command"


def test_every_setting_is_documented_in_the_readme():
    from mlkg.server.settings import SERVER_SETTINGS

    readme = (REPO / "README.md").read_text()
    for env in [env for _n, env, _h in SETTINGS] + [env for _n, env, _d, _h in SERVER_SETTINGS]:
        assert env in readme, f"{env} is not documented in README.md"


def test_every_dependency_is_explained_in_the_readme():
    readme = (REPO / "README.md").read_text().lower()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=\[; ]", requirement, maxsplit=1)[0].lower()
        assert name in readme, f"README.md does not say why mlkg depends on {name}"


def test_there_are_at_least_twelve_named_queries():
    assert len(named_queries()) >= 12


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_has_its_header(name):
    header = named_queries()[name].header
    for key in ("title", "purpose", "parameters", "example"):
        assert header.get(key), f"queries/{name}.rq has no '# {key}:' header line"
    assert f"mlkg query {name}" in header["example"]


def test_changelog_has_the_current_version():
    from mlkg import __version__

    assert f"## {__version__}" in (REPO / "CHANGELOG.md").read_text()


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (REPO / ".venv/bin/ruff").exists(),
    reason="ruff is not installed (pip install -e '.[test]')",
)
def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(REPO / ".venv/bin/ruff")
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [ruff, *command, str(REPO)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"ruff {command[0]}: " + result.stdout + result.stderr
