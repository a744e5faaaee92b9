"""The catalog: one SQLite file per generation holding what the pages look up.

A generation's provisions (provisions.jsonl), their graph facts (facts.json or the
per-document fragments an add leaves) and the export rows (departments, targets,
citations, alignments) used to be read into every server process as Python dicts —
gigabytes per worker at a few thousand documents.  They are written once more, here,
into `catalog.sqlite` with the indexes the pages need (by id, document, parent,
department name, indicator, higher and lower provision); a worker opens it read-only and
asks for the few rows a request shows, and the operating system's page cache is shared
by all the workers.

Every row keeps the JSON it was written with (the line of its export file), so what a
page or an export reads back is the same data; a few columns beside it exist only to be
looked up or sorted by.  Rows are ordered as in their files: provisions, facts, targets
and citations by (the document's place in documents.json, their place in the document's
share), departments by their line, alignments by their line numbered SEQ_GAP apart.  So
an add replaces one document's share without renumbering the others, and puts its
alignment rows in between the others (pipeline.update, pipeline.outputs).

The file is written beside the other outputs under a temporary name and renamed into
place when complete; it is never modified afterwards (pipeline.catalog_reader opens it
with `immutable=1`).  This module writes it; reading it is pipeline.catalog_reader's.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from policykg.ontology.graph_files import FACTS_FILE, ROW_FILES
from policykg.pipeline import layout

CATALOG_FILE = layout.CATALOG

log = logging.getLogger("policykg.catalog")



_TABLES = """
CREATE TABLE info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents(doc TEXT PRIMARY KEY, rank INTEGER NOT NULL);
CREATE TABLE provisions(id TEXT NOT NULL, doc TEXT NOT NULL, pos INTEGER NOT NULL,
    parent TEXT, level TEXT, kind TEXT, number TEXT, heading TEXT, ord INTEGER,
    json TEXT NOT NULL);
CREATE TABLE facts(id TEXT NOT NULL, doc TEXT, pos INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE departments(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, superior TEXT,
    name TEXT, level TEXT, region TEXT, kind TEXT, lead INTEGER, participant INTEGER,
    mentions INTEGER, json TEXT NOT NULL);
CREATE TABLE department_names(name TEXT PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE targets(doc TEXT NOT NULL, pos INTEGER NOT NULL, indicator_key TEXT,
    indicator TEXT, json TEXT NOT NULL);
CREATE TABLE citations(doc TEXT NOT NULL, pos INTEGER NOT NULL, resolves_to TEXT,
    json TEXT NOT NULL);
CREATE TABLE alignments(seq INTEGER PRIMARY KEY, higher TEXT NOT NULL, lower TEXT NOT NULL,
    json TEXT NOT NULL);
"""

# Made after the rows are in (faster than keeping them up to date row by row).
_INDEXES = """
CREATE INDEX provisions_doc ON provisions(doc, pos);
CREATE INDEX provisions_parent ON provisions(parent, pos);
CREATE UNIQUE INDEX facts_id ON facts(id);
CREATE INDEX facts_doc ON facts(doc, pos);
CREATE INDEX departments_id ON departments(id);
CREATE INDEX departments_superior ON departments(superior);
CREATE INDEX targets_doc ON targets(doc, pos);
CREATE INDEX targets_key ON targets(indicator_key);
CREATE INDEX targets_indicator ON targets(indicator);
CREATE INDEX citations_doc ON citations(doc, pos);
CREATE INDEX citations_to ON citations(resolves_to);
CREATE INDEX alignments_higher ON alignments(higher, seq);
CREATE INDEX alignments_lower ON alignments(lower, seq);
"""


# ---- writing -------------------------------------------------------------------------------------

def _connect_for_writing(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), isolation_level=None)
    # The file is not live until renamed into place (and the store fsyncs the generation):
    # no journal, no syncs while writing.
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA temp_store=MEMORY")
    return con


def _lines(path: Path) -> Iterator[str]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip("\n")


def _put_provisions(con: sqlite3.Connection, lines: Iterable[str]) -> None:
    """Provision lines of many documents, each numbered from 0 within its document."""
    counts: dict[str, int] = {}

    def values():
        for line in lines:
            p = json.loads(line)
            pos = counts[p["doc"]] = counts.get(p["doc"], -1) + 1
            yield (p["id"], p["doc"], pos, p.get("parent"), p.get("level"), p.get("kind"),
                   p.get("number"), p.get("heading"), p.get("order"), line)
    con.executemany("INSERT INTO provisions VALUES (?,?,?,?,?,?,?,?,?,?)", values())


def _put_facts(con: sqlite3.Connection, doc: str | None, facts: dict[str, dict],
               start: int = 0) -> None:
    """One document's facts (`doc` None: facts.json's, whose document is filled in
    afterwards from the provisions)."""
    con.executemany("INSERT INTO facts VALUES (?,?,?,?)",
                    ((pid, doc, pos, json.dumps(value, ensure_ascii=False))
                     for pos, (pid, value) in enumerate(facts.items(), start)))


def _put_documents(con: sqlite3.Connection, folder: Path) -> list[str]:
    docs = [d["doc"] for d in json.loads((folder / "documents.json").read_text(encoding="utf-8"))]
    con.execute("DELETE FROM documents")
    con.executemany("INSERT INTO documents VALUES (?,?)", ((d, i) for i, d in enumerate(docs)))
    return docs


def _put_departments(con: sqlite3.Connection, lines: Iterable[str]) -> None:
    _put_department_rows(con, ((json.loads(line), line) for line in lines))


def _put_department_rows(con: sqlite3.Connection, rows: Iterable[tuple[dict, str]]) -> None:
    """Department rows (each as a dict and as its line) with what the list page shows as
    columns, and every name and alias → id (the first department to carry a name keeps
    it, as the pages always did)."""
    con.execute("DELETE FROM departments")
    con.execute("DELETE FROM department_names")
    names: dict[str, str] = {}
    values = []
    for seq, (d, line) in enumerate(rows):
        tasks = d.get("tasks", [])
        lead = sum(t["role"] == "lead" for t in tasks)
        values.append((seq, d["id"], d.get("superior"), d["name"], d.get("level"),
                       d.get("region"), d.get("kind"), lead, len(tasks) - lead,
                       len(d.get("mentions", [])), line))
        for name in [d["name"], *d.get("aliases", [])]:
            names.setdefault(name, d["id"])
    con.executemany("INSERT INTO departments VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
    con.executemany("INSERT INTO department_names VALUES (?,?)", names.items())


# Alignment rows are numbered SEQ_GAP apart: only their order is ever read (ORDER BY seq),
# and the gaps let an add put its rows in between instead of numbering 140,000 rows again
# (update_alignments).
SEQ_GAP = 1 << 16


def _put_alignments(con: sqlite3.Connection, lines: Iterable[str]) -> None:
    def rows():
        for line in lines:
            a = json.loads(line)
            yield a["higher"], a["lower"], line
    put_alignment_rows(con, rows())


def put_alignment_rows(con: sqlite3.Connection, rows: Iterable[tuple[str, str, str]]) -> None:
    """The whole alignments table: (higher, lower, line) in order."""
    con.execute("DELETE FROM alignments")
    con.executemany("INSERT INTO alignments VALUES (?,?,?,?)",
                    ((seq * SEQ_GAP, *row) for seq, row in enumerate(rows)))


def alignment_differences(old: Sequence[str], new: Sequence[str]) -> tuple[Counter, Counter]:
    """(lines of `old` not in `new`, lines of `new` not in `old`), counted with
    multiplicity.  The rows are nearly always distinct: then two set differences (in C)
    say it, instead of counting 140,000 lines through Counter.subtract's Python loop."""
    old_set, new_set = set(old), set(new)
    if len(old_set) == len(old) and len(new_set) == len(new):
        return Counter(old_set - new_set), Counter(new_set - old_set)
    gone = Counter(old)
    gone.subtract(new)
    fresh = Counter(new)
    fresh.subtract(old)
    return gone, fresh


def update_alignments(con: sqlite3.Connection, rows: Sequence[tuple[str, str, str]]) -> bool:
    """Make the alignments table hold `rows` (higher, lower, line; in order) by deleting
    the rows no longer there and numbering the new ones into the gaps between the rows
    they come between.  False, with nothing changed, when the rows kept do not keep their
    order or a gap is too narrow (the caller then writes the table whole)."""
    old = con.execute("SELECT seq, json FROM alignments ORDER BY seq").fetchall()
    new = [line for _, _, line in rows]
    gone, fresh = alignment_differences([line for _, line in old], new)
    deletes: list[int] = []
    inserts: list[tuple[int, tuple[str, str, str]]] = []
    pending: list[int] = []                   # new rows since the last row kept
    last: int | None = None                   # seq of the last row kept

    def place(upto: int | None) -> bool:
        if not pending:
            return True
        if last is None and upto is None:
            return False
        lo = last if last is not None else upto - (len(pending) + 1) * SEQ_GAP
        hi = upto if upto is not None else lo + (len(pending) + 1) * SEQ_GAP
        if hi - lo <= len(pending):
            return False
        step = len(pending) + 1
        inserts.extend((lo + (hi - lo) * k // step, rows[j]) for k, j in enumerate(pending, 1))
        pending.clear()
        return True

    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and old[i][1] == new[j]:
            if not place(old[i][0]):
                return False
            last = old[i][0]
            i, j = i + 1, j + 1
        elif i < len(old) and gone[old[i][1]] > 0:
            gone[old[i][1]] -= 1
            deletes.append(old[i][0])
            i += 1
        elif j < len(new) and fresh[new[j]] > 0:
            fresh[new[j]] -= 1
            pending.append(j)
            j += 1
        else:
            return False                      # the rows kept changed their order
    if not place(None):
        return False
    con.executemany("DELETE FROM alignments WHERE seq = ?", ((s,) for s in deletes))
    con.executemany("INSERT INTO alignments VALUES (?,?,?,?)",
                    ((seq, *row) for seq, row in inserts))
    return True


def _put_doc_rows(con: sqlite3.Connection, table: str, lines: Iterable[str],
                  doc: str | None = None) -> None:
    """Target or citation rows, numbered within their document (`doc`, else each row's)."""
    counts: dict[str, int] = {}

    def values():
        for line in lines:
            row = json.loads(line)
            owner = doc or row["doc"]
            pos = counts[owner] = counts.get(owner, -1) + 1
            if table == "targets":
                yield owner, pos, row.get("indicator_key"), row.get("indicator"), line
            else:
                yield owner, pos, row.get("resolves_to"), line
    marks = ",".join("?" * (5 if table == "targets" else 4))
    con.executemany(f"INSERT INTO {table} VALUES ({marks})", values())


def read_fact_parts(folder: Path, docs: Iterable[str]) -> Iterator[tuple[str | None, dict]]:
    """(document, its provisions' facts) of a generation: each document's fragment the
    incremental state keeps (pipeline.state; facts.json is their join), one at a
    time — facts.json whole is ~0.4 GB of objects at 2,000 documents, the build's peak
    when read at once; facts.json (one part, document unknown) for a generation without
    the state."""
    path = folder / FACTS_FILE
    if path.is_file() and not (folder / "incr" / "doc").is_dir():
        yield None, json.loads(path.read_text(encoding="utf-8"))
        return
    for doc in docs:
        fragment = folder / "incr" / "doc" / f"{doc}.facts"
        text = fragment.read_text(encoding="utf-8") if fragment.is_file() else ""
        yield doc, json.loads("{" + text + "}")


def write_catalog(folder: Path, out: Path | None = None) -> Path:
    """The catalog of the generation in `folder`, written from its files into `out`
    (default: folder/catalog.sqlite, renamed into place once complete)."""
    out = out if out is not None else folder / CATALOG_FILE
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = _connect_for_writing(tmp)
    try:
        con.executescript(_TABLES)
        con.execute("BEGIN")
        docs = _put_documents(con, folder)
        _put_provisions(con, _lines(folder / "provisions.jsonl"))
        pos = 0
        for doc, facts in read_fact_parts(folder, docs):
            _put_facts(con, doc, facts, pos)
            pos += len(facts)
        # facts.json does not say whose facts they are: the provision does (indexed first,
        # else this join is quadratic).
        con.execute("CREATE UNIQUE INDEX provisions_id ON provisions(id)")
        con.execute("UPDATE facts SET doc = (SELECT doc FROM provisions p WHERE p.id = facts.id)"
                    " WHERE doc IS NULL")
        files = ROW_FILES
        _put_departments(con, _lines(folder / files["departments"]))
        _put_doc_rows(con, "targets", _lines(folder / files["targets"]))
        _put_doc_rows(con, "citations", _lines(folder / files["citations"]))
        _put_alignments(con, _lines(folder / files["alignments"]))
        # The generation's format (the row keeps the name it had when the catalog had a
        # number of its own, 1 as the format is: catalogs written then still read).
        con.execute("INSERT INTO info VALUES ('schema', ?)", (str(layout.FORMAT),))
        con.execute("COMMIT")
        con.executescript(_INDEXES)
    finally:
        con.close()
    os.replace(tmp, out)
    return out


def catalog_stage(ctx) -> None:
    """Build stage "catalog": written last, from the files the other stages wrote."""
    write_catalog(ctx.folder)


@dataclass(frozen=True)
class CatalogChange:
    """What an add or a remove changed, document by document (pipeline.outputs):
    the documents whose provisions go out or come in, and the new facts, target rows and
    citation rows of the documents whose share of them was rewritten.  Departments are
    put in again whole (an add rewrites their file whole), from `departments` when given,
    else read from the new generation's file; alignments likewise, except that rows given
    in `alignments` are applied as a delta when the rows kept keep their order
    (update_alignments)."""

    removed: frozenset[str] = frozenset()
    provisions: dict[str, list[dict]] = field(default_factory=dict)
    facts: dict[str, dict[str, dict]] = field(default_factory=dict)
    targets: dict[str, list[str]] = field(default_factory=dict)
    citations: dict[str, list[str]] = field(default_factory=dict)
    # Every alignment row as (higher, lower, line), in the file's order, when the caller
    # has them at hand (pipeline.outputs): the file is then not read and parsed again.
    alignments: list[tuple[str, str, str]] | None = None
    # Likewise every department row as (the row, its line), in the file's order.
    departments: list[tuple[dict, str]] | None = None


def update_catalog(old: Path, new: Path, change: CatalogChange) -> Path:
    """new/catalog.sqlite: a copy of old/catalog.sqlite with `change` applied (the
    provisions, facts and rows of the other documents are not read again)."""
    out = new / CATALOG_FILE
    tmp = out.with_name(out.name + ".tmp")
    shutil.copyfile(old / CATALOG_FILE, tmp)
    con = _connect_for_writing(tmp)
    try:
        con.execute("BEGIN")
        _put_documents(con, new)
        for doc in (*change.removed, *change.provisions):
            con.execute("DELETE FROM provisions WHERE doc = ?", (doc,))
        for doc, rows in change.provisions.items():
            _put_provisions(con, (json.dumps(r, ensure_ascii=False) for r in rows))
        for doc in change.removed:
            for table in ("facts", "targets", "citations"):
                con.execute(f"DELETE FROM {table} WHERE doc = ?", (doc,))
        for doc, facts in change.facts.items():
            con.execute("DELETE FROM facts WHERE doc = ?", (doc,))
            _put_facts(con, doc, facts)
        for table, parts in (("targets", change.targets), ("citations", change.citations)):
            for doc, lines in parts.items():
                con.execute(f"DELETE FROM {table} WHERE doc = ?", (doc,))
                _put_doc_rows(con, table, lines, doc)
        if change.departments is not None:
            _put_department_rows(con, change.departments)
        else:
            _put_departments(con, _lines(new / ROW_FILES["departments"]))
        if change.alignments is not None:
            if not update_alignments(con, change.alignments):
                put_alignment_rows(con, change.alignments)
        else:
            _put_alignments(con, _lines(new / ROW_FILES["alignments"]))
        con.execute("COMMIT")
    finally:
        con.close()
    os.replace(tmp, out)
    return out
