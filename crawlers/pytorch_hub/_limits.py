"""Names and input limits shared by the PyTorch Hub crawler's modules."""

from __future__ import annotations

SOURCE_NAME = "pytorch-hub"
HUB = "pytorch-hub"
VERSION = "0.1.0"
DEFAULT_LOCATION = "https://codeload.github.com/pytorch/hub/tar.gz/refs/heads/master"
PAGE_BASE = "https://pytorch.org/hub/"

#: A page larger than this is not read (real pages are under 20 kB); the record is flagged.
MAX_PAGE_BYTES = 2 * 1024**2
MAX_FRONT_MATTER_CHARS = 64_000
MAX_CALLS = 500
MAX_CALL_CHARS = 4_000
MAX_TAGS = 50
MAX_TABLES = 200
#: How many blocks before a table are searched for the dataset it reports on.
MAX_CONTEXT_BLOCKS = 12
#: The repository's top-level markdown files that are not model pages.
NOT_MODEL_PAGES = frozenset(
    {"readme.md", "contributing.md", "code_of_conduct.md", "license.md", "changelog.md"}
)
UNKNOWN_PREFIX = "page:"
