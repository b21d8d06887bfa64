"""Import pyld for offline use, without the network document loaders it loads eagerly.

``import pyld`` imports every document loader pyld ships (aiohttp, requests,
file, sqlite cache), and ``pyld.jsonld`` builds a default network loader at
import time; together that pulls in asyncio, ssl, sockets, http and email,
about a fifth of ``did-gov``'s start-up time. did_gov never uses them: it
always passes its own offline loader. :func:`install` is called by the CLI
before anything imports pyld. It registers the ``pyld`` package without
running its ``__init__`` (the names that ``__init__`` exports are still served,
imported on first use), and lets ``pyld.jsonld`` fall back to its
"no default document loader" loader, which refuses every URL. JSON-LD
processing is unchanged: the same modules run, only the unused ones are not
imported. Library users who import pyld themselves are not affected.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["install"]

# What pyld/__init__.py exports, and from where (pyld 3.3).
_EXPORTS = {
    "AioHttpDocumentLoader": "pyld.documentloader.aiohttp",
    "BUNDLED_CONTEXTS": "pyld.documentloader.frozen",
    "ContextResolver": "pyld.context_resolver",
    "DocumentLoader": "pyld.documentloader.base",
    "FileDocumentLoader": "pyld.documentloader.file",
    "FrozenDocumentLoader": "pyld.documentloader.frozen",
    "RemoteDocument": "pyld.documentloader.base",
    "RequestsDocumentLoader": "pyld.documentloader.requests",
    "SchemeDirectedDocumentLoader": "pyld.documentloader.scheme_directed",
    "SqliteCacheRequestsDocumentLoader": "pyld.documentloader.requests_sqlite_cache",
    "TypeDirectedDocumentLoader": "pyld.documentloader.type_directed",
}
_NETWORK_LOADERS = ("requests", "aiohttp")


def _no_network_loader(**kwargs: Any) -> Any:
    raise ImportError("did_gov loads pyld without network document loaders")


def install() -> bool:
    """Import ``pyld.jsonld`` without network loaders; False if pyld was already imported."""
    if "pyld" in sys.modules:
        return False
    spec = importlib.util.find_spec("pyld")
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return False
    package = importlib.util.module_from_spec(spec)

    def exported(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'pyld' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(package, name, value)
        return value

    vars(package)["__getattr__"] = exported  # PEP 562: served on first use
    vars(package)["__all__"] = [*_EXPORTS, "jsonld"]
    sys.modules["pyld"] = package
    documentloader = importlib.import_module("pyld.documentloader")  # an empty __init__
    stubs = []
    for name in _NETWORK_LOADERS:
        stub = types.ModuleType(f"pyld.documentloader.{name}")
        setattr(stub, f"{name}_document_loader", _no_network_loader)
        sys.modules[stub.__name__] = stub
        setattr(documentloader, name, stub)
        stubs.append(name)
    try:
        importlib.import_module("pyld.jsonld")
    finally:
        for name in stubs:  # a later explicit import gets the real module
            del sys.modules[f"pyld.documentloader.{name}"]
            delattr(documentloader, name)
    return True
