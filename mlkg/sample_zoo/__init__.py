"""The project's own small, hand-written sample zoo: one folder per source, in each zoo's own
format. It feeds ``mlkg demo``, the README and the unit tests, and ships with the package so a
fresh install works offline."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent


def sample_sources() -> dict[str, Path]:
    """Source name → its sample folder (usable as ``mlkg build SOURCE --from FOLDER``)."""
    from crawlers import source_names

    return {name: SAMPLE_DIR / name for name in source_names() if (SAMPLE_DIR / name).is_dir()}
