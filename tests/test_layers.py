"""The package as installed: one top-level `policykg`, layers that point one way
(import-linter's contract in pyproject.toml), no import cycle among project modules, and no
project import hidden inside a function.

The installed copy is what these read: grimp (import-linter's scanner) walks a package's
folder, and in the source tree `policykg`'s subpackages live in the top-level folders
(setuptools package-dir)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("corpus", "ontology", "indexer", "pipeline", "web")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(target), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def _env(site: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(site)}


def test_one_top_level_package(installed):
    top = {p.name for p in installed.iterdir() if not p.name.endswith(".dist-info")}
    assert top - {"bin"} == {"policykg"}


def test_another_top_level_web_package_beside_it_changes_nothing(installed, tmp_path):
    # What `pip install web.py` would put beside us: a top-level `web` of its own.
    (installed / "web").mkdir(exist_ok=True)
    (installed / "web" / "__init__.py").write_text("raise ImportError('not ours')\n")
    try:
        proc = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--help"], cwd=tmp_path,
                              env=_env(installed), capture_output=True, text=True, timeout=60)
    finally:
        (installed / "web" / "__init__.py").unlink()
        (installed / "web").rmdir()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "build" in proc.stdout and "serve" in proc.stdout


def test_the_library_surface(installed, tmp_path):
    code = "import policykg; print(sorted(n for n in policykg.__all__ if callable(getattr(policykg, n))))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(installed),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "['DataDir', 'add', 'build', 'remove', 'search']", proc.stderr


def test_layers_point_one_way(installed):
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), str(ROOT / "pyproject.toml")], cwd=installed,
                          env=_env(installed), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_no_import_cycle(installed, monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    graph = grimp.build_graph("policykg", cache_dir=None)
    edges = nx.DiGraph([(m, d) for m in graph.modules
                        for d in graph.find_modules_directly_imported_by(m)])
    cycles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert cycles == []


def _inner_project_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("policykg"):
                    found.append(sub.lineno)
                if isinstance(sub, ast.Import) and any(a.name.startswith("policykg") for a in sub.names):
                    found.append(sub.lineno)
    return found


def test_no_project_import_inside_a_function():
    found = {f"{path.relative_to(ROOT)}": lines
             for folder in FOLDERS for path in sorted((ROOT / folder).glob("*.py"))
             if (lines := _inner_project_imports(path))}
    assert found == {}


def _private_reaches(path: Path) -> list[str]:
    """Where a test module uses a private name of a project module: imported by name, read
    as an attribute of the module, or patched by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()          # local names bound to project modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("policykg"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.lineno}: imports {alias.name}")
                if node.module.count(".") == 1:        # from policykg.<layer> import <module>
                    modules.add(alias.asname or alias.name)
        if isinstance(node, ast.Import):
            modules.update(a.asname for a in node.names if a.name.startswith("policykg.") and a.asname)
    private = lambda name: name.startswith("_") and not name.startswith("__")   # noqa: E731
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in modules and private(node.attr):
            found.append(f"{node.lineno}: reads {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "setattr" \
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in modules and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and private(node.args[1].value):
            found.append(f"{node.lineno}: patches {node.args[0].id}.{node.args[1].value}")
    return found


def test_no_test_reaches_into_a_private_name_of_another_module():
    found = {path.name: lines for path in sorted((ROOT / "tests").glob("*.py"))
             if (lines := _private_reaches(path))}
    assert found == {}
