"""The wheel carries ontology/, shapes/, queries/ and the sample zoo, and works outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling is needed to build the wheel offline")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
    )
    return next(out.glob("mlkg-*.whl"))


def test_wheel_ships_the_data_folders_and_crawlers(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    repo_files = {
        f"mlkg/_data/{kind}/{p.relative_to(REPO / kind).as_posix()}"
        for kind in ("ontology", "shapes", "queries")
        for p in (REPO / kind).rglob("*")
        if p.is_file()
    }
    assert repo_files, "the repository has ontology/shapes/queries files"
    assert repo_files <= names, sorted(repo_files - names)[:5]
    assert "crawlers/__init__.py" in names
    assert any(n.startswith("mlkg/sample_zoo/") and n.endswith(".md") for n in names)
    assert not any("zoo-snapshots" in n or n.startswith("tests/") for n in names)


def test_installed_wheel_finds_its_data_outside_the_repository(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import mlkg, mlkg.resources as r; print(mlkg.__file__); "
        "print(r.data_dir('ontology')); print(len(r.query_files()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, ontology_dir, query_count = result.stdout.split("\n")[:3]
    assert module_file.startswith(str(target))
    assert ontology_dir.startswith(str(target)) and ontology_dir.endswith("_data/ontology")
    assert int(query_count) == len(list((REPO / "queries").glob("*.rq")))
