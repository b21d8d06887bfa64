"""The README's Python examples and every docstring example run as tests."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import did_gov
from tests.conftest import ROOT


def _modules() -> list[str]:
    names = ["did_gov"]
    for info in pkgutil.walk_packages(did_gov.__path__, "did_gov."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("index", range(len(_readme_blocks())))
def test_readme_python_examples(index: int) -> None:
    code = _readme_blocks()[index]
    exec(compile(code, f"README.md[python block {index}]", "exec"), {"__name__": "readme"})  # noqa: S102


@pytest.mark.parametrize("name", _modules())
def test_public_names_have_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    for public in getattr(module, "__all__", []):
        obj = getattr(module, public)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name}.{public} has no docstring"
