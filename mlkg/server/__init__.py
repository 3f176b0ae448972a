"""The SPARQL server: the SPARQL 1.1 Protocol, the Graph Store Protocol and the web app.

Kept free of imports so worker processes (which import :mod:`mlkg.server.execute`) start
without loading Flask; use :func:`mlkg.server.app.create_app`.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """See :func:`mlkg.server.app.create_app`."""
    from mlkg.server.app import create_app as _create_app

    return _create_app(*args, **kwargs)
