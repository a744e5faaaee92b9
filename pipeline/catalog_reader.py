"""Reading a generation's catalog (written by pipeline.catalog): the lookups the pages
and the coverage make, one read-only connection shared by a worker's threads.

Apart from the writer: every worker imports this, and only a build or an add writes."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Iterator

from policykg.corpus.files import NotBuilt
from policykg.pipeline import layout

CATALOG_FILE = layout.CATALOG


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
