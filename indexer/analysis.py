"""The analysis both search engines share, with no engine in it: a provision's text read as
units (CJK characters, runs of letters and digits), character bigrams and jieba words with
the project's one folding; the fields a provision is indexed with (its own text, the
headings above it, its departments, indicators and years, its static ranking weight); and
the index's catalog (catalog.json: documents and departments) beside the whoosh files.
indexer.index writes these with whoosh, indexer.tantivy_engine with tantivy; indexer.query
and indexer.compiler read queries with the same analysis."""
from __future__ import annotations


import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence


from policykg.corpus.records import Document, Provision
from policykg.corpus.text import CJK
from policykg.corpus.tokenize import Tokenizer, fold
from policykg.indexer.standing import prior as standing_prior


INDEX_DIR = "index"
CATALOG_FILE = "catalog.json"    # beside the whoosh files: documents and departments
# Runs of letters/digits longer than this are cut (the same way at index and query
# time): a pasted 100k-character token becomes one bounded term, never a huge one.
MAX_RUN = 32
# Units are read off the text as received: CJK characters, and runs of ASCII or
# full-width letters and digits (folded afterwards, which keeps offsets: folding is one
# character for one).  Not folding the whole text first keeps indexing fast.
_UNIT = re.compile(f"([{CJK}])|([0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+)")
_WORDLIKE = re.compile(f"[{CJK}0-9a-z]")
_YEAR = re.compile(r"(?<![0-9０-９])([12１２][09０９][0-9０-９]{2})\s*年")
SEP = "\x1f"    # joins department names in the facet column (never in a name)


# ---- the character analysis shared by indexing and querying -----------------------------

def units(text: str) -> list[tuple[str, int, int]]:
    """(unit, start, end): CJK characters and letter/digit runs, width and case folded.

    Whitespace and punctuation are not units, so "推动建成 50 所“校企双制”示范校" and
    "推动建成50所校企双制示范校" read alike; offsets point into the original text.
    """
    out = []
    for m in _UNIT.finditer(text):
        han = m.group(1)
        if han is not None:
            # CJK compatibility ideographs (U+F900…) fold to their unified forms.
            out.append((fold(han) if han >= "\uf900" else han, m.start(), m.end()))
        else:
            out.append((fold(m.group(2))[:MAX_RUN], m.start(), m.end()))
    return out


def is_cjk(unit: str) -> bool:
    """A unit is either one CJK character or an ASCII run."""
    return not unit.isascii()


def grams(seq: Sequence[str]) -> Iterator[tuple[int, str]]:
    """(position, gram), one per unit: a CJK character with the next one when that is CJK
    too (a bigram), else the unit alone (an ASCII run, or the last character of a run).

    Every character's position holds a gram that starts with it, so any run of two or
    more characters is a phrase of bigrams; a single character is a prefix.
    """
    cjk = [not u.isascii() for u in seq]
    cjk.append(False)
    return ((i, unit + seq[i + 1] if cjk[i] and cjk[i + 1] else unit)
            for i, unit in enumerate(seq))


@dataclass(frozen=True)
class GramPattern:
    """What a string is in the gram fields: a phrase of whole grams, plus possibly one
    character whose gram in the text depends on what follows it (a prefix)."""

    phrase: tuple[str, ...]
    prefix: str | None = None


def gram_pattern(text: str) -> GramPattern:
    """The grams that match `text` wherever its characters stand in a row.

    "学制技师" → 学制 制技 技师 (the last character is inside the last bigram);
    "1+1双导师" → 1 1 双导 导师; "技师50" → 技师 师 50 (师 stands before a digit run, so
    it is a gram of its own in the text too).  A CJK character that ends the string
    without a CJK character before it ("市", "50所") is a prefix: in the text it may
    be followed by anything.
    """
    seq = [u for u, _, _ in units(text)]
    out: list[str] = []
    prefix = None
    for i, unit in enumerate(seq):
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        if is_cjk(unit) and nxt is not None and is_cjk(nxt):
            out.append(unit + nxt)
        elif nxt is None and is_cjk(unit):
            if not (i > 0 and is_cjk(seq[i - 1])):
                prefix = unit
        else:
            out.append(unit)
    return GramPattern(tuple(out), prefix)


def words(tokenizer: Tokenizer, text: str) -> list[str]:
    """jieba search-mode words (whole words and their parts), punctuation dropped."""
    return [w for w, _, _ in tokenizer.tokens(text, search=True) if _WORDLIKE.search(w)]


# jieba never joins characters across these (they end its blocks of Han characters),
# so a text's words are its sentences' words, in order.
_SENTENCE_END = re.compile(r"(?<=[。；！？])")


class WordCache:
    """`words` by sentence, for one build: policy texts repeat sentences (a municipal
    plan restates the provincial one), and each distinct sentence is cut once.
    Bounded: emptied when it holds `limit` sentences."""

    def __init__(self, tokenizer: Tokenizer, limit: int = 200_000):
        self.tokenizer = tokenizer
        self.limit = limit
        self._cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        for sentence in _SENTENCE_END.split(text):
            found = cache.get(sentence)
            if found is None:
                if len(cache) >= self.limit:
                    cache.clear()
                found = cache[sentence] = words(self.tokenizer, sentence)
            out += found
        return out


# ---- what one provision contributes ------------------------------------------------------

@dataclass(frozen=True)
class ProvisionFacts:
    """The graph facts the index uses, from one provision's entry in facts.json
    (ontology.graph.empty_facts gives its keys)."""

    lead: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    years: tuple[str, ...] = ()

    @classmethod
    def read(cls, raw: dict | None,
             known_aliases: Mapping[str, Sequence[str]] | None = None) -> "ProvisionFacts":
        """From one entry of facts.json (None: a provision with no facts); `known_aliases`
        maps a canonical department name to its other names (from the graph)."""
        if not raw:
            return cls()
        depts = raw["departments"]
        lead, participants = tuple(dict.fromkeys(depts["lead"])), tuple(dict.fromkeys(depts["participants"]))
        aliases = [a for name in (*lead, *participants) for a in (known_aliases or {}).get(name, ())]
        indicators = [t["indicator"] for t in raw["targets"] if t["indicator"]]
        years = [str(t["target"]["year"]) for t in raw["targets"]
                 if t["target"] and t["target"].get("year") is not None]
        return cls(lead, participants, tuple(dict.fromkeys(aliases)),
                   tuple(dict.fromkeys(indicators)), tuple(dict.fromkeys(years)))


def trail_of(p: Provision, by_id: dict[str, Provision]) -> list[dict]:
    """The provisions above `p`, outermost first: the breadcrumb a hit shows."""
    out = []
    parent = p.parent
    while parent and parent in by_id:
        node = by_id[parent]
        out.append({"id": node.id, "number": node.number, "heading": node.heading})
        parent = node.parent
    return out[::-1]


def text_years(text: str) -> set[str]:
    """Years the text names ("到2025年", "２０２５年"), 1900–2099."""
    found = (fold(y) for y in _YEAR.findall(text))
    return {y for y in found if y[:2] in ("19", "20")}


def prior_of(p: Provision, by_id: Mapping[str, Provision] | None = None) -> float:
    """The static ranking prior multiplied into a provision's score: its standing
    (indexer.standing — substance first; cover, colophon, signature, salutation, annex
    forms and label lines below it at equal relevance, never hidden)."""
    return standing_prior(p, by_id or {})


def provision_fields(doc: Document, p: Provision, by_id: dict[str, Provision],
                     tokenizer: Tokenizer, facts: ProvisionFacts,
                     cut: WordCache | None = None) -> dict:
    """The whoosh document for one provision (`cut`: `words` with a build's cache)."""
    cut = cut or WordCache(tokenizer)
    meta = doc.meta
    trail = trail_of(p, by_id)
    context = [f"{t['number']} {t['heading']}" for t in trail] + list(p.columns)
    context += [*facts.lead, *facts.participants, *facts.aliases, *facts.indicators]
    names = list(dict.fromkeys([*facts.lead, *facts.participants, *facts.aliases]))
    return {
        "id": p.id, "doc": doc.file, "level": meta.level or "", "kind": p.kind,
        "region": meta.region or "",
        "year": sorted(set(facts.years) | text_years(p.own_text)),
        "dept": [fold(n) for n in names],
        "lead": [fold(n) for n in facts.lead],
        "dept_col": SEP.join(dict.fromkeys([*facts.lead, *facts.participants])).encode("utf-8"),
        "prior": prior_of(p, by_id),
        "words": cut(p.own_text),
        "grams": p.own_text,
        "hwords": cut(p.heading),
        "hgrams": p.heading,
        "context": "\n".join(context),
        "number": p.number, "heading": p.heading, "body": p.own_text,
        "trail": json.dumps(trail, ensure_ascii=False),
        "departments": json.dumps({"lead": list(facts.lead),
                                   "participants": list(facts.participants)},
                                  ensure_ascii=False),
    }


def tally_departments(departments: dict, doc: str, pf: ProvisionFacts,
           aliases: Mapping[str, Sequence[str]]) -> None:
    for role, names in (("lead", pf.lead), ("participant", pf.participants)):
        for name in names:
            departments[name][role] += 1
            departments[name]["docs"][doc] += 1
            departments[name]["aliases"].update(aliases.get(name, ()))


def write_catalog(path: Path, count: int, ranges: dict[str, list[int]],
                  departments: dict) -> None:
    """What the query side needs besides the whoosh files.

    `documents`: each document's provisions as [start, stop) document numbers (one
    writer adds them document by document, one commit makes one segment), so a word of
    a document's title can select its provisions cheaply (indexer.whoosh_query.DocumentsQuery).
    `departments`: every department the index knows, with its aliases and the documents
    that assign it tasks; `dept:` resolves short names against these, in context.
    """
    rows = {name: {"aliases": sorted(d["aliases"] - {name}), "docs": dict(d["docs"]),
                   "lead": d["lead"], "participant": d["participant"]}
            for name, d in sorted(departments.items())}
    data = {"format": 1, "provisions": count, "documents": ranges, "departments": rows}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_catalog(folder: Path) -> dict:
    """The catalog of a generation's index (empty parts when there is none)."""
    path = folder / INDEX_DIR / CATALOG_FILE
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {"documents": data.get("documents") or {}, "departments": data.get("departments") or {}}


def department_aliases(graph) -> dict[str, list[str]]:
    """Canonical department name → its other names, from the graph when there is one.

    The ontology gives every department (org:Organization) its full name as
    skos:prefLabel and the other forms as skos:altLabel (DESIGN.md).
    """
    if graph is None:
        return {}
    from rdflib.namespace import ORG, RDF, SKOS
    out: dict[str, list[str]] = {}
    for org in set(graph.subjects(RDF.type, ORG.Organization)):
        for label in graph.objects(org, SKOS.prefLabel):
            alts = sorted({str(a) for a in graph.objects(org, SKOS.altLabel)} - {str(label)})
            out.setdefault(str(label), []).extend(alts)
    return out
