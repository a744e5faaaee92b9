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
place when complete; it is never modified afterwards (opened with `immutable=1`).  A
generation built before the catalog existed has none: `open_catalog` then writes one from
its files into a private temporary file (slower to start; `policykg build` writes it).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from policykg.ontology.graph_files import ROW_FILES
from policykg.ontology.graph_files import FACTS_FILE
from policykg.corpus.files import NotBuilt
from policykg.pipeline import layout

CATALOG_FILE = layout.CATALOG

log = logging.getLogger("policykg.catalog")


def _row_files() -> dict[str, str]:
    # ontology.graph_files names the export files; imported late, it brings rdflib.
    return ROW_FILES

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
        files = _row_files()
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
            _put_departments(con, _lines(new / _row_files()["departments"]))
        if change.alignments is not None:
            if not update_alignments(con, change.alignments):
                put_alignment_rows(con, change.alignments)
        else:
            _put_alignments(con, _lines(new / _row_files()["alignments"]))
        con.execute("COMMIT")
    finally:
        con.close()
    os.replace(tmp, out)
    return out


# ---- reading -------------------------------------------------------------------------------------

def _chunks(ids: Iterable[str], size: int = 500) -> Iterator[tuple[tuple[str, ...], str]]:
    """The distinct ids, in order, in chunks of at most `size` (under SQLite's limit on
    query parameters), each with the `?,?,…` it is bound to."""
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), size):
        chunk = tuple(ids[i:i + size])
        yield chunk, ",".join("?" * len(chunk))


_REF = "id, doc, level, kind, number, heading, parent, ord"
_REF_KEYS = ("id", "doc", "level", "kind", "number", "heading", "parent", "order")


class Catalog:
    """Read-only queries over one catalog file; safe to share between threads.

    One connection, opened at once and kept (the file may be unlinked later: a pruned
    generation, or the private copy of `open_catalog`); a lock serialises its use, each
    query being a few index lookups.
    """

    def __init__(self, path: Path, cache_mb: int = 16):
        self.path = path
        self._con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                    check_same_thread=False)
        self._con.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
        self._lock = threading.Lock()
        try:
            got = self._all("SELECT value FROM info WHERE key = 'schema'")
        except sqlite3.Error:
            got = []
        if not got or got[0][0] != str(layout.FORMAT):
            self._con.close()
            raise ValueError(f"{path}: not a catalog of format {layout.FORMAT}")

    def close(self) -> None:
        self._con.close()

    def check_intact(self) -> None:
        """sqlite3.DatabaseError unless every page of the file reads back whole (a file
        damaged mid-way still opens and counts; only the pages that read the damage fail)."""
        with self._lock:
            verdict = self._con.execute("PRAGMA quick_check").fetchall()
        if verdict != [("ok",)]:
            first = str(verdict[0][0]).replace("*** in database main ***", "").split()
            raise sqlite3.DatabaseError(f"{self.path} is damaged: {' '.join(first[:8])}")

    def any_provision(self) -> dict | None:
        """One provision, looked up as a page looks one up (a probe); None if there is none."""
        first = self._all("SELECT id FROM provisions LIMIT 1")
        return self.provision(first[0][0]) if first else None

    def _all(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, args).fetchall()

    def _jsons(self, sql: str, args: tuple = ()) -> list[dict]:
        return [json.loads(r[0]) for r in self._all(sql, args)]

    def _one_json(self, sql: str, args: tuple = ()) -> dict | None:
        got = self._all(sql, args)
        return json.loads(got[0][0]) if got else None

    def count(self, table: str) -> int:
        """Rows of a table: provisions, facts, departments, targets, citations, alignments."""
        if table not in ("provisions", "facts", "departments", "targets", "citations",
                         "alignments"):
            raise ValueError(table)
        return self._all(f"SELECT count(*) FROM {table}")[0][0]

    # -- provisions
    def provisions(self) -> list[dict]:
        """Every provision, in provisions.jsonl's order."""
        return self._jsons("SELECT p.json FROM provisions p JOIN documents d ON d.doc = p.doc"
                           " ORDER BY d.rank, p.pos")

    def provision(self, pid: str) -> dict | None:
        return self._one_json("SELECT json FROM provisions WHERE id = ?", (pid,))

    def has_provision(self, pid: str) -> bool:
        return bool(self._all("SELECT 1 FROM provisions WHERE id = ?", (pid,)))

    def provision_ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT p.id FROM provisions p JOIN documents d"
                                        " ON d.doc = p.doc ORDER BY d.rank, p.pos")]

    def ref(self, pid: str) -> dict | None:
        """id, doc, level, kind, number, heading, parent and order of a provision
        (without its text: what a link to it shows)."""
        got = self._all(f"SELECT {_REF} FROM provisions WHERE id = ?", (pid,))
        return dict(zip(_REF_KEYS, got[0])) if got else None

    def refs(self, pids: Iterable[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for chunk, marks in _chunks(pids):
            for r in self._all(f"SELECT {_REF} FROM provisions WHERE id IN ({marks})", chunk):
                out[r[0]] = dict(zip(_REF_KEYS, r))
        return out

    def children(self, pid: str) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM provisions WHERE parent = ?"
                                        " ORDER BY pos", (pid,))]

    def outline_rows(self, doc: str) -> list[dict]:
        """The refs of a document's provisions, in order."""
        return [dict(zip(_REF_KEYS, r)) for r in self._all(
            f"SELECT {_REF} FROM provisions WHERE doc = ? ORDER BY pos", (doc,))]

    # -- facts
    def facts(self, pid: str) -> dict | None:
        return self._one_json("SELECT json FROM facts WHERE id = ?", (pid,))

    def all_facts(self) -> dict[str, dict]:
        return {pid: json.loads(text) for pid, text in self._all(
            "SELECT f.id, f.json FROM facts f JOIN documents d ON d.doc = f.doc"
            " ORDER BY d.rank, f.pos")}

    def document_facts(self, doc: str) -> list[tuple[str, dict | None]]:
        """(provision id, its facts or None) of a document's provisions, in order."""
        return [(pid, json.loads(text) if text else None) for pid, text in self._all(
            "SELECT p.id, f.json FROM provisions p LEFT JOIN facts f ON f.id = p.id"
            " WHERE p.doc = ? ORDER BY p.pos", (doc,))]

    def document_tasks(self, doc: str) -> list[tuple[str, dict]]:
        """(provision id, its facts) of a document's tasks, in order: the provisions with
        departments, except task-table rows that are the evidence of a body provision's
        task (`evidence_of`, ontology.graph) — one task is counted once."""
        return [(pid, facts) for pid, facts in self.document_facts(doc)
                if facts and not facts.get("evidence_of")
                and any((facts.get("departments") or {}).values())]

    # -- export rows
    def rows(self, name: str) -> list[dict]:
        """The rows of one export, in the order of its file."""
        if name in ("departments", "alignments"):
            return self._jsons(f"SELECT json FROM {name} ORDER BY seq")
        if name in ("targets", "citations"):
            return self._jsons(f"SELECT t.json FROM {name} t JOIN documents d ON d.doc = t.doc"
                               " ORDER BY d.rank, t.pos")
        raise KeyError(name)

    def department(self, did: str) -> dict | None:
        return self._one_json("SELECT json FROM departments WHERE id = ? ORDER BY seq DESC"
                              " LIMIT 1", (did,))

    def department_head(self, did: str) -> dict | None:
        """id, name and level of a department (what a reference to it shows)."""
        got = self._all("SELECT id, name, level, superior FROM departments WHERE id = ?"
                        " ORDER BY seq DESC LIMIT 1", (did,))
        return dict(zip(("id", "name", "level", "superior"), got[0])) if got else None

    def department_id(self, name: str) -> str | None:
        got = self._all("SELECT id FROM department_names WHERE name = ?", (name,))
        return got[0][0] if got else None

    def department_refs(self, names: Iterable[str]) -> dict[str, dict]:
        """dept_ref's lookup for many names in one query per 500: {name: {"id", "name",
        "level"}} of the names a department carries (a page's matrix names dozens)."""
        out: dict[str, dict] = {}
        for chunk, marks in _chunks(set(names)):
            for name, did, dname, level in self._all(
                    "SELECT n.name, n.id, d.name, d.level FROM department_names n"
                    " LEFT JOIN departments d ON d.seq = (SELECT max(seq) FROM departments"
                    f" WHERE id = n.id) WHERE n.name IN ({marks})", chunk):
                out[name] = {"id": did, "name": dname if dname is not None else name,
                             "level": level}
        return out

    def department_summaries(self) -> list[dict]:
        keys = ("id", "name", "level", "region", "kind", "lead", "participant", "mentions")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT {', '.join(keys)} FROM departments ORDER BY seq")]

    def department_names(self) -> dict[str, list[str]]:
        """Every name and short name each department carries, by id (department_names:
        the first department to carry a name keeps it)."""
        out: dict[str, list[str]] = {}
        for name, did in self._all("SELECT name, id FROM department_names"):
            out.setdefault(did, []).append(name)
        return out

    def subordinates(self, did: str) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM departments WHERE superior = ?"
                                        " ORDER BY seq", (did,))]

    def targets(self, indicator: str | None = None) -> list[dict]:
        """Target rows in file order: all, or those of the indicators `indicator` names
        (by key or by one of its names)."""
        sql = "SELECT t.json FROM targets t JOIN documents d ON d.doc = t.doc"
        args: tuple = ()
        if indicator is not None:
            sql += (" WHERE t.indicator_key IN (SELECT indicator_key FROM targets"
                    " WHERE indicator_key = ? OR indicator = ?)")
            args = (indicator, indicator)
        return self._jsons(sql + " ORDER BY d.rank, t.pos", args)

    def indicator_keys(self, indicator: str) -> list[str]:
        """The keys of the indicators `indicator` names (a key or one of its wordings)."""
        return [r[0] for r in self._all(
            "SELECT DISTINCT indicator_key FROM targets WHERE indicator_key = ?"
            " UNION SELECT DISTINCT indicator_key FROM targets WHERE indicator = ?",
            (indicator, indicator))]

    def target_places(self, key: str) -> list[tuple[int, str]]:
        """(row number, document) of the indicator's targets in file order: what a page
        of them is cut from, without reading the rows."""
        return [tuple(r) for r in self._all(
            "SELECT t.rowid, t.doc FROM targets t JOIN documents d ON d.doc = t.doc"
            " WHERE t.indicator_key = ? ORDER BY d.rank, t.pos", (key,))]

    def target_rows(self, rowids: Iterable[int]) -> dict[int, dict]:
        """Target rows by row number (target_places), in the order asked."""
        rowids = list(rowids)
        got: dict[int, dict] = {}
        for chunk, marks in _chunks(rowids):
            got.update((r, json.loads(text)) for r, text in self._all(
                f"SELECT rowid, json FROM targets WHERE rowid IN ({marks})", chunk))
        return {r: got[r] for r in rowids if r in got}

    def targets_by_uri(self, key: str, uris: Iterable[str]) -> dict[int, dict]:
        """The indicator's target rows whose IRI is one of `uris`, by row number (only the
        indicator's rows are looked at: its index, then the IRI in each row)."""
        out: dict[int, dict] = {}
        for chunk, marks in _chunks(uris):
            out.update((r, json.loads(text)) for r, text in self._all(
                "SELECT rowid, json FROM targets WHERE indicator_key = ?"
                f" AND json->>'uri' IN ({marks})", (key, *chunk)))
        return out

    def indicator_count(self) -> int:
        return self._all("SELECT count(DISTINCT indicator_key) FROM targets")[0][0]

    def target_heads(self) -> list[dict]:
        """indicator_key, doc, indicator, uri and unit of every target row, in file order:
        what the list of indicators counts, picked out by SQLite rather than parsed."""
        keys = ("indicator_key", "doc", "indicator", "uri", "unit")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT t.indicator_key, t.doc, t.indicator, t.json->>'uri', t.json->>'unit'"
            " FROM targets t JOIN documents d ON d.doc = t.doc ORDER BY d.rank, t.pos")]

    def target_links(self, lowers: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """(higher target IRI, lower target IRI) of the target alignment rows, in file
        order: every one, or those whose lower provision is one of `lowers`.  These are
        the pairs ontology.target_alignment.align_targets chose (nearest in the
        hierarchy)."""
        sql = ("SELECT json->>'higher_target', json->>'lower_target' FROM alignments"
               " WHERE json->>'kind' = 'target'")
        if lowers is None:
            return [tuple(r) for r in self._all(sql + " ORDER BY seq")]
        out: list[tuple[str, str]] = []
        for chunk, marks in _chunks(lowers):
            out.extend(tuple(r) for r in self._all(f"{sql} AND lower IN ({marks}) ORDER BY seq",
                                                   chunk))
        return out

    def alignment_pairs(self) -> list[tuple[str, str, str | None]]:
        """(higher, lower, the lower provision's level) of every alignment row, in file
        order: what the list of aligned provisions counts, without parsing rows."""
        return [tuple(r) for r in self._all(
            "SELECT a.higher, a.lower, p.level FROM alignments a"
            " LEFT JOIN provisions p ON p.id = a.lower ORDER BY a.seq")]

    def citations_of(self, doc: str) -> list[dict]:
        return self._jsons("SELECT json FROM citations WHERE doc = ? ORDER BY pos", (doc,))

    def citations_to(self, doc: str) -> list[dict]:
        return self._jsons("SELECT c.json FROM citations c JOIN documents d ON d.doc = c.doc"
                           " WHERE c.resolves_to = ? ORDER BY d.rank, c.pos", (doc,))

    def aligned_up(self, lower: str) -> list[dict]:
        """Alignment rows linking `lower` to higher provisions, in file order."""
        return self._jsons("SELECT json FROM alignments WHERE lower = ? ORDER BY seq", (lower,))

    def aligned_down(self, higher: str) -> list[dict]:
        return self._jsons("SELECT json FROM alignments WHERE higher = ? ORDER BY seq",
                           (higher,))

    def alignments_below(self, doc: str) -> list[dict]:
        """Alignment rows whose lower provision is one of `doc`'s, in file order (what
        the document takes up from the plans above it)."""
        return self._jsons("SELECT a.json FROM alignments a JOIN provisions p ON p.id = a.lower"
                           " WHERE p.doc = ? ORDER BY a.seq", (doc,))

    def alignment_highers_below(self, doc: str) -> list[tuple[str, str]]:
        """(higher provision, its document) of every alignment row whose lower provision
        is one of `doc`'s: what coverage counts per higher plan, from columns (no row's
        JSON read)."""
        return self._all("SELECT a.higher, h.doc FROM alignments a"
                         " JOIN provisions l ON l.id = a.lower"
                         " JOIN provisions h ON h.id = a.higher WHERE l.doc = ?", (doc,))

    def alignments_between(self, doc: str, higher_doc: str) -> list[dict]:
        """alignments_below restricted to the rows into `higher_doc`'s provisions (the
        one higher plan a page shows), in file order."""
        return self._jsons("SELECT a.json FROM alignments a JOIN provisions l ON l.id = a.lower"
                           " JOIN provisions h ON h.id = a.higher"
                           " WHERE l.doc = ? AND h.doc = ? ORDER BY a.seq", (doc, higher_doc))

    def outline_bodies(self, doc: str) -> list[dict]:
        """outline_rows with each provision's own text (without its children's) and
        whether it stands in an annex: what pipeline.coverage weighs."""
        keys = (*_REF_KEYS, "own_text", "annex")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT {_REF}, json->>'own_text', json->>'annex' FROM provisions WHERE doc = ?"
            " ORDER BY pos", (doc,))]

    def alignment_links_from(self, highers: Iterable[str]) -> dict[str, list[dict]]:
        """alignment_links of the rows whose higher provision is one of `highers`, by
        higher provision, each in file order (one query for a tree's whole depth)."""
        out: dict[str, list[dict]] = {}
        for chunk, marks in _chunks(highers):
            for h, lo, score, evidence in self._all(
                    "SELECT higher, lower, json->>'score', json->>'evidence' FROM alignments"
                    f" WHERE higher IN ({marks}) ORDER BY seq", chunk):
                out.setdefault(h, []).append({"higher": h, "lower": lo, "score": score,
                                              "evidence": evidence})
        return out

    def alignment_takers(self, highers: Iterable[str], scored: bool = True
                         ) -> dict[str, list[dict]]:
        """What a bounded alignment tree orders and counts, by higher provision, each in
        file order: of the rows whose higher provision is one of `highers`, the lower
        provision, its level, the score and the row's number (`seq`, for
        alignment_evidence) — or, not `scored`, the lower provision alone (counting needs
        no more, and the score is read out of each row's JSON).  No evidence: a tree
        shows a few of the hundreds of links it reads."""
        cols = ("a.lower, p.level, a.json->>'score', a.seq" if scored
                else "a.lower, NULL, NULL, a.seq")
        join = " LEFT JOIN provisions p ON p.id = a.lower" if scored else ""
        out: dict[str, list[dict]] = {}
        for chunk, marks in _chunks(highers):
            for h, lo, level, score, seq in self._all(
                    f"SELECT a.higher, {cols} FROM alignments a{join}"
                    f" WHERE a.higher IN ({marks}) ORDER BY a.seq", chunk):
                out.setdefault(h, []).append({"higher": h, "lower": lo, "level": level,
                                              "score": score, "seq": seq})
        return out

    def alignment_evidence(self, seqs: Iterable[int]) -> dict[int, str | None]:
        """The evidence of the alignment rows numbered `seqs` (alignment_takers)."""
        out: dict[int, str | None] = {}
        for chunk, marks in _chunks(seqs):
            out.update(self._all(f"SELECT seq, json->>'evidence' FROM alignments"
                                 f" WHERE seq IN ({marks})", chunk))
        return out

    def alignment_links(self) -> list[dict]:
        """higher, lower, score and evidence of every alignment row, in file order (what
        the alignment tree shows; SQLite picks them out of the JSON, cheaper than parsing
        whole rows in Python)."""
        return [{"higher": h, "lower": lo, "score": score, "evidence": evidence}
                for h, lo, score, evidence in self._all(
                    "SELECT higher, lower, json->>'score', json->>'evidence' FROM alignments"
                    " ORDER BY seq")]


def open_catalog(folder: Path) -> Catalog:
    """The generation's catalog; NotBuilt, asking for a rebuild, when it has none of this
    format (a generation of this format always has one: pipeline.layout)."""
    path = folder / CATALOG_FILE
    if not path.is_file():
        raise NotBuilt(f"{folder.name} has no {CATALOG_FILE}: run `policykg build`")
    try:
        return Catalog(path)
    except ValueError as exc:
        raise NotBuilt(f"{exc}: run `policykg build`") from None
