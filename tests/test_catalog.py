"""The SQLite catalog (pipeline.catalog): what it holds is what the generation's files say,
an add's catalog equals one written from scratch, and a generation without one is served."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from policykg.pipeline import ingest, layout
from policykg.pipeline.catalog import CATALOG_FILE, write_catalog
from policykg.pipeline.catalog_reader import Catalog, open_catalog
from policykg.corpus.files import NotBuilt
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir, read_jsonl
from ingest_formats import PLAN
from policykg.ontology.graph_files import ROW_FILES

LIMIT = 20 * 1024 * 1024


def dump(cat: Catalog) -> dict:
    """Everything a reader can ask for, in the order it answers."""
    provisions = cat.provisions()
    depts = cat.department_summaries()
    return {"provisions": provisions, "facts": list(cat.all_facts().items()),
            **{name: cat.rows(name) for name in ROW_FILES},
            "summaries": depts,
            "names": {name: cat.department_id(name)
                      for d in cat.rows("departments") for name in [d["name"], *d["aliases"]]},
            "children": {p["id"]: cat.children(p["id"]) for p in provisions},
            "refs": cat.refs(p["id"] for p in provisions),
            "links": cat.alignment_links(), "indicators": cat.indicator_count()}


def test_the_build_writes_a_catalog_holding_its_files_exactly(built):
    _, gen = built
    folder = gen.folder
    assert (folder / CATALOG_FILE).is_file()
    assert not list(folder.glob("*.tmp"))
    cat = Catalog(folder / CATALOG_FILE)
    assert cat.provisions() == read_jsonl(folder / "provisions.jsonl")
    facts = json.loads((folder / "facts.json").read_text(encoding="utf-8"))
    got = cat.all_facts()
    assert got == facts and list(got) == list(facts)
    for name, file in ROW_FILES.items():
        assert cat.rows(name) == read_jsonl(folder / file), name
    some = next(p for p in cat.provisions() if p["parent"])
    assert cat.provision(some["id"]) == some
    assert some["id"] in cat.children(some["parent"])
    assert cat.facts(some["id"]) == facts.get(some["id"])
    assert cat.provision("no-such-id") is None and cat.facts("no-such-id") is None


def test_the_lookups_answer_as_a_scan_of_the_rows_would(built):
    _, gen = built
    cat = gen.catalog
    aligns = cat.rows("alignments")
    a = aligns[0]
    assert cat.aligned_up(a["lower"]) == [x for x in aligns if x["lower"] == a["lower"]]
    assert cat.aligned_down(a["higher"]) == [x for x in aligns if x["higher"] == a["higher"]]
    assert cat.alignment_links() == [{k: x.get(k) for k in ("higher", "lower", "score", "evidence")}
                                     for x in aligns]
    cites = cat.rows("citations")
    for doc in {c["doc"] for c in cites} | {c["resolves_to"] for c in cites if c["resolves_to"]}:
        assert cat.citations_of(doc) == [c for c in cites if c["doc"] == doc]
        assert cat.citations_to(doc) == [c for c in cites if c.get("resolves_to") == doc]
    targets = cat.rows("targets")
    t = targets[-1]
    assert cat.targets(t["indicator"]) == [
        r for r in targets if r["indicator_key"] == t["indicator_key"]]
    assert cat.target_heads() == [{k: r.get(k) for k in ("indicator_key", "doc", "indicator",
                                                         "uri", "unit")} for r in targets]
    pairs = [(a["higher_target"], a["lower_target"]) for a in aligns if a["kind"] == "target"]
    assert pairs and cat.target_links() == pairs
    lo = aligns[[a["kind"] for a in aligns].index("target")]["lower"]
    assert cat.target_links([lo]) == [(a["higher_target"], a["lower_target"]) for a in aligns
                                      if a["kind"] == "target" and a["lower"] == lo]
    levels = {p["id"]: p["level"] for p in cat.provisions()}
    assert cat.alignment_pairs() == [(a["higher"], a["lower"], levels.get(a["lower"]))
                                     for a in aligns]
    depts = cat.rows("departments")
    busy = max(depts, key=lambda d: len(d["tasks"]))
    assert cat.department(busy["id"]) == busy
    [summary] = [s for s in cat.department_summaries() if s["id"] == busy["id"]]
    assert summary["lead"] + summary["participant"] == len(busy["tasks"]) > 0
    assert cat.subordinates(busy["id"]) == [d["id"] for d in depts
                                            if d.get("superior") == busy["id"]]


def test_an_add_updates_the_catalog_to_what_a_fresh_one_holds(built, tmp_path):
    source, _ = built
    shutil.copytree(source.root, tmp_path / "data", symlinks=True)
    store = DataDir(tmp_path / "data")
    before = store.require_current()
    candidate = ingest.read_candidate(PLAN.encode("utf-8"), LIMIT, name="江门方案.txt")
    result = ingest.add_document(store, candidate)
    new = store.require_current()
    assert new != before and Generation(new).meta["update"]["incremental"]
    added = Catalog(new / CATALOG_FILE)
    assert any(p["doc"] == result.file for p in added.provisions())
    fresh = Catalog(write_catalog(new, tmp_path / "fresh.sqlite"))
    assert dump(added) == dump(fresh)
    # and back out: the remove's catalog too
    ingest.remove_document(store, result.file)
    gone = store.require_current()
    assert dump(Catalog(gone / CATALOG_FILE)) == dump(Catalog(before / CATALOG_FILE))


def test_a_generation_without_a_catalog_of_this_format_asks_for_a_rebuild(built, tmp_path):
    """No private catalog made on the fly from an older generation's files: one format is
    read (pipeline.layout), recorded in the catalog, and a missing or other-format catalog
    names the fix."""
    _, gen = built
    con = sqlite3.connect(gen.folder / CATALOG_FILE)
    assert con.execute("SELECT value FROM info WHERE key = 'schema'").fetchall() == [
        (str(layout.FORMAT),)]
    con.close()
    for schema in (None, "0", str(layout.FORMAT + 1)):
        old = tmp_path / f"old-{schema}"
        shutil.copytree(gen.folder, old, symlinks=True)
        (old / CATALOG_FILE).unlink()
        if schema is not None:
            con = sqlite3.connect(old / CATALOG_FILE)
            con.executescript("CREATE TABLE info(key TEXT, value TEXT);"
                              f"INSERT INTO info VALUES ('schema', '{schema}');")
            con.close()
        with pytest.raises(NotBuilt, match="policykg build"):
            open_catalog(old)
        with pytest.raises(NotBuilt, match="policykg build"):
            Generation(old).catalog


def _alignment_table(rows, gap=None):
    from policykg.pipeline import catalog
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE TABLE alignments(seq INTEGER PRIMARY KEY, higher TEXT NOT NULL,"
                " lower TEXT NOT NULL, json TEXT NOT NULL)")
    if gap is None:
        catalog.put_alignment_rows(con, rows)
    else:
        con.executemany("INSERT INTO alignments VALUES (?,?,?,?)",
                        ((i * gap, *r) for i, r in enumerate(rows)))
    return con


def _rows(*names):
    return [(n, n.lower(), json.dumps({"higher": n, "n": i})) for i, n in enumerate(names)]


def test_an_add_puts_its_alignment_rows_between_the_others():
    """The rows kept keep their numbers; new ones go into the gaps, gone ones out; read in
    order, the table holds exactly the new rows."""
    from policykg.pipeline.catalog import update_alignments
    old = _rows("A", "B", "C", "D")
    con = _alignment_table(old)
    before = dict(con.execute("SELECT json, seq FROM alignments"))
    new = [old[0], ("X", "x", "{}"), old[1], old[3], ("Y", "y", "{}"), ("Y", "y", "{}")]
    new = [("W", "w", "[]")] + new
    assert update_alignments(con, new)
    got = con.execute("SELECT higher, lower, json FROM alignments ORDER BY seq").fetchall()
    assert got == new
    after = dict(con.execute("SELECT json, seq FROM alignments"))
    assert all(after[r[2]] == before[r[2]] for r in (old[0], old[1], old[3]))


def test_alignment_rows_out_of_their_order_or_without_room_are_written_whole():
    from policykg.pipeline.catalog import put_alignment_rows, update_alignments
    old = _rows("A", "B", "C")
    con = _alignment_table(old)
    swapped = [old[1], old[0], old[2]]
    assert not update_alignments(con, swapped)
    assert con.execute("SELECT count(*) FROM alignments").fetchone()[0] == 3   # untouched
    dense = _alignment_table(old, gap=1)          # a catalog written before the gaps
    between = [old[0], ("X", "x", "{}"), old[1], old[2]]
    assert not update_alignments(dense, between)
    put_alignment_rows(dense, between)
    assert dense.execute("SELECT higher, lower, json FROM alignments ORDER BY seq"
                         ).fetchall() == between
    assert update_alignments(dense, between + [("Z", "z", "{}")])    # room at the end


def test_alignment_differences_count_lines_with_or_without_repeats():
    """The set shortcut for distinct rows says what the counting says."""
    from collections import Counter
    from policykg.pipeline.catalog import alignment_differences

    def counted(old, new):
        gone, fresh = Counter(old), Counter(new)
        gone.subtract(new)
        fresh.subtract(old)
        return +gone, +fresh

    for old, new in ((["a", "b", "c"], ["b", "d", "c", "e"]),       # distinct: sets
                     (["a", "b", "b"], ["b", "c", "c"]),             # repeats: counted
                     ([], ["x"]), (["x"], [])):
        gone, fresh = alignment_differences(old, new)
        assert (+gone, +fresh) == counted(old, new)


def test_an_add_of_distinct_rows_deletes_and_inserts_only_the_difference():
    from policykg.pipeline.catalog import update_alignments
    old = _rows("A", "B", "C", "D")
    con = _alignment_table(old)
    new = [old[0], ("X", "x", "{}"), old[2], old[3], ("Y", "y", "[]")]
    assert update_alignments(con, new)
    assert con.execute("SELECT higher, lower, json FROM alignments ORDER BY seq"
                       ).fetchall() == new
