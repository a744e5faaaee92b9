"""The pages' shared pieces: a generation's lookups (PageLookups, made once per
generation), NotFound, paging, and a provision's link and breadcrumb.

Separate from the page families (document_views, provision_views, department_views,
target_views, alignment_views, graph_view), which each build one kind of page from these:
every family needs them, none needs another's.  Everything here reads the generation's
catalog (pipeline.catalog: provisions, facts, export rows, looked up in SQLite per request,
not held in each worker's memory); nothing writes.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

from policykg.pipeline.generation import Generation


class NotFound(LookupError):
    """No such document, provision, department or indicator in this generation."""


# ---- lookups cached per generation ------------------------------------------------------------

class PageLookups:
    """What the pages look up in one generation: its SQLite catalog (pipeline.catalog:
    provisions, facts, export rows, looked up per request rather than held in memory)
    and its documents by file name."""

    def __init__(self, gen: Generation):
        self.gen = gen
        self.db = gen.catalog
        self.docs = {d["doc"]: d for d in gen.documents}
        # Generation.document's three names of a document, looked up rather than scanned
        # (the first document carrying a name keeps it, as the scan finds it first).
        self._names: dict[str, dict] = {}
        for d in gen.documents:
            for name in (d["doc"], d["key"], d["doc"].rsplit(".", 1)[0]):
                self._names.setdefault(name, d)

    def document(self, ref: str) -> dict | None:
        """A document by its file name, key or file stem (Generation.document)."""
        return self._names.get(ref)

    def has_department(self, did: str) -> bool:
        return self.db.department_head(did) is not None

    def dept_ref(self, name: str) -> dict:
        did = self.db.department_id(name)
        d = self.db.department_head(did) if did else None
        return {"id": did, "name": d["name"] if d else name,
                "level": d["level"] if d else None}

    def dept_refs(self, names: Iterable[str]) -> dict[str, dict]:
        """dept_ref of many names, looked up together (a matrix names dozens)."""
        names = set(names)
        found = self.db.department_refs(names)
        return {n: found.get(n) or {"id": None, "name": n, "level": None} for n in names}


@functools.lru_cache(maxsize=2)
def lookups(gen: Generation) -> PageLookups:
    """The generation's lookups, made once per generation (the current and the previous
    one while requests on it finish)."""
    return PageLookups(gen)


# ---- small pieces ---------------------------------------------------------------------------------

def provision_ref(cat: PageLookups, pid: str, refs: dict[str, dict] | None = None) -> dict:
    """A link to a provision; `refs` are the provisions' refs fetched beforehand (one
    query for a page's many links), else it is looked up."""
    p = refs.get(pid) if refs is not None else cat.db.ref(pid)
    if p is None:
        return {"id": pid, "heading": pid, "missing": True}
    doc = cat.docs.get(p["doc"], {})
    return {"id": pid, "doc": p["doc"], "doc_title": doc.get("title"), "level": p["level"],
            "kind": p["kind"], "number": p["number"], "heading": p["heading"]}


def breadcrumb(cat: PageLookups, pid: str) -> list[dict]:
    trail, cur = [], cat.db.ref(pid)
    while cur is not None:
        trail.append({"id": cur["id"], "number": cur["number"], "heading": cur["heading"],
                      "kind": cur["kind"]})
        cur = cat.db.ref(cur["parent"]) if cur["parent"] else None
    return list(reversed(trail))


# ---- paging ------------------------------------------------------------------------------------

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Paging:
    """Which page of a long list to show (1-based); the routes check the numbers."""

    page: int = 1
    size: int = PAGE_SIZE

    def slice(self, items: Sequence) -> list:
        start = (self.page - 1) * self.size
        return list(items[start:start + self.size])

    def totals(self, total: int) -> dict:
        return {"total": total, "page": self.page, "size": self.size,
                "pages": max(1, -(-total // self.size))}
