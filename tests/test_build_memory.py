"""What the build's memory savings must not change: the shingle index's bytes, a pair pack
written part by part, and the facts and aliases the index stage now reads per document."""
from __future__ import annotations

import json
import random
from array import array

from policykg.pipeline.state import PairPart, PairState, document_facts, state_dir, write_pack
from policykg.pipeline.shingles import ShingleIndex


def _sorted_tuples_bytes(eligible: list[list[int]]) -> bytes:
    """shingles.bin as it was first written: (hash, document) tuples, sorted."""
    pairs = sorted((h, i) for i, hs in enumerate(eligible) for h in hs)
    return (array("I", (h for h, _ in pairs)).tobytes()
            + array("I", (i for _, i in pairs)).tobytes())


def test_shingle_index_bytes_are_the_sorted_pairs(tmp_path):
    rng = random.Random(7)
    # repeated hashes within and across documents, documents without shingles, full range
    eligible = [[rng.choice([rng.randrange(2**32), rng.randrange(20)])
                 for _ in range(rng.randrange(0, 30))] for _ in range(60)] + [[]]
    ShingleIndex.write(tmp_path, [f"d{i}" for i in range(len(eligible))], eligible)
    assert (tmp_path / "shingles.bin").read_bytes() == _sorted_tuples_bytes(eligible)
    loaded = ShingleIndex.load(tmp_path, [f"d{i}" for i in range(len(eligible))], {})
    some = next(hs for hs in eligible if hs)
    assert f"d{eligible.index(some)}" in loaded.sharing(some)


def test_shingle_index_of_no_shingles(tmp_path):
    ShingleIndex.write(tmp_path, [], [])
    assert (tmp_path / "shingles.bin").read_bytes() == b""


def test_write_pack_streams_the_same_pack(tmp_path):
    state = PairState("a", "b", "b", [], [], [], {}, [])
    parts = [PairPart(f"p{i}", state, [f"<a{i}> <b> \"条{j}\" .\n" for j in range(i)],
                      [f'{{"row":{j}}}\n' for j in range(i + 1)]) for i in range(4)]
    states = write_pack(tmp_path, "b", (p for p in parts))      # a generator, as the build
    folder = tmp_path / "pair"
    assert (folder / "b.nt").read_text(encoding="utf-8") == "".join(
        line for p in parts for line in p.lines)
    assert (folder / "b.rows").read_text(encoding="utf-8") == "".join(
        row for p in parts for row in p.rows)
    assert states["p2"].nt == (1, 3) and states["p2"].rows == (3, 6)
    assert json.loads((folder / "b.json").read_text(encoding="utf-8")) == {
        name: s.to_json() for name, s in states.items()}


def test_facts_per_document_are_facts_json(built, bundled_docs):
    """The index stage reads each document's facts from the state: together they are
    facts.json, and no provision's facts sit in another document's fragment."""
    _, gen = built
    whole = json.loads((gen.folder / "facts.json").read_text(encoding="utf-8"))
    joined: dict[str, dict] = {}
    for doc in bundled_docs:
        mine = document_facts(state_dir(gen.folder), doc.file)
        assert set(mine) <= {p.id for p in doc.provisions}
        joined.update(mine)
    assert joined == whole
    assert document_facts(state_dir(gen.folder), "no-such-document.txt") == {}


def test_graph_stage_hands_the_index_aliases_and_facts(tmp_path, bundled_docs):
    """graph_stage gives the index department aliases equal to those read from the global
    part of the graph, and per-document facts instead of the whole facts.json."""
    from rdflib import Graph
    from policykg.corpus.tokenize import Tokenizer
    from policykg.pipeline.build import BuildContext
    from policykg.pipeline.graph_stage import graph_stage
    from policykg.indexer.analysis import department_aliases
    docs = bundled_docs[:6]
    ctx = BuildContext(tmp_path, docs, Tokenizer.shared())
    try:
        graph_stage(ctx)
    finally:
        from policykg.ontology import diskstore
        diskstore.abandon(tmp_path)
    from_graph = department_aliases(Graph().parse(str(state_dir(tmp_path) / "global.nt"),
                                                  format="nt"))
    assert ctx.department_aliases == from_graph
    assert ctx.facts == {} and ctx.graph is None
    whole = json.loads((tmp_path / "facts.json").read_text(encoding="utf-8"))
    assert {pid: f for d in docs for pid, f in ctx.facts_of(d.file).items()} == whole


def test_frequency_rows_saved_from_their_buffers(tmp_path):
    """df.bin is the two rows' bytes, whether the rows are arrays (a build) or views of
    a mapped file (an add's FrozenFrequency.load)."""
    from policykg.pipeline.shingles import FrozenFrequency
    df = FrozenFrequency.__new__(FrozenFrequency)
    df.mask, df.n_docs, df._table = 3, 2, []
    df.rows = (array("H", [1, 2, 65535, 4]), array("H", [7, 8, 9, 10]))
    expected = df.rows[0].tobytes() + df.rows[1].tobytes()
    assert df.save(tmp_path) == {"mask": 3, "n_docs": 2}
    assert (tmp_path / "df.bin").read_bytes() == expected
    again = FrozenFrequency.load(tmp_path, {"mask": 3, "n_docs": 2})
    other = tmp_path / "other"
    other.mkdir()
    again.save(other)
    assert (other / "df.bin").read_bytes() == expected
