"""The alignment's array paths (numpy) give exactly what the plain definitions give."""
from __future__ import annotations

import random
import zlib
from array import array

import pytest
from hypothesis import given, settings, strategies as st

from policykg.ontology import alignment as al
from policykg.ontology import fingerprints as fp
from policykg.ontology.fingerprints import BREAK, K, WINDOW, NO_SHINGLE

# CJK, a break, U+0100 (its first UTF-32 byte is 0, as a break's is), ASCII, full width,
# and a character outside the BMP
ALPHABET = "技工院校建设" + BREAK + "Āabc" + "Ａ" + "😀"


def plain_hashes(text: str) -> list[int]:
    """crc32 of each K-character shingle's UTF-32 bytes; NO_SHINGLE when it holds a break."""
    raw = text.encode("utf-32-le")
    return [NO_SHINGLE if BREAK in text[i:i + K] else zlib.crc32(raw[4 * i:4 * i + 4 * K])
            for i in range(max(len(text) - K + 1, 0))]


def plain_winnow(hashes: list[int]) -> list[int]:
    """Every position that is the rightmost minimum of some window (Schleimer et al.)."""
    n = len(hashes)
    if n < WINDOW:
        low = min(hashes, default=NO_SHINGLE)
        return [i for i, h in enumerate(hashes) if h == low != NO_SHINGLE][-1:]
    kept = set()
    for j in range(n - WINDOW + 1):
        window = hashes[j:j + WINDOW]
        low = min(window)
        kept |= {j + k for k, h in enumerate(window) if h == low}
    return sorted(i for i in kept if hashes[i] != NO_SHINGLE)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_shingle_hashes_are_zlib_crc32_of_each_shingle(text):
    assert fp.shingle_hashes(text) == plain_hashes(text)
    assert fp.shingle_hash_array(text).tolist() == plain_hashes(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 3, 7, 2**32 - 1, NO_SHINGLE]), max_size=30))
def test_winnow_keeps_every_window_minimum(hashes):
    assert fp.winnow(hashes) == plain_winnow(hashes)


def test_document_frequency_counts_and_saturates_as_one_at_a_time():
    df = fp.DocumentFrequency(10)
    hashes = [5, 5, 9, NO_SHINGLE, 70000, 5 + (df.mask + 1)]     # the last shares 5's first cell
    for _ in range(3):
        df.add_document(hashes)
    import numpy as np
    assert df.counts(hashes) == [3, 3, 3, 0, 3, 3]
    kept = [h for h in hashes if h != NO_SHINGLE]
    assert df.counts_array(np.array(kept)).tolist() == df.counts(kept)
    # a cell never wraps past 0xFFFF however many documents add to it
    df.rows[0][5 & df.mask] = 0xFFFE
    df.add_document([5, 5 + (df.mask + 1)])
    assert df.rows[0][5 & df.mask] == 0xFFFF


def _stream(text: str, hashes: list[int]) -> fp.Stream:
    s = fp.Stream(None, text, array("i"), array("i"))
    kept = fp.winnow(hashes)
    s.fp_pos = array("i", kept)
    s.fp_hash = array("I", (hashes[i] for i in kept))
    return s


class _Counts(fp.DocumentFrequency):
    """Every shingle in two documents: all are eligible."""

    def __init__(self):
        super().__init__(10)
        self.n_docs = 100

    def counts_array(self, hashes):
        import numpy as np
        return np.full(len(hashes), 2, dtype=np.int64)


def test_pair_seeds_are_every_pair_of_places_of_a_shared_shingle():
    rng = random.Random(7)
    vocabulary = [rng.randrange(1 << 32) for _ in range(12)]   # few values: repeats
    ha = [rng.choice(vocabulary) for _ in range(300)]
    hb = [rng.choice(vocabulary) for _ in range(200)]
    sa, sb = _stream("", ha), _stream("", hb)
    df = _Counts()
    xs, ys = al.pair_seeds(sa, sb, df)
    got = list(zip(xs.tolist(), ys.tolist()))
    places_a: dict[int, list[int]] = {}
    for p, h in zip(sa.fp_pos, sa.fp_hash):
        places_a.setdefault(h, []).append(p)
    places_b: dict[int, list[int]] = {}
    for p, h in zip(sb.fp_pos, sb.fp_hash):
        places_b.setdefault(h, []).append(p)
    want = sorted({(x, y) for h, xs_ in places_a.items() if h in places_b
                   for x in xs_ for y in places_b[h]}, key=lambda p: (p[1], p[0]))
    assert got == want
    assert fp.eligible_positions(sa, df).keys.tolist() == sorted(places_a)


def test_a_shingle_repeated_too_often_is_not_eligible():
    hashes = [11, 12, 13, 14] * (fp.MAX_POSTINGS + 2)
    s = _stream("", hashes)
    assert 11 not in fp.eligible_positions(s, _Counts()).keys.tolist()


def test_streams_hold_narrow_indices_and_save_them_wide():
    wide = array("i", [-1, 0, 5, 32767])
    narrow = fp.narrow(wide)
    assert narrow.typecode == "h" and list(narrow) == list(wide)
    assert fp.wide(narrow).typecode == "i" and list(fp.wide(narrow)) == list(wide)
    big = array("i", [0, 40000])
    assert fp.narrow(big) is big


def test_offset_maps_kept_for_a_few_documents_give_the_same_links(monkeypatch):
    from tests.test_alignment import load
    docs = load()
    links = al.find_alignments(docs)
    monkeypatch.setattr(al, "OFFSET_DOCUMENTS", 1)
    assert al.find_alignments(docs) == links


def test_namespace_terms_are_made_once_and_equal_rdflib_s():
    from rdflib.namespace import RDF as RDF_NS
    from policykg.ontology import rdf_terms
    from policykg.ontology.namespaces import POL as POL_NS
    assert rdf_terms.RDF.type == RDF_NS.type and rdf_terms.RDF.type is rdf_terms.RDF.type
    assert rdf_terms.POL["higher"] == POL_NS["higher"]
    assert rdf_terms.POL["higher"] is rdf_terms.POL["higher"]
    with pytest.raises(AttributeError):
        rdf_terms.RDF.__no_such_thing__


def test_pair_packs_come_by_owner_in_the_order_owners_first_appear():
    from policykg.pipeline.graph_stage import pairs_by_owner
    groups = {("b", "c"): {}, ("a", "c"): {}, ("a", "b"): {}, ("b", "d"): {}}
    assert pairs_by_owner(groups) == {"b": [("a", "b")], "c": [("a", "c"), ("b", "c")],
                                       "d": [("b", "d")]}
