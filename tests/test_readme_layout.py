"""README's layout block names every module of the tree, one line each, and nothing else."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("corpus", "ontology", "indexer", "pipeline", "web", "bench", "scripts")


def _layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## How it is built")
    fence = text.index("```\n", start)
    return text[fence + 4:text.index("```", fence + 4)]


def _listed() -> list[str]:
    return [m.group(1) for m in re.finditer(r"^(\S+\.(?:py|sh|ttl|toml))\s", _layout_block(), re.M)]


def _modules() -> set[str]:
    found = set()
    for folder in FOLDERS:
        for path in (ROOT / folder).glob("*"):
            if path.suffix in (".py", ".sh") and path.name != "__init__.py":
                found.add(f"{folder}/{path.name}")
    return found


def test_every_module_has_one_line_in_the_readme_layout():
    listed = _listed()
    assert len(listed) == len(set(listed)), "a module is listed twice"
    py = {m for m in listed if m.endswith((".py", ".sh"))}
    assert py == _modules(), (sorted(_modules() - py), sorted(py - _modules()))


def test_the_data_files_it_names_exist():
    for name in _listed():
        assert (ROOT / name).is_file(), name
