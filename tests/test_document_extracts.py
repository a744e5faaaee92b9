"""ontology.extract: each document extracted on its own, the corpus-wide steps after, equal
to graph_parts over the corpus — including a document whose departments read differently
against its predecessors' registry (read again in order)."""
from __future__ import annotations

import dataclasses

from policykg.corpus import load_corpus
from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document
from policykg.ontology.extract import extract_document, parts_from_extracts, reads_the_same
from policykg.ontology.graph_build import RecordingResolver, graph_parts


def _doc(file: str, title: str, task: str):
    text = f"{title}\n一、重点任务\n（一）{task}\n"
    return segment_document(text, DocumentMeta(file=file, title=title, level="municipal",
                                               region="晋城市", issuer="晋城市人民政府"))


# The first plan names the development body in full; the second in short, which alone
# reads as 晋城市发展和改革局 but after the first is the body the registry already knows.
FIRST = ("a.txt", "晋城市职业教育发展规划",
         "加快职业教育发展。建设一批高水平职业院校。（晋城市发展和改革委员会牵头，市教育局配合）")
SECOND = ("b.txt", "晋城市技工教育发展规划",
          "推进产教融合。建设一批实训基地。（市发展改革局、市人力资源社会保障局）")


def _same_parts(a, b) -> None:
    for f in dataclasses.fields(a):
        if f.name in ("departments", "citations", "prepared"):
            continue
        assert getattr(a, f.name) == getattr(b, f.name), f.name
    da, db = a.departments, b.departments
    assert da.responsibilities == db.responsibilities and da.mentions == db.mentions
    assert da.issuers == db.issuers
    assert list(da.departments.items()) == list(db.departments.items())
    assert dict(da.resolver.aliases) == dict(db.resolver.aliases)
    assert a.citations.citations == b.citations.citations
    assert a.citations.cited == b.citations.cited
    (sa, dfa), (sb, dfb) = a.prepared, b.prepared
    assert dfa.rows == dfb.rows and dfa.n_docs == dfb.n_docs
    assert [(s.text, s.fp_pos, s.fp_hash) for s in sa] == [(s.text, s.fp_pos, s.fp_hash) for s in sb]


def test_a_document_read_alone_differs_and_is_read_again_in_order():
    first, second = _doc(*FIRST), _doc(*SECOND)
    alone = extract_document(second)
    assert "晋城市发展和改革局" in [r.name for r in alone.responsibilities]
    registry = RecordingResolver()
    assert reads_the_same(registry, extract_document(first).events)
    before = dict(registry.departments)
    assert not reads_the_same(registry, alone.events)
    assert registry.departments == before              # a refused trial leaves no trace

    docs = [first, second]
    expected = graph_parts(docs)
    again = [_doc(*FIRST), _doc(*SECOND)]
    got = parts_from_extracts(again, [extract_document(d) for d in again])
    _same_parts(expected, got)
    names = [r.name for r in got.departments.responsibilities if r.doc == "b.txt"]
    assert "晋城市发展和改革委员会" in names and "晋城市发展和改革局" not in names


def test_the_bundled_corpus_extracted_document_by_document(bundled_docs):
    docs = load_corpus()
    _same_parts(graph_parts(bundled_docs),
                parts_from_extracts(docs, [extract_document(d) for d in docs]))
