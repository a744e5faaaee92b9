"""Indicators as concepts: when two wordings of an indicator are one thing an official compares.

A plan writes an indicator as its drafters do: a province's table has 在校生规模, its prose
技工院校学制教育规模, the city's plan 技工院校在校生规模; the province reports 毕业生初次就业率
where the city writes 毕业生就业率.  An official reads each as one indicator across levels.
`indicator_key` is the normal form two wordings must share; the wording as written stays on
every target (`Target.indicator`, export `indicator`), the key is its concept (export
`indicator_key`, the graph's skos:Concept with every wording as a label).  The key groups
the targets page, pairs targets across levels (ontology.target_alignment.align_targets) and
makes a prose restatement of a table row in the same document one target.

The rule, step by step (each step says why it is safe):

1. **Spelling** — width, quotes, brackets, punctuation, 的/之, place words (我市, 全省 …), the
   inclusive bounds 及以上/以上 (以上 is inclusive in Chinese statistics: "高级工班以上" and
   "高级工班及以上" are one population), 数量→数, 占比/比重/比率→比例, a final 数/总数.
2. **Statistical synonyms** (`SYNONYMS`, each with the reason) — 在校学生 is 在校生; a
   技工院校's 学制教育规模 is its full-time (学制) enrolment, i.e. its 在校生 (人社部's
   statistics count 学制教育 by students enrolled, as against 职业培训 by 人次); 高级工班 is
   named by the level it trains to (高级工); 职业技能培训 is the policy name of 职业培训.
3. **Qualifiers that do not change what is counted** — 初次 (a graduate employment rate is
   measured once, at graduation: 初次就业率 is how 就业率 is defined in these statistics),
   总体/整体, 各类/各种 (of every kind: no kind left out), 面向社会 (a school's 职业培训 is
   for those outside it by definition: its own students are 学制教育), doing words before
   what is counted (开展/组织/完成职业培训 counts 职业培训); 年均/每年/年度 are one
   per-year marker 年 (kept: a yearly figure is not a period total).  Qualifiers that
   narrow the population or the measure stay: 对口 (matched to the trade), 高级工班以上,
   学制技师班, 高水平, 省级, 示范性 …
4. **Size words on a count of people** — 规模, 总量, 人数: 在校生规模 and 在校生人数 are the
   same count; only when the unit counts people, so 办学规模 (所) keeps its word.
5. **The subject made explicit** — a population written bare (在校生, 毕业生, 招生, 教师 …)
   belongs to the institutions the document is about: in a 技工教育 plan, 在校生 is
   技工院校在校生.  `document_subject` reads that class from the title (`SUBJECTS`) or, when
   the title names no sector, from the class the text names most, and the
   key then names it, so a 技工教育 plan's bare 在校生 meets another's 技工院校在校生 — and
   never a 职业教育 plan's 在校生 (职业院校, another population).  A wording that names an
   institution class already keeps its own (技师学院 is not 技工院校, 技工学校 neither).
6. **Unit family** — a share and a count never share a key: a % without a share word gets
   比例 (as prose names get it), a count whose name reads as a rate gets its family added.

So 毕业生就业率 / 毕业生初次就业率 and 在校生规模 / 技工院校在校生规模 / 技工院校学制教育规模
(all in 技工教育 plans) are one concept each, while 技师学院数 / 技工院校数, 就业率 / 就业人数,
在校生 / 高级工班以上在校生比例 stay apart.

`matches` is the search over indicators: a query finds an indicator when it is part of one of
its wordings or of its key, or its own key is part of the indicator's (在校生规模 finds the
concept whose wordings include 技工院校学制教育规模).
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Callable, Iterable

from policykg.corpus.script import to_simplified
from policykg.corpus.text import match_key

RATE_UNITS = ("%", "‰", "1:N", "N:1")
MIN_MENTIONS = 3

# Titles name the sector a plan is about; its institutions are the subject of its bare
# populations.  The sector names and institution classes are those of the Ministry of
# Education's and 人社部's own usage (职业教育法 2022 art. 15: 职业学校 = 中等职业学校 and
# 高等职业学校; 技工院校 = 技工学校, 高级技工学校, 技师学院, run under 人力资源社会保障部门).
# Longest first: 中等职业教育 is read before 职业教育.
SUBJECTS: dict[str, str] = {
    "高等职业教育": "高职院校", "高职院校": "高职院校", "高职": "高职院校",
    "中等职业教育": "中职学校", "中等职业学校": "中职学校", "中职学校": "中职学校",
    "中职": "中职学校",
    "技工教育": "技工院校", "技工院校": "技工院校", "技工学校": "技工院校",
    "技师学院": "技师学院",
    "职业教育": "职业院校", "职业院校": "职业院校", "职业学校": "职业院校",
    "高等教育": "高等学校", "高等学校": "高等学校", "高校": "高等学校",
    "普通高中": "普通高中", "特殊教育": "特殊教育学校", "学前教育": "幼儿园",
}
_SUBJECT_RE = re.compile("|".join(sorted(map(re.escape, SUBJECTS), key=len, reverse=True)))
# A name that names an institution class (or any school) has its own subject.
_INSTITUTION = re.compile(r"院校|学校|学院|高校|高中|幼儿园|中职|高职|大学|技校")
# Populations of a school, written bare: their subject is the document's.
# 高级工 alone is a skill level of any worker (高级工以上技能人才 are society's, not a
# school's): only its classes' students are.
_POPULATION = re.compile(r"^年?(在校生|在校学生|毕业生|招生|学生|新生|专任教师|教师|教职工|"
                         r"学制教育|高级工(在校生|招生|毕业生|学生)|预备技师班?|技师班|学制技师班)")

# Statistical synonyms: (pattern, replacement, why).
SYNONYMS: tuple[tuple[str, str, str], ...] = (
    ("在校学生", "在校生", "the same count, in full"),
    ("学制教育规模", "在校生规模",
     "技工院校学制教育 (full-time programmes) is counted by students enrolled"),
    ("学制教育在校生", "在校生", "学制教育 is what 在校生 are enrolled in"),
    ("高级工班", "高级工", "a class is named by the skill level it trains to: 高级工班及以上在校生 "
     "are the students at 高级工 level and above"),
    ("职业技能培训", "职业培训", "the policy name of the same activity (职业技能提升行动), counted "
     "in 人次 as 职业培训 is in 人社部's statistics"),
)
# Qualifiers that do not change what is counted (see the module docstring, step 3).
_NEUTRAL = re.compile(r"初次|总体|整体|各类|各种|面向社会")
# Doing words before what a count counts: 开展职业培训 counts 职业培训.
_DOING = re.compile(r"^(年?)(组织开展|开展|组织|完成)(?=..)")
_PER_YEAR = re.compile(r"^(每年度|每年|年均|年度)|年均")
# On a count of people, size words name the count itself.
_SIZE = re.compile(r"(规模|总量|总人数|人数)$")
_PERSON = re.compile(r"人|名")
# What a share, a ratio or a change of one is named by (as ontology.target_prose names prose).
_RATE_NAME = re.compile(r"(率|比例|比|度|水平|指数|提高|提升|增长|增加|降低|下降|减少)$")

_FAMILY_LABELS = {"person": "（人数）", "count": "（数量）"}
_DEIXIS = re.compile(r"^(我|全|本|各|该)(省|市|区|县|国|地|州|盟|旗|镇|乡)")
_BOUNDS = re.compile(r"(及|或)?以(上|下)")
_PUNCT = re.compile(r"[()（）\[\]［］【】〔〕<>《》、,，.。:：;；\-—_/·]")


def unit_family(unit: str | None) -> str:
    """"rate" (%, ‰, ratios), "person" (人, 名, 万人, 人次 …) or "count" (所, 个 …)."""
    u = (unit or "").replace("％", "%")
    if u in RATE_UNITS:
        return "rate"
    if u and _PERSON.search(u):
        return "person"
    return "count"


def document_subject(title: str | None, text: str | None = None) -> str | None:
    """The institution class a document is about: the sector its title names
    ("广东省技工教育高质量发展规划" → 技工院校), else the class its text names most (at
    least `MIN_MENTIONS` times, more than any other: a 技能人才 plan that speaks of 技工院校
    throughout is about them); None when neither settles it."""
    m = _SUBJECT_RE.search(match_key(title or ""))
    if m:
        return SUBJECTS[m.group(0)]
    counts = Counter(SUBJECTS[m.group(0)] for m in _SUBJECT_RE.finditer(text or ""))
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < MIN_MENTIONS:
        return None
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None                      # two sectors alike: the text does not say which
    return ranked[0][0]


def _spelling(name: str) -> str:
    k = _PUNCT.sub("", match_key(name))
    k = _DEIXIS.sub("", k)
    k = _BOUNDS.sub("", k)
    k = re.sub("[的之]", "", k)
    k = k.replace("数量", "数")
    return re.sub(r"(所占比例|占比|比重|比率)$", "比例", k)


def indicator_key(name: str, unit: str | None = None, subject: str | None = None) -> str:
    """The concept an indicator name stands for (see the module docstring): what two
    documents' wordings must share to be compared.  `unit` as written; `subject` the
    institution class of the document (`document_subject`)."""
    k = _spelling(name)
    for old, new, _ in SYNONYMS:
        k = k.replace(old, new)
    k = _NEUTRAL.sub("", k)
    k = _PER_YEAR.sub("年", k)
    k = _DOING.sub(r"\1", k)
    family = unit_family(unit)
    if family == "person" and len(_SIZE.sub("", k)) >= 2:
        k = _SIZE.sub("", k)
    k = re.sub(r"(总数|数)$", "", k)
    if subject and not _INSTITUTION.search(k) and _POPULATION.match(k):
        k = subject + k
    if unit is not None and family == "rate" and not _RATE_NAME.search(k):
        k += "比例"
    elif unit is not None and family != "rate" and re.search(r"(率|比例)$", k):
        k += _FAMILY_LABELS[family]   # a count named like a rate keeps apart from the rate
    return k or match_key(name)


@functools.lru_cache(maxsize=1 << 16)
def _plain(text: str) -> str:
    """A wording as the search compares it; cached, as the same few thousand wordings are
    searched by every query."""
    return _PUNCT.sub("", match_key(text or ""))


def matcher(query: str) -> Callable[[str, Iterable[str]], bool]:
    """`matches` with the query read once (a list of thousands of indicators is searched
    with one query): the query in simplified characters, width-folded, and its own key."""
    q = _plain(to_simplified(query or ""))
    qk = indicator_key(q) if q else ""
    if len(_SIZE.sub("", qk)) >= 2:
        qk = _SIZE.sub("", qk)       # a query has no unit: 在校生规模 looks for 在校生 too

    def found(key: str, names: Iterable[str]) -> bool:
        if not q or q in key or (qk and qk in key):
            return True
        return any(q in n or q in _plain(n) for n in names)   # names: extracted simplified
    return found


def matches(query: str, key: str, names: Iterable[str]) -> bool:
    """Whether a search for `query` finds the indicator with this key and these wordings:
    the query (simplified, width-folded) is part of a wording or of the key, or its own
    key is part of the indicator's key."""
    return matcher(query)(key, names)
