"""The exports other tools read (`policykg export …`): one dict per row, fields per DESIGN.md."""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

from indexer.generation import Generation

DOCUMENT_FIELDS = ("doc", "uri", "title", "number", "issuer", "level", "region", "date",
                   "status", "period", "key", "provisions")
PROVISION_FIELDS = ("id", "uri", "doc", "level", "kind", "number", "heading", "text",
                    "parent", "departments", "targets", "cites", "aligned", "path",
                    "start", "end", "depth", "annex")


def documents(gen: Generation) -> Iterator[dict]:
    for d in gen.documents:
        yield {k: d.get(k) for k in DOCUMENT_FIELDS}


def provisions(gen: Generation) -> Iterator[dict]:
    facts = getattr(gen, "provision_facts", None)
    for p in gen.provisions:
        row = {k: p.get(k) for k in PROVISION_FIELDS}
        extra = facts(p["id"]) if facts else {}
        row["departments"] = extra.get("departments", {"lead": [], "participants": []})
        row["targets"] = extra.get("targets", [])
        row["cites"] = extra.get("cites", [])
        row["aligned"] = extra.get("aligned", [])
        yield row


EXPORTS = {"documents": documents, "provisions": provisions}


def to_jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def to_csv(rows: Iterable[dict]) -> Iterator[str]:
    """CSV with one column per field; nested values are written as JSON."""
    buf = io.StringIO()
    writer = None
    for row in rows:
        flat = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                for k, v in row.items()}
        if writer is None:
            writer = csv.DictWriter(buf, fieldnames=list(flat))
            writer.writeheader()
        writer.writerow(flat)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
