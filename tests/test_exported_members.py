"""``observatory.__all__`` and the module's public names agree, in both directions (as httpx checks).

A name that is public but not in ``__all__`` is an accident users will import and
we will break; a name in ``__all__`` that does not resolve is a broken promise.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import observatory

INTEGRATIONS = Path(__file__).resolve().parents[1] / "integrations"


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_every_name_in_all_resolves() -> None:
    for name in observatory.__all__:
        assert getattr(observatory, name) is not None, name


def test_every_public_name_is_in_all() -> None:
    for name in observatory.__all__:  # the lazy names land in the module once read
        getattr(observatory, name)
    assert _public_names(observatory) == set(observatory.__all__)


def test_a_fresh_import_exposes_only_all() -> None:
    # Before anything lazy is read, the module holds a subset of __all__ and nothing else.
    code = (
        "import types, observatory; "
        "names = {n for n, v in vars(observatory).items() if not n.startswith('_') "
        "and not isinstance(v, types.ModuleType)}; "
        "extra = names - set(observatory.__all__); assert not extra, extra"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_all_is_sorted_and_unique() -> None:
    assert observatory.__all__ == sorted(set(observatory.__all__))


def test_init_module_only_re_exports() -> None:
    tree = ast.parse(Path(observatory.__file__).read_text())
    defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    assert defined == []


def test_transport_is_exported_since_init_takes_one() -> None:
    import inspect

    assert "transport" in inspect.signature(observatory.init).parameters
    assert "Transport" in observatory.__all__


def _private_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "observatory" and any(p.startswith("_") for p in parts[1:]):
                found.append(f"{path.name}: from {node.module} import ...")
            if node.module == "observatory":
                found += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [f"{path.name}: import {a.name}" for a in node.names
                      if a.name.startswith("observatory.") and any(p.startswith("_") for p in a.name.split(".")[1:])]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "observatory":
            if node.attr.startswith("_"):
                found.append(f"{path.name}: observatory.{node.attr}")
    return found


def test_integrations_use_only_public_names() -> None:
    files = sorted(INTEGRATIONS.glob("*.py"))
    assert files
    uses = [use for path in files for use in _private_uses(path)]
    assert uses == []
