"""``GET /openapi.json``: the OpenAPI 3.1 document (package data, a copy of ``specs/service.openapi.json``)."""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["openapi_document"]


@functools.cache
def openapi_document() -> bytes:
    """The document's bytes, exactly as committed."""
    return resources.files("did_gov.service").joinpath("openapi.json").read_bytes()
