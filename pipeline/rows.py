"""The rows a generation's documents.json and provisions.jsonl hold: one per document and
one per provision, with their IRIs; written by a build and kept in step by an add."""
from __future__ import annotations

import dataclasses
from typing import Sequence

from policykg.corpus.records import Document
from policykg.ontology.namespaces import doc_iri, provision_iri


def provision_rows(doc: Document) -> list[dict]:
    meta = doc.meta
    rows = []
    for p in doc.provisions:
        row = dataclasses.asdict(p)
        row["cells"], row["columns"] = list(p.cells), list(p.columns)
        row["children"] = list(p.children)
        row["level"] = meta.level
        row["uri"] = str(provision_iri(meta.key, p.path))
        rows.append(row)
    return rows


def document_rows(docs: Sequence[Document]) -> list[dict]:
    rows = []
    for doc in docs:
        row = doc.meta.to_dict()
        row.update(key=doc.meta.key, uri=str(doc_iri(doc.meta.key)),
                   provisions=len(doc.provisions), chars=len(doc.source))
        rows.append(row)
    return rows
