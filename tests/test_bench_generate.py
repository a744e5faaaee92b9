"""The benchmark corpus generator (bench/generate.py): deterministic, and valid input.

No timings here: performance is measured by `python -m bench.run`, never asserted.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter

import pytest

from bench.generate import Generator, extra_document, generate
from policykg.corpus import load_corpus
from policykg.corpus.manifest import load_manifest
from policykg.corpus.records import DocumentMeta
from policykg.corpus.vocabulary import LEVELS
from policykg.corpus.segment import segment_document

N = 24


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory, bundled_docs):
    folder = tmp_path_factory.mktemp("bench") / "corpus"
    generate(folder, N, seed=11)
    return folder


def test_same_seed_same_bytes(corpus_dir, tmp_path):
    again = tmp_path / "again"
    generate(again, N, seed=11)
    assert _digest(again) == _digest(corpus_dir)


def test_other_seed_other_documents(corpus_dir, tmp_path):
    other = tmp_path / "other"
    generate(other, N, seed=12)
    synthetic = {n for n in _digest(corpus_dir) if n[:4].isdigit() and n[3] != "_"}
    assert synthetic and not synthetic & set(_digest(other))


def test_prefix_of_a_larger_corpus(corpus_dir, tmp_path):
    """Document i depends only on the seed and the documents before it."""
    larger = tmp_path / "larger"
    generate(larger, N + 6, seed=11)
    small, big = _digest(corpus_dir), _digest(larger)
    assert all(big[name] == h for name, h in small.items() if name != "manifest.toml")
    name, text, fields = extra_document(N, seed=11)
    assert (larger / name).read_text(encoding="utf-8") == text
    assert fields["level"] in LEVELS


def test_manifest_loads_and_matches_files(corpus_dir):
    metas = load_manifest(corpus_dir)
    assert len(metas) == N
    assert {m.file for m in metas} == {p.name for p in corpus_dir.glob("*.txt")}
    levels = Counter(m.level for m in metas)
    assert set(levels) <= set(LEVELS) and levels["municipal"] and levels["provincial"]
    numbers = [m.number for m in metas if m.number]
    assert len(numbers) == len(set(numbers)), "文号 are unique"
    for m in metas:
        assert m.title and m.issuer and m.region
        if m.level == "municipal":
            assert m.region.endswith("市")


def test_documents_segment_into_the_planned_tree(bundled_docs):
    gen = Generator(seed=5, docs=bundled_docs)
    for i in range(len(bundled_docs), len(bundled_docs) + 30):
        planned = gen.make(i)
        doc = segment_document(planned.text, DocumentMeta(file=planned.file, title=planned.title,
                                                          level=planned.place.level))
        got = Counter(p.kind for p in doc.provisions)
        want = Counter(n.kind for ch in planned.chapters for n in ch.walk())
        for kind in ("chapter", "section", "item", "subitem", "point", "box"):
            assert got[kind] == want[kind], (planned.file, kind, got, want)


def test_documents_carry_departments_targets_and_restatements(corpus_dir):
    docs = load_corpus(corpus_dir)
    synthetic = [d for d in docs if d.file[3] != "_"]
    assert len(synthetic) == N - 5
    text = "\n".join(p.own_text for d in synthetic for p in d.provisions)
    # Bracketed responsibility lists of municipal and county plans, task tables of provinces.
    assert re.search(r"（(市|区|县)[^（）]{2,12}局[^（）]*）", text)
    assert "牵头" in text
    # Targets with numbers and units, and indicator tables.
    assert re.search(r"\d+(\.\d+)?\s*(%|万人|所)", text)
    assert any(p.kind == "table_row" for d in synthetic for p in d.provisions)
    # Places other than the bundled ones.
    regions = {d.meta.region for d in synthetic}
    assert len(regions) > 5 and not regions <= {"广东省", "东莞市", "全国"}
    # Lower-level plans cite the plan they take up.
    assert sum("为贯彻落实《" in re.sub(r"\s", "", d.source) for d in synthetic) >= N // 3


def test_rewriting_moves_departments_to_the_new_place(bundled_docs):
    from bench.generate import BUNDLED_PLACES, PROVINCES, Place, place_rewriter
    import random
    src = BUNDLED_PLACES["municipal"]
    dst = Place("municipal", PROVINCES["广东省"], "佛山")
    rw = place_rewriter(src, dst, random.Random(1))
    assert rw("东莞市财政局") == "佛山市财政局"
    assert rw("推动我市技工教育") == "推动我市技工教育"
    county = Place("county", PROVINCES["湖南省"], "长沙", "望城区")
    rw = place_rewriter(BUNDLED_PLACES["provincial"], county, random.Random(1))
    assert rw("省教育厅牵头，全省技工院校") == "区教育局牵头，全区技工院校"
    assert rw("各级人力资源社会保障部门") == "各级人力资源社会保障部门"
