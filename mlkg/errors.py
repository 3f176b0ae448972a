"""Every exception mlkg raises.

One root, :class:`MlkgError`; each subclass also inherits the builtin it refines, so callers that
catch ``FileNotFoundError`` or ``ValueError`` keep working. Errors carry the context a user needs to
act on them (source, record id, URL).
"""

from __future__ import annotations


class MlkgError(Exception):
    """Root of all mlkg errors."""


class ConfigurationError(MlkgError, ValueError):
    """A setting has a value mlkg cannot use."""


class UnknownSourceError(MlkgError, KeyError):
    """A source name that no crawler is registered for."""

    def __init__(self, name: str, known: list[str]):
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown source {self.name!r}; known sources: {', '.join(self.known)}"


class SourceNotFoundError(MlkgError, FileNotFoundError):
    """The location given to a crawler (folder, file or URL) does not exist."""

    def __init__(self, location: str, *, source: str | None = None):
        super().__init__(
            f"{location}: no such file, folder or URL" + (f" for {source}" if source else "")
        )
        self.location = location
        self.source = source


class FetchError(MlkgError, OSError):
    """A zoo answered with an error we cannot retry past."""

    def __init__(
        self, message: str, *, url: str, status: int | None = None, record_id: str | None = None
    ):
        super().__init__(message)
        self.url = url
        self.status = status
        self.record_id = record_id


class InvalidIdError(MlkgError, ValueError):
    """A zoo id that cannot be turned into an IRI (empty, control characters, too long)."""


class StoreError(MlkgError, OSError):
    """The store cannot be opened or written (locked by another process, wrong base IRI, ...)."""


class QueryError(MlkgError, ValueError):
    """A SPARQL query that cannot be parsed or run; the message carries the parser's position."""


class NamedQueryNotFoundError(MlkgError, LookupError):
    """``mlkg query NAME`` where NAME is neither a file nor a query in queries/."""


class ShapeCompilationError(MlkgError, ValueError):
    """A SHACL shape uses a feature the SPARQL validator does not implement."""


class OptimizerError(MlkgError, ValueError):
    """Input the query optimizer cannot plan for; the message says what to change."""


class FormulaSyntaxError(OptimizerError):
    """A query formula that does not parse; carries the text and the 0-based column."""

    def __init__(self, message: str, *, text: str, position: int):
        pointer = f"\n  {text}\n  {' ' * position}^" if len(text) <= 200 else ""
        super().__init__(f"{message} at column {position + 1}{pointer}")
        self.text = text
        self.position = position


class UnknownLabelError(OptimizerError, LookupError):
    """Query labels no candidate model answers (with close names the zoo does know)."""

    def __init__(self, labels: list[str], suggestions: dict[str, list[str]] | None = None):
        self.labels = labels
        self.suggestions = suggestions or {}
        hints = "; ".join(
            f"{label}: did you mean {', '.join(names)}?"
            for label, names in self.suggestions.items()
            if names
        )
        super().__init__(
            f"no candidate model answers label(s) {', '.join(labels)}"
            + (f" ({hints})" if hints else "")
        )

    def __str__(self) -> str:
        return self.args[0]


class EmptyZooError(OptimizerError, LookupError):
    """No candidate models at all: nothing imported, or the filters removed every model."""


class MissingSelectivityError(OptimizerError, LookupError):
    """The order-aware cost needs a label's selectivity and the graph has none for it."""


class UnsupportedFormulaError(OptimizerError):
    """A formula the requested cost model cannot handle (e.g. nested, for --order)."""


class ProfileFormatError(MlkgError, ValueError):
    """A profiled-zoo or label-statistics file that cannot be read; carries path and line."""

    def __init__(self, message: str, *, path: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
