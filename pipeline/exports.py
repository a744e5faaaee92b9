"""The exports other tools read (`policykg export …`): one dict per row, fields per DESIGN.md."""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

from policykg.corpus.text import spreadsheet_safe
from policykg.pipeline.generation import Generation
from policykg.ontology.namespaces import PREFIXES

DOCUMENT_FIELDS = ("doc", "uri", "title", "number", "issuer", "issuers", "level", "region",
                   "date", "status", "period", "key", "provisions", "unsettled")
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


# ---- the graph exports (rows written by the "graph" build stage) ---------------------------

DEPARTMENT_FIELDS = ("id", "uri", "name", "aliases", "level", "region", "parent", "tasks",
                     "parent_name", "superior", "line", "kind", "sector", "mentions")
CITATION_FIELDS = ("doc", "provision", "title", "number", "target", "resolves_to",
                   "cited_title", "start", "end")
TARGET_FIELDS = ("doc", "provision", "indicator", "unit", "target", "baseline", "cumulative",
                 "attribute", "indicator_key", "uri", "relative", "baseline_year")
ALIGNMENT_FIELDS = ("higher", "lower", "kind", "score", "evidence", "higher_doc", "lower_doc",
                    "comparison", "indicator")


def _graph_rows(name: str, fields: tuple[str, ...]):
    def rows(gen: Generation) -> Iterator[dict]:
        for row in gen.graph_rows(name):
            yield {k: row.get(k) for k in fields}
    rows.__name__ = name
    rows.__doc__ = f"One row per {name[:-1]}: {', '.join(fields)}."
    return rows


departments = _graph_rows("departments", DEPARTMENT_FIELDS)
citations = _graph_rows("citations", CITATION_FIELDS)
targets = _graph_rows("targets", TARGET_FIELDS)
alignments = _graph_rows("alignments", ALIGNMENT_FIELDS)

EXPORTS = {"documents": documents, "provisions": provisions, "departments": departments,
           "citations": citations, "targets": targets, "alignments": alignments}

# The whole graph as RDF (`policykg export graph --format ttl|jsonld|nt`).
RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt"}


def rdf_export(gen: Generation, fmt: str = "ttl") -> str:
    """The generation's graph serialised as Turtle, JSON-LD (compacted with the project's
    prefixes as its @context) or N-Triples."""
    if fmt not in RDF_FORMATS:
        raise ValueError(f"graph export formats: {', '.join(RDF_FORMATS)}")
    graph = gen.graph
    if fmt == "jsonld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, auto_compact=True)
    return graph.serialize(format=RDF_FORMATS[fmt])


def _cell(value):
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return spreadsheet_safe(value) if isinstance(value, str) else value


def to_jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def to_csv(rows: Iterable[dict]) -> Iterator[str]:
    """CSV with one column per field; nested values are written as JSON, and text that a
    spreadsheet would run as a formula (= + - @ …) with a leading '."""
    buf = io.StringIO()
    writer = None
    for row in rows:
        flat = {k: _cell(v) for k, v in row.items()}
        if writer is None:
            writer = csv.DictWriter(buf, fieldnames=list(flat))
            writer.writeheader()
        writer.writerow(flat)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
