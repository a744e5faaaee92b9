"""The floor of the build: jieba tokenization alone on the same text, and rjieba beside it.

`floor(texts)` cuts every line of every document with jieba's precise mode (the general
dictionary, HMM on: what `jieba.cut` does by default) and returns CPU and wall seconds.
`compare_rjieba(texts, terms)` cuts the same lines with rjieba (jieba-rs) and reports how
often the cuts are identical, with the general dictionary and with a domain dictionary
added the way corpus/tokenize.py adds it, and the speed ratio.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Sequence

import jieba

jieba.setLogLevel(logging.WARNING)


def lines_of(texts: Sequence[str]) -> list[str]:
    return [ln for t in texts for ln in t.split("\n") if ln.strip()]


def _timed(fn) -> tuple[float, float, object]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def floor(texts: Sequence[str], repeats: int = 1) -> dict:
    """jieba precise mode over the text; the best of `repeats` runs (least disturbed)."""
    lines = lines_of(texts)
    nbytes = sum(len(ln.encode("utf-8")) for ln in lines)
    tk = jieba.Tokenizer()
    tk.initialize()
    best = None
    for _ in range(repeats):
        wall, cpu, _ = _timed(lambda: [list(tk.cut(ln, HMM=True)) for ln in lines])
        if best is None or cpu < best[1]:
            best = (wall, cpu)
    wall, cpu = best
    return {"lines": len(lines), "bytes": nbytes, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "mb_per_s_cpu": round(nbytes / 1e6 / cpu, 3),
            "mb_per_s_wall": round(nbytes / 1e6 / wall, 3), "repeats": repeats}


def _bounds(words: Sequence[str]) -> set[int]:
    out, pos = set(), 0
    for w in words:
        pos += len(w)
        out.add(pos)
    return out


_CJK = re.compile("[\u3400-\u9fff]")


def _cjk_words(words: Sequence[str]) -> list[str]:
    return [w for w in words if _CJK.search(w)]


def _agreement(a: list[list[str]], b: list[list[str]]) -> dict:
    same = sum(x == y for x, y in zip(a, b))
    same_cjk = sum(_cjk_words(x) == _cjk_words(y) for x, y in zip(a, b))
    inter = union = 0
    for x, y in zip(a, b):
        bx, by = _bounds(x), _bounds(y)
        inter += len(bx & by)
        union += len(bx | by)
    diffs = list(dict.fromkeys(("/".join(x), "/".join(y)) for x, y in zip(a, b) if x != y))[:3]
    return {"identical_lines_pct": round(100 * same / max(len(a), 1), 3),
            "identical_chinese_words_pct": round(100 * same_cjk / max(len(a), 1), 3),
            "boundary_agreement_pct": round(100 * inter / max(union, 1), 3),
            "examples": [{"jieba": x[:120], "rjieba": y[:120]} for x, y in diffs]}


def compare_rjieba(texts: Sequence[str], terms: Sequence[str] = (), max_lines: int = 40000) -> dict:
    try:
        import rjieba
    except ImportError as exc:
        return {"error": f"rjieba is not installed: {exc}"}
    lines = lines_of(texts)[:max_lines]
    nbytes = sum(len(ln.encode("utf-8")) for ln in lines)
    out: dict = {"lines": len(lines), "bytes": nbytes}

    jt = jieba.Tokenizer()
    jt.initialize()
    rj = rjieba.Jieba()
    wj, cj, cut_j = _timed(lambda: [list(jt.cut(ln, HMM=True)) for ln in lines])
    wr, cr, cut_r = _timed(lambda: [rj.cut(ln, True) for ln in lines])
    out["general"] = {"jieba_cpu_s": round(cj, 3), "rjieba_cpu_s": round(cr, 3),
                      "speedup_cpu": round(cj / max(cr, 1e-9), 1),
                      "speedup_wall": round(wj / max(wr, 1e-9), 1),
                      **_agreement(cut_j, cut_r)}
    if terms:
        # The domain dictionary as corpus/tokenize.py adds it: add_word, then
        # suggest_freq(tune=True) so each term comes out whole.
        from policykg.corpus.tokenize import fold
        t0 = time.process_time()
        jd = jieba.Tokenizer()
        jd.initialize()
        for t in terms:
            jd.add_word(fold(t))
        for t in terms:
            jd.suggest_freq(fold(t), tune=True)
        setup_j = time.process_time() - t0
        folded = [fold(ln) for ln in lines]
        # rjieba's own suggest_freq: its tuning differs from jieba's in a few places.
        naive = rjieba.Jieba()
        for t in terms:
            w = fold(t)
            naive.add_word(w, naive.suggest_freq(w), None)
        out["domain_naive"] = {"terms": len(terms), **_agreement(
            [list(jd.cut(ln, HMM=True)) for ln in folded], [naive.cut(ln, True) for ln in folded])}
        # The frequencies jieba's tuning settled on, copied into rjieba.
        t0 = time.process_time()
        rd = rjieba.Jieba()
        for t in terms:
            w = fold(t)
            rd.add_word(w, jd.FREQ[w], None)
        setup_r = time.process_time() - t0
        wj, cj, dj = _timed(lambda: [list(jd.cut(ln, HMM=True)) for ln in folded])
        wr, cr, dr = _timed(lambda: [rd.cut(ln, True) for ln in folded])
        out["domain"] = {"terms": len(terms), "jieba_setup_s": round(setup_j, 3),
                         "rjieba_setup_s": round(setup_r, 3), "jieba_cpu_s": round(cj, 3),
                         "rjieba_cpu_s": round(cr, 3),
                         "speedup_cpu": round(cj / max(cr, 1e-9), 1),
                         **_agreement(dj, dr)}
        # The search-mode tokens the index is built from.
        wj, cj, sj = _timed(lambda: [[w for w, _, _ in jd.tokenize(ln, mode="search")]
                                     for ln in folded])
        wr, cr, sr = _timed(lambda: [[w for w, _, _ in rd.tokenize(ln, "search", True)]
                                     for ln in folded])
        out["domain_search_mode"] = {"jieba_cpu_s": round(cj, 3), "rjieba_cpu_s": round(cr, 3),
                                     "speedup_cpu": round(cj / max(cr, 1e-9), 1),
                                     **_agreement(sj, sr)}
        out["policykg"] = _project_engines(lines, terms)
    return out


def _project_engines(lines: Sequence[str], terms: Sequence[str]) -> dict:
    """corpus.tokenize.Tokenizer with each engine, as the index cuts (search mode): the
    project's own rjieba engine (jieba's tuned frequencies, its totals balanced, jieba-rs's
    number-range cut corrected) against its jieba engine."""
    from policykg.corpus.tokenize import Tokenizer, available_engines
    if "rjieba" not in available_engines():
        return {"error": "rjieba is not installed"}
    tj, tr = Tokenizer(terms, engine="jieba"), Tokenizer(terms, engine="rjieba")
    wj, cj, sj = _timed(lambda: [[w for w, _, _ in tj.tokens(ln)] for ln in lines])
    wr, cr, sr = _timed(lambda: [[w for w, _, _ in tr.tokens(ln)] for ln in lines])
    return {"jieba_cpu_s": round(cj, 3), "rjieba_cpu_s": round(cr, 3),
            "speedup_cpu": round(cj / max(cr, 1e-9), 1), **_agreement(sj, sr)}
