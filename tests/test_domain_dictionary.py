"""The counting in recurring_compounds is fast, and finds exactly what the plain measure finds.

`reference_compounds` is the measure written the plain way (every substring counted,
neighbours gathered place by place); the real one counts level by level, repeated runs
once.  Both must give the same terms, on the bundled corpus and on any text.  Both
drop phrases joined by a conjunction (`joins_words`, a rule of its own: tests/test_tokenize.py).
"""
import math
import re
from collections import Counter, defaultdict

from hypothesis import given, settings, strategies as st

from policykg.corpus.text import CJK
from policykg.corpus.tokenize import EDGE_STOP, general_jieba, joins_words, recurring_compounds

_RUN = re.compile(f"[{CJK}]+")


def reference_compounds(texts, min_count=4, max_len=7, min_entropy=1.0, min_pmi=3.0):
    runs = [r for t in texts for r in _RUN.findall(t)]
    counts = Counter(r[i:i + k] for r in runs for k in range(1, max_len + 1)
                     for i in range(len(r) - k + 1))
    total = sum(map(len, runs)) or 1
    cohesive = {g for g, f in counts.items()
                if len(g) >= 3 and f >= min_count and g[0] not in EDGE_STOP
                and g[-1] not in EDGE_STOP
                and min(math.log(f * total / (counts[g[:i]] * counts[g[i:]]))
                        for i in range(1, len(g))) >= min_pmi}
    left, right, places = defaultdict(Counter), defaultdict(Counter), defaultdict(list)
    for r, run in enumerate(runs):
        for k in range(3, max_len + 1):
            for i in range(len(run) - k + 1):
                g = run[i:i + k]
                if g in cohesive:
                    left[g][run[i - 1] if i else "^"] += 1
                    right[g][run[i + k] if i + k < len(run) else "$"] += 1
                    if len(places[g]) < 30:
                        places[g].append((r, i))

    def entropy(c):
        s = sum(c.values())
        return -sum(v / s * math.log(v / s) for v in c.values())

    def bounds(run):
        out, pos = {0}, 0
        for w in general_jieba().cut(run, HMM=False):
            pos += len(w)
            out.add(pos)
        return out

    found = {}
    for g in cohesive:
        if min(entropy(left[g]), entropy(right[g])) < min_entropy or joins_words(g):
            continue
        ok = sum(i in bounds(runs[r]) and i + len(g) in bounds(runs[r]) for r, i in places[g])
        if ok / len(places[g]) >= 0.6:
            found[g] = counts[g]
    return {g for g, f in found.items()
            if not any(o != g and g in o and h >= 0.8 * f for o, h in found.items())}


def test_same_terms_as_the_plain_measure_on_the_bundled_corpus(bundled_docs):
    texts = [p.own_text for d in bundled_docs for p in d.provisions]
    assert recurring_compounds(texts) == reference_compounds(texts)


# Texts made of a few words and characters, so that strings recur with varied neighbours;
# punctuation splits runs; whole texts repeat.
_PIECES = ["技工院校", "产教融合", "推进", "发展", "建设", "的", "和", "市", "技", "校", "，", "。"]
_texts = st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=16)


@settings(max_examples=60, deadline=None)
@given(texts=_texts, repeat=st.integers(1, 4), min_count=st.integers(2, 5),
       min_pmi=st.sampled_from([0.0, 1.0, 3.0]), min_entropy=st.sampled_from([0.0, 0.5, 1.0]))
def test_same_terms_as_the_plain_measure_on_any_text(texts, repeat, min_count, min_pmi,
                                                     min_entropy):
    texts = texts * repeat
    opts = dict(min_count=min_count, min_pmi=min_pmi, min_entropy=min_entropy)
    assert recurring_compounds(texts, **opts) == reference_compounds(texts, **opts)
