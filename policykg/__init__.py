"""政策图谱 (policykg): a knowledge graph and search service over Chinese policy texts.

The package maps the project's top-level folders (corpus, ontology, indexer, pipeline, web)
as policykg.corpus … policykg.web (pyproject's package-dir). `import policykg` gives the
library surface: DataDir, build, add, remove, search (policykg.pipeline.public).
"""
from __future__ import annotations

import importlib

__all__ = ["DataDir", "build", "add", "remove", "search"]


def __getattr__(name: str):
    # Loaded on first use (PEP 562), not at `import policykg`: every submodule import goes
    # through this package, and a worker or a store child process that needs only
    # policykg.corpus must not pay for the whole pipeline.
    if name in __all__:
        return getattr(importlib.import_module("policykg.pipeline.public"), name)
    raise AttributeError(f"module 'policykg' has no attribute {name!r}")
