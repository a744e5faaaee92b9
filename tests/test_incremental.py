"""Incremental add and remove (pipeline.update): equal to a full build, both ways.

The reference for every comparison is a full build of the same corpus with the same
frozen statistics (dictionary and shingle frequencies), `graph_stage.reference_generation`:
the graph must be isomorphic, every export row and every provision's facts equal, and a
set of searches must return the same hits.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from policykg.corpus.sources import load_sources
from policykg.corpus.loader import load_all
from policykg.corpus.tokenize import Tokenizer
from policykg.pipeline import (citations_delta, exports, graph_stage, ingest, layout, outputs,
                               shingles, state, update)
from policykg.pipeline.generation import Generation
from policykg.indexer.engines import engines_of
from policykg.pipeline.datadir import DataDir
from ingest_formats import PLAN, PLAN_OUTLINE, to_docx, to_html, to_markdown, to_pdf

LIMIT = 20 * 1024 * 1024
NATIONAL = "004_fc4ac27914a17046.txt"
QUERIES = ["学制技师", "校企双制 东莞", "level:municipal 就业率", "技工院校", "江门 学徒制",
           "产教融合实训基地", "人社部发", "dept:市人社局", "高级工班", "\"预备技师\"",
           "kind:table_row 牵头", "技师学院 -东莞"]
ROWS = ("documents", "provisions", "departments", "citations", "targets", "alignments")
KAIPING = (PLAN.replace("江人社发〔2023〕15号", "江人社发〔2023〕16号").replace("江门", "开平")
           .replace("2.5万人", "8000人"))


def copy_store(built, root: Path) -> DataDir:
    source, _ = built
    shutil.copytree(source.root, root, symlinks=True)
    return DataDir(root)


def add_text(store: DataDir, text: str, name: str, **given) -> ingest.AddResult:
    candidate = ingest.read_candidate(text.encode("utf-8"), LIMIT, name=name, given=given)
    return ingest.add_document(store, candidate)


def frozen(folder: Path) -> tuple[Tokenizer, shingles.FrozenFrequency]:
    kept = json.loads((folder / "incr" / "state.json").read_text(encoding="utf-8"))
    return (Tokenizer.from_file(folder / "dict.txt"),
            shingles.FrozenFrequency.load(folder / "incr", kept["df"]))


def reference(store: DataDir, stats, into: Path) -> Path:
    """A full build of the data folder's corpus as it is now, with the dictionary and
    frequencies `stats` (a generation folder, or what `frozen` read from one)."""
    docs = load_all(store.sources, load_sources(store.sources))
    tokenizer, df = frozen(stats) if isinstance(stats, Path) else stats
    into.mkdir(parents=True)
    graph_stage.reference_generation(into, docs, tokenizer, df)
    return into


def graph(folder: Path) -> Graph:
    g = Graph()
    for path in Generation(folder).graph_files:      # graph.nt, or the parts after an add
        g.parse(str(path), format="nt")
    return g


def shared_engine(a: Path, b: Path) -> str | None:
    """The one engine both generations are indexed for (the reference,
    graph_stage.reference_generation, is whoosh's only), so rankings compare like with
    like; None: each searched with its own."""
    common = [e for e in engines_of(a) if e in engines_of(b)]
    return common[0] if len(common) == 1 else None


def hits(folder: Path, engine: str | None = None) -> dict[str, tuple[int, list[str]]]:
    searcher = Generation(folder, engine=engine).searcher
    out = {}
    for q in QUERIES:
        result = searcher.search(q, page_size=100)
        out[q] = (result.total, [h.id for h in result.hits])
    return out


def assert_same(a: Path, b: Path, ranking: bool = True) -> None:
    """Two generations hold the same corpus: graph, rows, facts, search."""
    ga, gb = graph(a), graph(b)
    assert set(ga) == set(gb), (len(set(ga) - set(gb)), len(set(gb) - set(ga)))
    assert isomorphic(ga, gb)
    lines = [line for path in Generation(a).graph_files
             for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(set(lines)), "a triple written twice"
    gen_a, gen_b = Generation(a), Generation(b)
    assert gen_a.facts == gen_b.facts
    for name in ROWS:
        assert list(exports.EXPORTS[name](gen_a)) == list(exports.EXPORTS[name](gen_b)), name
    engine = shared_engine(a, b)
    ha, hb = hits(a, engine), hits(b, engine)
    for q in QUERIES:
        assert ha[q][0] == hb[q][0] and set(ha[q][1]) == set(hb[q][1]), q
        if ranking:
            assert ha[q] == hb[q], q


def files(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of a generation: content hash and inode."""
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            out[str(path.relative_to(folder))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_ino)
    return out


@pytest.fixture(scope="module")
def added(built, tmp_path_factory):
    """The bundled build, then the test plan added: (store, base folder, its files before
    the add, the add's result, new folder)."""
    root = tmp_path_factory.mktemp("incr")
    store = copy_store(built, root / "data")
    base = store.require_current()
    before = files(base)
    result = add_text(store, PLAN, "江门方案.txt")
    return store, base, before, result, store.require_current()


# ---- an add -------------------------------------------------------------------------------------

def test_an_add_is_incremental_and_equals_a_full_build(added, tmp_path):
    store, base, _, result, new = added
    assert result.status == "added"
    assert Generation(new).meta["update"] == {"added": result.file, "removed": None,
                                              "incremental": True}
    assert_same(new, reference(store, base, tmp_path / "ref"))


FORMATS = {"utf-8.txt": lambda: PLAN.encode("utf-8"), "gbk.txt": lambda: PLAN.encode("gbk"),
           "md": lambda: to_markdown().encode("utf-8"), "html": lambda: to_html().encode("utf-8"),
           "docx": to_docx, "pdf": to_pdf}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_added_plan_is_read_and_linked_in_every_format(built, tmp_path, fmt):
    store = copy_store(built, tmp_path / "data")
    name = "江门方案." + fmt.split(".")[-1]
    result = ingest.add_document(store, ingest.read_candidate(FORMATS[fmt](), LIMIT, name=name))
    assert result.status == "added"
    gen = Generation(store.require_current())
    assert gen.meta["update"]["added"] == result.file            # incrementally
    check_plan(gen, result)


def check_plan(gen: Generation, result: ingest.AddResult) -> None:
    gen.check_ready()
    mine = [p for p in gen.provisions if p["doc"] == result.file]
    body = [p for p in mine if not p["annex"]]
    assert {"chapters": [p["heading"] for p in body if p["kind"] == "chapter"],
            "sections": sum(p["kind"] == "section" for p in body),
            "items": sum(p["kind"] == "item" for p in body),
            "annexes": sum(p["kind"] == "annex" for p in mine),
            "table_rows": sum(p["kind"] == "table_row" for p in mine)} == PLAN_OUTLINE
    by_heading = {p["heading"]: p["id"] for p in body}

    # Departments: 牵头/配合, 按职责分工负责, and the task table.
    depts = gen.provision_facts(by_heading["推动江门技师学院提质扩容"])["departments"]
    assert depts == {"lead": ["江门市人力资源和社会保障局"], "participants": ["江门市教育局"]}
    shared = gen.provision_facts(by_heading["支持民办技工院校规范发展"])["departments"]
    assert shared == {"lead": [], "participants": ["江门市人力资源和社会保障局", "江门市教育局"]}
    rows = {d["name"]: d for d in gen.graph_rows("departments")}
    assert any(t["doc"] == result.file for t in rows["江门市人力资源和社会保障局"]["tasks"])
    assert rows["江门市人力资源和社会保障局"]["line"][:1] == ["广东省人力资源和社会保障厅"]

    # Targets read from prose.
    targets = [t for t in gen.graph_rows("targets") if t["doc"] == result.file]
    share = next(t for t in targets if "高级工班" in t["indicator"])
    assert share["target"] == {"value": 45, "comparator": ">=", "year": 2025}
    assert any(t["target"]["value"] == 97 and t["unit"] == "%" for t in targets)

    # Its citation of 人社部发〔2021〕86号 resolves to the national plan (004).
    cites = [c for c in gen.graph_rows("citations") if c["doc"] == result.file]
    national = next(c for c in cites if c["number"] == "人社部发〔2021〕86号")
    assert national["resolves_to"] == NATIONAL

    # The paragraph taken up from the national plan: linked in both directions.
    item = by_heading["全面推行中国特色企业新型学徒制"]
    up = [a for a in gen.provision_facts(item)["aligned"] if a["doc"] == NATIONAL]
    assert up and up[0]["direction"] == "higher" and up[0]["kind"] == "text_reuse"
    down = gen.provision_facts(up[0]["provision"])["aligned"]
    assert {"provision": item, "doc": result.file, "direction": "lower"} in [
        {k: a[k] for k in ("provision", "doc", "direction")} for a in down]
    # …and the target comparison with the provincial plan (高级工班 45% vs 广东 55%).
    assert any(a["kind"] == "target" and a["direction"] == "higher"
               for p in mine for a in gen.provision_facts(p["id"])["aligned"])

    found = gen.searcher.search("江门 学徒制")
    assert found.total and found.hits[0].doc == result.file


def test_the_old_generation_is_never_written_to(added):
    _, base, before, _, new = added
    assert files(base) == before               # same bytes, same inodes: nothing rewritten
    shared = {rel for rel, (_, ino) in files(new).items()
              if rel in before and before[rel][1] == ino}
    assert "dict.txt" in shared and any(rel.startswith("index/") for rel in shared)
    assert not any(rel.endswith(".toc") for rel in shared)


def test_existing_provisions_keep_their_ids_and_rows(added):
    _, base, _, result, new = added
    old = Generation(base).provisions
    now = {p["id"]: p for p in Generation(new).provisions}
    assert all(now[p["id"]] == p for p in old)
    assert {p["uri"] for p in old} <= {str(s) for s in graph(new).subjects()}


def test_the_same_content_again_changes_nothing(added):
    store, _, _, result, new = added
    before = files(new)
    again = add_text(store, PLAN, "again.txt")
    assert again.status == "unchanged" and again.file == result.file
    assert store.require_current() == new and files(new) == before


# ---- a remove, a chain, and citations both ways ---------------------------------------------------

def test_remove_restores_the_previous_graph_and_search(built, tmp_path):
    store = copy_store(built, tmp_path / "data")
    base = store.require_current()
    result = add_text(store, PLAN, "plan.txt")
    ingest.remove_document(store, result.file)
    back = store.require_current()
    assert back != base and Generation(back).meta["update"]["removed"] == result.file
    # Deleted provisions stay in whoosh's term statistics until segments merge: the same
    # hits, the ranking may differ slightly until the next `policykg build`.
    assert_same(back, base, ranking=False)


def test_chained_updates_equal_full_builds(built, tmp_path):
    """Add two plans, take the national plan out (the citations of 人社部发〔2021〕86号
    become unresolved) and put it back (they resolve to it again): after each step the
    generation equals a full build of that corpus with the first build's statistics."""
    store = copy_store(built, tmp_path / "data")
    base = frozen(store.require_current())       # the generation itself is pruned later
    add_text(store, PLAN, "plan.txt")
    add_text(store, KAIPING, "kaiping.txt", level="county")
    assert_same(store.require_current(), reference(store, base, tmp_path / "ref1"))

    ingest.remove_document(store, NATIONAL)
    gen = Generation(store.require_current())
    cited = [c for c in gen.graph_rows("citations") if c["number"] == "人社部发〔2021〕86号"]
    assert len({c["doc"] for c in cited}) >= 3 and all(c["resolves_to"] is None for c in cited)
    assert_same(gen.folder, reference(store, base, tmp_path / "ref2"), ranking=False)

    national = Path(__file__).resolve().parent.parent / "corpus" / "documents" / NATIONAL
    back = ingest.add_document(store, ingest.read_candidate(national, LIMIT))
    assert back.status == "restored"
    gen = Generation(store.require_current())
    cited = [c for c in gen.graph_rows("citations") if c["number"] == "人社部发〔2021〕86号"]
    assert cited and all(c["resolves_to"] == NATIONAL for c in cited)
    assert_same(gen.folder, reference(store, base, tmp_path / "ref3"), ranking=False)


# ---- the parts and the frozen statistics ----------------------------------------------------------

def test_the_parts_of_a_full_build_make_its_outputs(built, tmp_path):
    """Written from its parts alone (no change), a full build's generation is itself."""
    store, gen = built
    new = tmp_path / "same"
    new.mkdir()
    update.update(gen.folder, new, state.Change())
    (new / "sources.json").write_bytes((gen.folder / "sources.json").read_bytes())
    assert_same(new, gen.folder)


def test_frozen_frequencies_of_the_same_corpus_are_find_alignments(bundled_docs):
    from policykg.ontology.alignment import find_alignments
    df, _ = shingles.corpus_frequency(bundled_docs)
    assert shingles.frozen_alignments(bundled_docs, df) == find_alignments(bundled_docs)


def test_a_generation_without_state_gets_a_full_build(built, tmp_path):
    store = copy_store(built, tmp_path / "data")
    shutil.rmtree(store.require_current() / "incr")
    result = add_text(store, PLAN, "plan.txt")
    gen = Generation(store.require_current())
    assert result.status == "added" and "update" not in gen.meta
    assert state.usable(gen.folder)       # the build kept the state for the next add


# ---- citations: only what the change can reach is resolved again ----------------------------------

def test_an_add_resolves_only_the_citations_its_keys_reach(built, tmp_path, monkeypatch):
    """With kept citations, an add never takes the whole-corpus pass, and still equals a
    full build (the plan cites 人社部发〔2021〕86号, which others cite too)."""
    store = copy_store(built, tmp_path / "data")
    base = frozen(store.require_current())

    def whole(*_a, **_k):
        raise AssertionError("the whole-corpus citation pass was taken")

    monkeypatch.setattr(citations_delta, "resolve_all_citations", whole)
    add_text(store, PLAN, "plan.txt")
    assert_same(store.require_current(), reference(store, base, tmp_path / "ref"))


# 3: what a state said when it had a number of its own (before it recorded layout.FORMAT)
@pytest.mark.parametrize("other", sorted({3, layout.FORMAT + 1} - {layout.FORMAT}))
def test_a_state_of_another_format_is_rebuilt_not_updated(other, built, tmp_path):
    """A generation whose incremental state has another form (an older policykg) is not
    updated in place: the add makes a full build, which writes the state anew."""
    store = copy_store(built, tmp_path / "data")
    current = store.require_current()
    info_path = current / "incr" / "state.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    assert info["format"] == layout.FORMAT
    info["format"] = other
    info_path.unlink()              # a hard link shared with `built`: never write into it
    info_path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    assert not state.usable(current)
    add_text(store, PLAN, "plan.txt")
    new = store.require_current()
    assert not Generation(new).meta.get("update", {}).get("incremental", False)
    assert state.usable(new)
    kept = json.loads((new / "incr" / "state.json").read_text(encoding="utf-8"))
    assert kept["format"] == layout.FORMAT


def test_the_state_files_round_trip_through_their_records(built):
    """Every document, citation and pair state of the bundled build read into its record
    and written back: the same record, and the same bytes as the file."""
    _, gen = built
    root = state.state_dir(gen.folder)
    kinds = {"doc": state.DocState, "cite": state.CiteState}
    seen = {"doc": 0, "cite": 0, "pair": 0}
    for sub in ("doc", "cite", "pair"):
        for path in sorted((root / sub).glob("*.json")):
            if path.name.endswith(".prov.json"):
                continue
            raw = path.read_bytes()
            data = json.loads(raw)
            if sub == "pair":
                records = {name: state.PairState.from_json(s) for name, s in data.items()}
                back = {name: r.to_json() for name, r in records.items()}
                assert {n: state.PairState.from_json(s) for n, s in back.items()} == records
                seen["pair"] += len(records)
            else:
                record = kinds[sub].from_json(data)
                back = record.to_json()
                assert kinds[sub].from_json(back) == record
                seen[sub] += 1
            assert json.dumps(back, ensure_ascii=False, separators=(",", ":")).encode() == raw
    corpus = state.load_corpus_state(gen.folder)
    assert seen["doc"] == seen["cite"] == len(corpus.order) > 0
    assert seen["pair"] == len(corpus.pairs) > 0
    assert all(isinstance(s, state.DocState) for s in corpus.docs.values())


# ---- the add's shortcuts: each equal to the long way ----------------------------------------------

def _global_inputs(folder: Path):
    from policykg.ontology.graph_build import replay
    corpus = state.load_corpus_state(folder)
    order = corpus.order
    resolver = replay(e for f in order for e in corpus.docs[f].registry_events())
    tasks, mentioned = outputs.task_rows(corpus)
    targets = [state.Indicator(t["indicator_key"], t["indicator"])
               for f in order for t in corpus.docs[f].targets]
    return [corpus.metas[f] for f in order], resolver, tasks, mentioned, {}, targets


def test_the_department_lines_cache_gives_the_global_part_line_for_line(built):
    """global_lines with no cache, while filling one, and from it: the same lines in the
    same order, the same rows; a cache of other code or ill-formed is not used."""
    from policykg.ontology.graph_lines import DepartmentLines, global_lines
    _, gen = built
    inputs = _global_inputs(gen.folder)
    plain = global_lines(*inputs)
    cache = DepartmentLines.empty()
    assert global_lines(*inputs, cache=cache) == plain
    assert cache.made == len(cache.used) > 0 and cache.changed
    again = DepartmentLines.from_data(cache.to_data())
    assert global_lines(*inputs, cache=again) == plain
    assert again.made == 0 and not again.changed
    assert not DepartmentLines.from_data(dict(cache.to_data(), code="other")).entries
    assert not DepartmentLines.from_data({"code": cache.code, "entries": {"x": [1]}}).entries
    # a department whose inputs changed is made again, not replayed
    slug = next(iter(again.entries))
    stale = DepartmentLines.from_data(cache.to_data())
    stale.entries[slug] = ["changed inputs", stale.entries[slug][1]]
    assert global_lines(*inputs, cache=stale) == plain and stale.made == 1


def test_the_build_keeps_the_department_lines_for_the_next_add(built):
    import marshal
    from policykg.ontology.graph_lines import DepartmentLines
    _, gen = built
    data = marshal.loads((gen.folder / "incr" / outputs.DEPARTMENT_LINES).read_bytes())
    assert DepartmentLines.from_data(data).entries


@pytest.mark.parametrize("added, removed, expect", [
    ("b", None, ["a1", "a2", "B", "c1", "d1", "d2", "d3"]),
    ("0", None, ["B", "a1", "a2", "c1", "d1", "d2", "d3"]),
    ("z", None, ["a1", "a2", "c1", "d1", "d2", "d3", "B"]),
    (None, "c", ["a1", "a2", "d1", "d2", "d3"]),
    (None, "a", ["c1", "d1", "d2", "d3"]),
    ("e", "d", ["a1", "a2", "c1", "B"]),
])
def test_provisions_jsonl_is_spliced_from_the_old_lines(tmp_path, added, removed, expect):
    counts = [("a", 2), ("c", 1), ("d", 3)]
    lines = ["a1", "a2", "c1", "d1", "d2", "d3"]
    (tmp_path / "old").write_bytes("".join(f'{{"x": "{x}", "文": 1}}\n' for x in lines).encode())
    pieces = outputs.provision_pieces(counts, added, removed)
    with open(tmp_path / "old", "rb") as src, open(tmp_path / "new", "wb") as out:
        outputs.splice_lines(src, out, pieces, '{"x": "B", "文": 1}\n'.encode())
    got = [json.loads(x)["x"] for x in (tmp_path / "new").read_text(encoding="utf-8").splitlines()]
    assert got == expect
