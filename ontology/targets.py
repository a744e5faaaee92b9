"""Quantitative targets: what a plan commits to, by how much, by when — and how levels compare.

Two sources, one record:

* **Tables** (a 专栏 of 主要指标): read by ontology.target_tables — the header says which
  column is the base year and which the target year (2020年 | 2025年, “十四五”末, 基期 / 目标),
  which holds 预期性/约束性, which the unit; a cell in [ ] is a five-year total; a table of
  years down and indicators across is read too.  Tables under a background heading hold
  what was done and give no targets.
* **Prose**: a number with a measure word (所 个 名 人 万人 人次 学时 % 个百分点 个月 …) is a
  target when the clause commits to it: a level cue before it (保持在, 达到, 不低于, 不少于, 超,
  ≥ …), a goal verb right before it (建成, 建设, 打造, 遴选, 培养 …) or a few words back with
  its object in between ("累计培训各类人员20万人次"), or a bound after it (以上, 左右, 以下).
  The indicator is the noun phrase before a level cue ("毕业生就业率 | 保持在 | 98%以上"), the
  object after a goal verb ("建成 | 20所 | 高水平技师学院", the head after the last 的), or
  both around a bare bound ("技工院校 | 90%以上 | 专业实行校企合作培养模式").  A share without
  a share word gets one ("高级工班以上在校生 | 力争达到 | 55%" → …在校生比例); a share keeps the
  whole it is of ("企业导师占比不低于师资队伍的30%" → 企业导师占师资队伍比例) and, when its
  clause starts with 占, the subject of the clause before ("高技能人才总量稳步增长，占技能人才
  的比例达到35%" → 高技能人才总量占技能人才的比例), so two places' shares of different
  populations never merge.  A clause with no subject at all ("到2025年，达到18所") continues
  the figure before it.  Bracketed asides (（含技师学院）) are left out of names.  Coordinated
  figures share their verb ("建成20所A和30所B"); a range "3至5所" / "3—5所" is ">= 3" with
  `upper` 5; a fraction ("1/3", "三分之一") is a share in percent.  A bare figure after 其中
  breaks down the target before it ("技工院校达到12所，其中技师学院3所、高级技工学校4所"):
  each part is a target of its own indicator (技师学院, never merged into 技工院校) with the
  whole's comparator and year; a part named by a grade alone ("其中国家级5所") is that grade
  of the whole's indicator.

Comparators: 以上/不少于/不低于/超过/≥ ">=", 以下/不超过/控制在 "<=", 左右/约 "~"; reaching a
level (达到, 提高到, 保持在, 稳定在) is "=" unless a bound after the number says otherwise
("技师学院达到12所" = 12, "达到65%以上" ≥ 65).  A change keeps its verb in the name
("技能人才总量年均增长 5%"); measured from a base year it is `relative`, its base year kept
(`baseline_year`) and named ("比2020年提高3个百分点" → …较2020年提高, 3 个百分点; "比2010年提高
8%" is never a share of 8 %).  Every verb of change is read alike — 增加, 增长, 减少, 下降, 提升,
扩大, 提高, 缩小, 上升 after 比/较 a year (年 may be left out: "比2020增长"), or 较“十三五”末 —
and a change with no subject written takes the figure before ("在校生达到4万人左右，比2022年
增加1万人" → 技工院校在校生较2022年增加, 1 万人): a change is never a level, nor a share, of the
indicator it changes.  Reaching a lower level (下降到, 降至, 减少到) is a level.  In "由1500人提高
到3000人" the first figure is the baseline, never a target.  翻一番 is 2 倍 of the base year (stated, or the year before
the plan period).  A figure per year (每年, 每学年) says so in its name and keeps the count's
unit ("每年面向社会开展职业技能培训 8 万人次"), as tables write 年职业培训规模（万人次）.
Durations (个月, 天, 周) are targets only when bounded ("实践不少于2个月").

Never a target, by rule: money (元), durations unbounded and dates (年, 月, 日, 个工作日),
ordinals (第…, 前…), numbers inside 《》, 〔〕 or quotation marks, rates of an instrument
("按60%的比例提取", "按每人200元"), a bare 一 (一批, 一支: an article), anything in a
background provision (发展基础, 面临形势, 发展环境 …), and the past: 截至 a year not after the
document's (or a month, 目前), an earlier five-year period ("十三五"期间), a year before the
plan as the nearest year named ("2020年，在校生达到…"), words of the past with no target year
("以来", "五年来", "连续多年"), a verb with 了.

Years come from the text: the nearest "到2025年(底)" / "2025年：" before the number in its
paragraph (never the base year of 比/较/由…), or "十四五"末 / 期间 (that period's last year);
failing that, the plan period's end when the provision is a goals provision (a heading with
目标); else None.  期间/时期/累计/五年 make a figure a period total (cumulative).

Indicators are concepts shared across documents: `indicator_key` (ontology.indicators) is the
normal form two wordings must share — spelling folded, statistical synonyms, qualifiers that
do not change what is counted (初次), size words on counts of people (规模, 总量), the
document's subject made explicit (在校生 in a 技工教育 plan is 技工院校在校生) and the unit
family (a share never meets a count); the wording as written stays on the target.
`align_targets` compares equal keys across levels as relation "same", and rates whose keys
differ by one short qualifier as "related" (对口就业率 vs 就业率) — never counts that differ
by a qualifier (高水平技工院校 is a subset of 技工院校; comparing the counts says nothing).
`compare` gives the verdict of a link, in one place for the graph, the exports and the web:
rates, shares, changes in points or percent, multiples, durations and figures per head or per
unit are judged (below / equal / above); a count grows with the place — every city is below
its province on 在校生 — so counts are set side by side with the verdict "n/a".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from policykg.corpus.records import Document, Provision
from policykg.corpus.vocabulary import LEVELS
from policykg.corpus.text import fold_width, match_key
from policykg.ontology.indicators import RATE_UNITS, document_subject, indicator_key
from policykg.ontology.alignment import Hierarchy, may_take_up
from policykg.ontology.spans import OffsetMap
from policykg.ontology.target_tables import row_targets, table_layout, transposed_targets

COMPARATORS = (">=", "<=", "=", "~")


# ---- records ---------------------------------------------------------------------------------

def _num(v: float | None) -> float | int | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(v, 6)


@dataclass(frozen=True)
class Target:
    """One quantitative commitment of one provision."""

    doc: str
    provision: str
    indicator: str                 # as written, cleaned ("高级工班及以上在校生比例")
    indicator_key: str             # the concept shared across documents
    unit: str | None               # as written: 所, 万人, %, 万人次, 个/年, 1:N …
    value: float
    comparator: str                # one of COMPARATORS
    year: int | None
    baseline_value: float | None
    baseline_year: int | None
    cumulative: bool
    attribute: str | None          # 预期性 / 约束性 (tables) or None
    text: str                      # the passage the target was read from
    start: int                     # source offsets of the passage
    end: int
    upper: float | None = None     # a range "2—3个": value is the lower bound, upper the upper
    origin: str = "prose"          # "table" or "prose"
    # a change from a base year ("比2020年提高3个百分点": baseline_year 2020, value 3), never
    # a level of 3
    relative: bool = False

    def to_export(self) -> dict:
        """`baseline` is the base-year value when the text gives one; `baseline_year` the
        base year whenever it does — also for a relative change with no base value
        ("比2020年提高3个百分点": relative, baseline_year 2020, target value 3)."""
        baseline = None
        if self.baseline_value is not None:
            baseline = {"value": _num(self.baseline_value), "year": self.baseline_year}
        return {"doc": self.doc, "provision": self.provision, "indicator": self.indicator,
                "unit": self.unit,
                "target": {"value": _num(self.value), "comparator": self.comparator,
                           "year": self.year},
                "baseline": baseline, "cumulative": self.cumulative,
                "attribute": self.attribute, "relative": self.relative,
                "baseline_year": self.baseline_year}


@dataclass(frozen=True)
class TargetAlignment:
    """The same indicator targeted at two levels; `comparison` is the lower one's target
    relative to the higher one's ("below" / "equal" / "above"), or "n/a" for counts, which
    grow with the place and are set side by side unjudged (see `compare`)."""

    higher: Target
    lower: Target
    comparison: str
    higher_key: str
    lower_key: str
    relation: str = "same"         # "same" concept, or "related" (one key qualifies the other)

    def to_export(self) -> dict:
        """A row of the alignments export (kind "target")."""
        return {"higher": self.higher.provision, "lower": self.lower.provision,
                "kind": "target", "score": 1.0 if self.relation == "same" else 0.5,
                "evidence": f"{_describe(self.higher)} ↔ {_describe(self.lower)}",
                "comparison": self.comparison, "relation": self.relation,
                "indicator": self.higher.indicator}


def _describe(t: Target) -> str:
    sign = {">=": "≥", "<=": "≤", "=": "", "~": "≈"}[t.comparator]
    year = f"（{t.year}年）" if t.year else ""
    return f"{t.indicator} {sign}{_num(t.value)}{t.unit or ''}{year}"


# ---- source offsets ---------------------------------------------------------------------------

# ---- indicator keys ---------------------------------------------------------------------------

# 州 (自治州), 盟 and 旗 (内蒙古), 镇 and 乡 are places too: "全州技工院校" is 技工院校.
_DEIXIS = re.compile(r"^(我|全|本|各|该)(省|市|区|县|国|地|州|盟|旗|镇|乡)")


def _unit_key(unit: str | None) -> str:
    return (unit or "").replace("名", "人").replace("％", "%")


# ---- prose ------------------------------------------------------------------------------------

_CN = "零〇一二两三四五六七八九十百千"
_CLASSIFIER = ("个百分点|百分点|人次|学时|课时|小时|平方米|个月|天|周(?!岁)|所|个|名|人|家|项|支|门|种|座|批|期|条|套|"
               "本|部|篇|场|台|户|间|处|类|册|张|次|位|倍|%|‰")
_QUANTITY = re.compile(
    r"(?P<ratio>(?P<ra>\d+(?:\.\d+)?)\s*[:：]\s*(?P<rb>\d+(?:\.\d+)?))"
    r"|(?P<frac>(?P<fa>\d+)\s*/\s*(?P<fb>\d+)(?![\d/])|(?P<cfb>[" + _CN + r"]+)分之(?P<cfa>[" + _CN + r"]+))"
    r"|(?:(?P<num>\d+(?:\.\d+)?|[" + _CN + r"]+)"
    r"(?:\s*[-—–~～至到]\s*(?P<num2>\d+(?:\.\d+)?|[" + _CN + r"]+))?"
    r"\s*(?P<approx>多|余)?(?P<mult>万|亿)?(?P<cls>" + _CLASSIFIER + r"))"
    r"(?:\s*(?P<suf>及以上|或以上|以上|及以下|以下|以内|左右|上下))?")

# Level cues: the noun phrase before them is the indicator.  Longest first.
_LEVEL_CUES = {
    "不低于": ">=", "不少于": ">=", "不小于": ">=", "不得低于": ">=", "不得少于": ">=",
    "至少": ">=", "最少": ">=", "超过": ">=", "高于": ">=", "多于": ">=", "突破": ">=",
    "超": ">=",
    # Reaching a level states the level itself: "技师学院达到12所" is 12, "达到12所以上" ≥ 12
    # (the bound after the number decides, as 以上 does in the gold of real plans' tables).
    "力争达到": "=", "达到": "=", "提高到": "=", "提高至": "=", "提升到": "=",
    "提升至": "=", "增加到": "=", "增加至": "=", "增至": "=", "扩大到": "=",
    "扩大至": "=", "增长到": "=", "增长至": "=", "达": "=",
    # reaching a lower level is a level too ("失业率下降到5%以下"), never a change of 5
    "降低到": "=", "降低至": "=", "下降到": "=", "下降至": "=", "减少到": "=", "减少至": "=",
    "缩小到": "=", "缩小至": "=", "降至": "=", "减至": "=",
    "不超过": "<=", "不高于": "<=", "不多于": "<=", "不大于": "<=", "最多": "<=",
    "低于": "<=", "少于": "<=", "控制在": "<=",
    "保持在": "=", "稳定在": "=", "维持在": "=",
    "大约": "~", "约": "~", "近": "~",
    "≥": ">=", ">": ">=", "≤": "<=", "<": "<=",
    # a change, not a level: the indicator is the change ("技能人才总量年均增长")
    "提高": "=", "提升": "=", "增长": "=", "增加": "=", "降低": "=", "下降": "=", "减少": "=",
    "扩大": "=", "缩小": "=", "上升": "=", "上升到": "=", "上升至": "=",
    # a commitment without a bound ("确保90%的毕业生取得…")
    "确保": "=", "力争": "=",
}
# Every verb of change reads alike: "比2020年增长30%", "比2022年增加1万人", "较2020年提高3个
# 百分点" are changes from their base year, never a level (nor a share) of the same indicator.
_DELTA_CUES = ("提高", "提升", "增长", "增加", "降低", "下降", "减少", "扩大", "缩小", "上升")
_LEVEL_RE = re.compile("|".join(sorted(map(re.escape, _LEVEL_CUES), key=len, reverse=True)))
# Goal verbs: the object after the quantity is the indicator.
_GOAL_VERBS = ("建成|建设|打造|培育|遴选|扶持|培养|开发|组建|新增|引进|推广|输送|招收|改造|创建|认定|"
               "设立|开设|举办|办好|评选|选树|建立|共建|加强|支持|完成|培训|招生|选拔|资助|编写|"
               "制定|出版|立项|布局|认证|孵化|新建|扩建|增设|设置")
_GOAL_RE = re.compile(f"(?:{_GOAL_VERBS})$")
# A goal verb a few words back, its object between it and the number ("培训各类人员20万人次").
_GOAL_NEAR = re.compile(f"(?:{_GOAL_VERBS.replace('加强|支持|', '')})[^，。；：、\\d]{{1,8}}$")
_SUFFIX_CMP = {"及以上": ">=", "或以上": ">=", "以上": ">=", "及以下": "<=", "以下": "<=",
               "以内": "<=", "左右": "~", "上下": "~"}
_CLAUSE_END = "，。；：,;:！？!?\n"
_RATE = re.compile(r"每(学年|年度|年|学期|期|季度|月)")
_PER = re.compile(r"每(个|所|家|位)?(市|县|区|校|院|学校|专业|镇)")
_PRESENT_TIME = re.compile(r"^(争取|力争)?(到|至|在)?\s*\d{4}\s*年(底|末|前)?|^[“\"]?十[一二三四五六七八九]五[”\"]?"
                           r"(期间|时期|末)?|^(期间|时期)")
_LEAD_WORDS = re.compile(r"^(其中|并且|并|且|使|让|推动|确保|实现|力争|争取|同时|全部|均|要|预计|"
                         r"在此基础上|此外|另外|以及|及|和)")
_TRAIL_WORDS = re.compile(r"(力争|争取|要|应|须|必须|确保|基本|逐步|进一步|稳定|总体|全面|(?<![年人生])均|"
                          r"都|将|可|能|仍|继续|分别|累计|共|总计|合计|达)$")
_RATE_NAME = re.compile(r"(率|比例|占比|比重|比|度|水平|指数|提高|提升|增长|增加|降低|下降|减少)$")
_DURATION = re.compile(r"^(工作日|个?月|天|日|周|年|小时|季度|学期)")
_OBJECT_STOP = re.compile(r"(?:、|和|及|与|以及)(?=\s*(?:\d|[二两三四五六七八九十百]+[" + "所个名人家项支门种座" + r"]))")
_BACKGROUND = re.compile(r"^(规划|发展|工作|现实)?(面临的?)?(背景|基础|现状|环境|形势|成效|回顾|成就|机遇)"
                         r"(和|与|及)?(面临的?)?(形势|挑战|机遇|问题)?$")
_GOAL_HEADING = re.compile(r"目标")
_PERIOD = re.compile(r"十([一二三四五六七八九])五")
_YEAR_AHEAD = re.compile(r"(?:(?:到|至|在|于|截至|截止到?)\s*)?(\d{4})\s*年(?:底|末|前|内)?")
_YEAR_LABEL = re.compile(r"^\s*(\d{4})\s*年\s*[：:]")
_PAST_FRAME = re.compile(r"(截至|截止到?|截止)\s*(\d{4})\s*年")
# 截至 a month, today or last year: a count of what is, whatever the year
_PAST_NOW = re.compile(r"(截至|截止到?)\s*(目前|当前|现在|今年|去年|上年|年底|\d{1,2}\s*月)")
# Words that date a sentence before the plan: "“十三五”以来", "五年来", "连续多年保持在95%以上".
_PAST_WORDS = re.compile(r"以来|(近|多|五|三|十)年来|连续多年|历年|多年保持|曾经|已经|已达|已有|现有|共有|"
                         r"目前|当前|十年前|去年|上年")
# The base of a relative figure ("比2020年提高3个百分点", "较2015年末", "在2020年基础上"): the
# year it names is where the change is measured from, never the target year.
# "比2020增长" (no 年) is written too, the change verb right after the year; "比“十三五”末"
# is the last year of that period.
_BASE_YEAR = re.compile(r"(?:比|较|与|同|由|从)\s*(?P<y1>\d{4})\s*年(?:底|末)?(?:的|相比|比)?"
                        r"|(?:比|较)\s*(?P<y3>(?:19|20)\d{2})(?=\s*[增减提降下上扩缩翻])"
                        r"|在\s*(?P<y2>\d{4})\s*年(?:底|末)?(?:的)?基础上"
                        r"|(?:比|较)\s*[“\"]?十(?P<p>[一二三四五六七八九])五[”\"]?\s*(?:期末|末)(?:的|相比)?")
_DOUBLING = re.compile(r"(?:实现)?翻(?P<n>一|两|二|三|\d)番")
# An aside in brackets names what is included, not what is measured: "技工院校（含技师学院）
# 在校生" is 技工院校在校生 — and must not pass for an indicator of 技师学院.
_ASIDE = re.compile(r"\([^()]*\)")
# Where a clause's own subject ends and what it says of it begins ("高技能人才总量持续增长").
_PREDICATE = re.compile(r"持续|不断|稳步|逐步|明显|显著|进一步|大幅|达到|增长|增加|提高|提升|扩大|"
                        r"保持|稳定|超过|不低于|不少于|实现|得到|更加|基本|力争|要|将|为|是|有")
_DURATION_UNITS = ("个月", "天", "周")
_EXCLUDE_BEFORE = re.compile(r"(按照?|每人|每生|乘以|第|排名|前|由|从)\s*$")
# "由1500人提高到3000人": the figure after 由/从 is where the change starts (the baseline,
# `_baseline`), neither a target nor part of the indicator's name.
_FROM = re.compile(r"[由从]\s*\d+(?:\.\d+)?\s*(?:万|亿)?\s*(?:" + _CLASSIFIER + r")?\s*$")


@dataclass(frozen=True)
class Context:
    """What a provision's surroundings say about its numbers."""

    period: tuple[int, int] | None = None   # plan period (start, end)
    doc_year: int | None = None              # year the document was issued
    goals: bool = False                      # a goals provision: the period end applies
    background: bool = False                 # describes the past: no targets


@dataclass(frozen=True)
class Found:
    """A target read from a text, positions relative to that text."""

    indicator: str
    value: float
    unit: str | None
    comparator: str
    year: int | None
    cumulative: bool
    start: int
    end: int
    upper: float | None = None
    baseline_value: float | None = None
    baseline_year: int | None = None
    relative: bool = False         # a change from a base ("比2020年提高3个百分点"), not a level


def period_of(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"\s*(\d{4})\s*[-—–~至到]\s*(\d{4})", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _five_year(n_char: str) -> tuple[int, int]:
    """十四五 → (2021, 2025): the n-th five-year plan period."""
    n = 10 + "一二三四五六七八九".index(n_char) + 1
    start = 2006 + 5 * (n - 11)
    return start, start + 4


def _cn_value(s: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if s == "一" or not s:
        return None                 # 一批, 一所, 一支: an article, not a count
    total, digit = 0, None
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
    units = {"十": 10, "百": 100, "千": 1000}
    for c in s:
        if c in digits:
            if digit is not None:
                return None         # "二三": not a numeral
            digit = digits[c]
        elif c in units:
            total += (1 if digit is None else digit) * units[c]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def _cn_part(s: str) -> float | None:
    """A numeral of a fraction, where 一 is one ("三分之一")."""
    return 1.0 if s == "一" else _cn_value(s)


def _fold(text: str) -> str:
    """Width folded, one character for one character, so positions stay valid."""
    folded = fold_width(text)
    if len(folded) == len(text):
        return folded
    return "".join(f if len(f := fold_width(c)) == 1 else c for c in text)


def _masked(text: str) -> list[bool]:
    """Characters inside 《》, 〔〕 or quotation marks: titles, numbers and names, never targets."""
    mask = [False] * len(text)
    for pattern in (r"《[^《》]*》", r"〔[^〔〕]*〕", r"“[^“”]{0,30}”", r"\"[^\"]{0,30}\""):
        for m in re.finditer(pattern, text):
            for i in range(m.start(), m.end()):
                mask[i] = True
    return mask


def _clause_bounds(text: str, i: int, j: int) -> tuple[int, int]:
    lo = i
    while lo > 0 and text[lo - 1] not in _CLAUSE_END:
        lo -= 1
    hi = j
    while hi < len(text) and text[hi] not in _CLAUSE_END:
        hi += 1
    return lo, hi


def _sentence_bounds(text: str, i: int) -> tuple[int, int]:
    ends = "。；！？!?;\n"
    lo = i
    while lo > 0 and text[lo - 1] not in ends:
        lo -= 1
    hi = i
    while hi < len(text) and text[hi] not in ends:
        hi += 1
    return lo, hi


def _clean_subject(s: str) -> str:
    s = _ASIDE.sub("", s).strip(" \t“”\"'（）()、:")
    for _ in range(4):
        before = s
        s = _PRESENT_TIME.sub("", s).lstrip("，, ")
        s = _LEAD_WORDS.sub("", s)
        s = _DEIXIS.sub("", s)
        s = _TRAIL_WORDS.sub("", s)
        s = _RATE.sub("", s) if s.startswith("每") else s
        s = s.strip(" \t、:")
        if s == before:
            break
    return s[-40:]


def _clean_object(s: str) -> str:
    s = _ASIDE.sub("", s).strip(" \t、")
    if "的" in s:
        head = s.rsplit("的", 1)[1]
        if len(head) >= 2:
            s = head
    s = re.sub(r"(建设|工作)$", "", s)
    return s.strip(" \t、")[:40]


def _is_past(text: str, s_lo: int, pos: int, ctx: Context) -> bool:
    """Whether the sentence frames the number at `pos` as a fact of the past: 截至 a year not
    after the document, an earlier five-year period, a year before the plan as the nearest
    year named, or past-tense words ("以来", "连续多年") with no target year in between."""
    before = text[s_lo:pos]
    start = ctx.period[0] if ctx.period else ctx.doc_year
    for m in _PAST_FRAME.finditer(before):
        # 截至 dates a count of what is; only a year after the document's own is a deadline
        if ctx.doc_year is None or int(m.group(2)) <= ctx.doc_year:
            return True
    if _PAST_NOW.search(before):
        return True
    bases = _base_spans(before)
    if start is not None:
        for m in _PERIOD.finditer(before):
            if _five_year(m.group(1))[1] < start and not _in_spans(m.start(), bases) \
                    and not re.search(r"(比|较|与|同)[“\"]?$", before[:m.start()]):
                return True
    named = [m for m in _YEAR_AHEAD.finditer(before) if not _in_spans(m.start(1), bases)]
    if named and start is not None and int(named[-1].group(1)) < start:
        return True
    floor = start if start is not None else 0
    forward = any(int(m.group(1)) >= floor for m in named) or any(
        _five_year(m.group(1))[1] >= floor for m in _PERIOD.finditer(before))
    return not forward and bool(_PAST_WORDS.search(before))


def _base_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _BASE_YEAR.finditer(text)]


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _base_year(prefix: str) -> int | None:
    """The base year of a relative figure named in the clause before it."""
    found = None
    for m in _BASE_YEAR.finditer(prefix):
        year = m.group("y1") or m.group("y2") or m.group("y3")
        found = int(year) if year else _five_year(m.group("p"))[1]
    return found


def _year_for(text: str, pos: int, ctx: Context) -> tuple[int | None, bool]:
    """The target year of a number at `pos` and whether the text frames it as a period total."""
    para_start = text.rfind("\n", 0, pos) + 1
    before = text[para_start:pos]
    clause_lo, _ = _clause_bounds(text, pos, pos)
    clause = text[clause_lo:pos]
    cumulative = bool(re.search(r"累计|期间|时期|五年", clause))
    label = _YEAR_LABEL.match(before)
    found: int | None = int(label.group(1)) if label else None
    floor = ctx.period[0] if ctx.period else (ctx.doc_year or 1990)
    bases = _base_spans(before)
    for m in _YEAR_AHEAD.finditer(before):
        y = int(m.group(1))
        if y >= floor and not m.group(0).startswith(("截至", "截止")) \
                and not _in_spans(m.start(1), bases):
            found = y
    for m in _PERIOD.finditer(before):
        end = _five_year(m.group(1))[1]
        if end >= floor and (found is None or m.start() > before.rfind(str(found))):
            found = end
    if found is None and ctx.goals and ctx.period:
        found = ctx.period[1]
    return found, cumulative


def _level_cue(prefix: str) -> tuple[str, int, int] | None:
    """The last level cue in the clause prefix with at most a short gap before the number."""
    best = None
    for m in _LEVEL_RE.finditer(prefix):
        best = m
    if best is None:
        return None
    gap = prefix[best.end():]
    if len(gap) > 10 or re.search(r"\d", gap):
        return None
    return best.group(0), best.start(), best.end()


def parse_targets(text: str, ctx: Context = Context()) -> list[Found]:
    """Every target stated in `text` (one provision's own text), positions into `text`."""
    if ctx.background or not text:
        return []
    folded = _fold(text)
    mask = _masked(folded)
    out: list[Found] = []
    governing: tuple[str, int] | None = None     # the goal verb a coordination inherits
    whole: Found | None = None                   # the figure a 其中 clause breaks down
    for m in _QUANTITY.finditer(folded):
        previous = out[-1] if out and "\n" not in folded[out[-1].end:m.start()] else None
        found = _read_quantity(folded, m, mask, ctx, governing, previous)
        governing = None
        if found is None:
            part = _part_of(folded, m, mask, whole, previous)
            if part is not None:
                out.append(part)
            continue
        target, verb, coord_at = found
        out.append(target)
        whole = target
        if verb and coord_at is not None:
            governing = (verb, coord_at)
    out.extend(_doublings(folded, mask, ctx))
    return sorted(out, key=lambda f: f.start)


# "全市技工院校达到12所，其中技师学院3所": a part of the figure before, written bare after
# 其中 — in the same sentence, or the next of a list of parts ("、高级技工学校4所").
_PART_OPEN = re.compile(r"^\s*[)）]?\s*(?:[，,；;]\s*|[(（]\s*)其中\s*[，,:：]?\s*"
                        r"(?P<name>[^，,。；;:：、()（）\d\n]{2,20})$")
_PART_NEXT = re.compile(r"^\s*(?:、|，|,|和|及|以及)\s*(?P<name>[^，,。；;:：、()（）\d\n]{2,20})$")
# A part named by a grade alone ("建成20所高水平技师学院，其中国家级5所") is that grade of the
# whole's indicator.
_GRADE_ONLY = re.compile(r"^.{1,4}(级|类|型|性)$")


def _part_of(text: str, m: re.Match, mask: list[bool], whole: Found | None,
             previous: Found | None) -> Found | None:
    """A bare figure after 其中 that breaks down the target before it: its own indicator
    (技师学院, never merged into 技工院校), the whole's comparator (unless a bound of its own
    says otherwise), year and period."""
    if whole is None or previous is None or any(mask[m.start():m.end()]):
        return None
    opener = _PART_OPEN.match(text[whole.end:m.start()]) if previous is whole else None
    chained = _PART_NEXT.match(text[previous.end:m.start()]) if previous is not whole else None
    hit = opener or chained
    if hit is None or (chained and not _is_part_chain(text, whole, previous)):
        return None
    value, upper, unit = _value_and_unit(m)
    if value is None or _cn_only(m):
        return None
    name = _clean_subject(hit.group("name"))
    if _GRADE_ONLY.match(name):
        name += _CHANGE_ONLY.sub("", whole.indicator)
    name = _finish_name(name, unit)
    if len(name) < 2:
        return None
    bound = _SUFFIX_CMP.get(m.group("suf") or "") or (">=" if m.group("approx") else None)
    comparator = bound or (">=" if upper is not None and whole.comparator == "=" else
                           whole.comparator)
    return Found(name, value, unit, comparator, whole.year, whole.cumulative,
                 m.start() - len(hit.group("name")), m.end(), upper)


def _is_part_chain(text: str, whole: Found, previous: Found) -> bool:
    """Whether `previous` is itself a part of `whole` (a list of parts after one 其中)."""
    between = text[whole.end:previous.start]
    return "其中" in between and not re.search(r"[。；;!?！？\n]", between)


def _doublings(text: str, mask: list[bool], ctx: Context) -> list[Found]:
    """"技师学院数量比2020年翻一番": the level the plan aims at, as a multiple of its base."""
    out = []
    for m in _DOUBLING.finditer(text):
        i = m.start()
        lo, hi = _clause_bounds(text, i, m.end())
        s_lo, _ = _sentence_bounds(text, i)
        if mask[i] or _is_past(text, s_lo, i, ctx):
            continue
        prefix = text[lo:i]
        base = _base_year(prefix)
        if base is None and ctx.period:
            base = ctx.period[0] - 1           # a plan's base year ends the period before it
        name = _clean_subject(_BASE_YEAR.sub("", prefix))
        if len(name) < 2:
            continue
        n = _cn_value(m.group("n")) if m.group("n") != "一" else 1.0
        if n is None:
            continue
        year, _ = _year_for(text, i, ctx)
        out.append(Found(name + (f"为{base}年的" if base else "为基期的"), 2.0 ** n, "倍",
                         "=", year, False, lo, m.end(), baseline_year=base, relative=True))
    return out


@dataclass(frozen=True)
class _Reading:
    """What commits a clause to a number: the words around it."""

    prefix: str                    # the clause before the number
    bare: str                      # … without its rate phrase (每年)
    verb: str | None               # goal verb right before the number, or inherited
    direct: bool                   # the verb stands right before the number
    cue: tuple[str, int, int] | None   # level cue before the number
    near: bool                     # a goal verb a few words back
    bound: str | None              # comparator of 以上/左右/以下/多/余 after the number
    rate: str | None               # 年, 学年, 期 …: a figure per period


def _read_quantity(text: str, m: re.Match, mask: list[bool], ctx: Context,
                   governing: tuple[str, int] | None, previous: Found | None = None
                   ) -> tuple[Found, str | None, int | None] | None:
    """The target a quantity states, the goal verb it was governed by, and where a
    coordinated quantity may follow ("建成20所A和30所B": the second inherits 建成)."""
    i, j = m.start(), m.end()
    if any(mask[i:j]) or (i > 0 and (text[i - 1].isdigit() or text[i - 1] in ".．")):
        return None
    value, upper, unit = _value_and_unit(m)
    lo, hi = _aside_bounds(text, i, *_clause_bounds(text, i, j))
    s_lo, _ = _sentence_bounds(text, i)
    if value is None or _is_past(text, s_lo, i, ctx):
        return None
    r = _reading(text, m, lo, governing)
    if r is None:
        return None
    rest = text[j:hi]
    if m.group("cls") == "个" and _DURATION.match(rest):
        return None                          # "5个工作日": a duration, not a figure to reach
    if unit in _DURATION_UNITS and not (r.bound or (r.cue and _LEVEL_CUES[r.cue[0]] != "=")):
        return None                          # "3个月" is a target only bounded: 不少于2个月
    stop = _OBJECT_STOP.search(rest)
    obj = rest[: stop.start()] if stop else rest
    has_object = bool(re.match(r"[\u4e00-\u9fff“\"（(]", obj)) and not obj.startswith(
        ("的水平", "的比例", "的目标", "并", "且"))
    indicator, comparator = _name_and_comparator(r, obj, has_object, unit)
    comparator = _adjust_comparator(comparator, r, upper, bool(m.group("ratio")))
    per = _PER.search(r.prefix)
    if per and not r.rate and per.group(0) not in indicator:
        indicator = per.group(0) + indicator
    indicator = _with_subject(indicator, text, lo, previous)
    if r.rate and indicator and not indicator.startswith(("每", "年")):
        indicator = f"每{r.rate}{indicator}"   # a figure per year: the unit stays the count's
    indicator = _finish_name(indicator, unit)
    if len(indicator) < 2:
        return None
    year, cumulative = _year_for(text, i, ctx)
    if r.rate:
        cumulative = False
    base = _base_year(r.prefix) if r.cue and r.cue[0] in _DELTA_CUES else None
    span_lo = lo + (len(r.prefix) - len(r.prefix.lstrip(" \u3000")))
    span_hi = hi if has_object and (r.verb or unit == "%") else j
    found = Found(indicator, value, unit, comparator, year, cumulative, span_lo,
                  max(span_hi, j), upper, _baseline(r.prefix), base, base is not None)
    return found, r.verb, (j + stop.start() if stop else None)


def _aside_bounds(text: str, i: int, lo: int, hi: int) -> tuple[int, int]:
    """A number inside brackets ("技工院校20所（其中技师学院8所）") belongs to the bracket:
    its clause starts after the opening bracket and ends at the closing one."""
    depth, opened = 0, None
    for k in range(i - 1, lo - 1, -1):
        c = text[k]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                opened = k
                break
            depth -= 1
    if opened is None:
        return lo, hi
    close = text.find(")", i, hi)
    return opened + 1, close if close >= 0 else hi


_CHANGE_ONLY = re.compile(r"(较\d{4}年)?(年均)?(" + "|".join(_DELTA_CUES) + r")$")


def _with_subject(name: str, text: str, lo: int, previous: Found | None) -> str:
    """A clause whose subject is in the clause before it: "…，占技能人才的比例达到30%" takes
    the previous clause's subject; "…；到2025年，达到18所" the previous figure's indicator."""
    if not name:
        return previous.indicator if previous is not None else name
    change = bool(_CHANGE_ONLY.match(name))
    if change and previous is not None and not re.search(r"[。；;!?！？]", text[previous.end:lo]):
        # "在校生达到4万人左右，比2022年增加1万人": the change of the figure before
        return _CHANGE_ONLY.sub("", previous.indicator) + name
    if not (change or name.startswith(("占", "所占"))):
        return name
    k = lo - 1
    if k < 0 or text[k] not in ",，":
        return name
    p_lo, _ = _clause_bounds(text, k, k)
    head = _clean_subject(text[p_lo:k])
    cut = _PREDICATE.search(head)
    head = head[: cut.start()] if cut else head
    return head + name if len(head) >= 2 else name


def _reading(text: str, m: re.Match, lo: int, governing: tuple[str, int] | None
             ) -> _Reading | None:
    """The words that make the number a commitment, or None when nothing does."""
    i = m.start()
    prefix = text[lo:i]
    if _EXCLUDE_BEFORE.search(prefix):
        return None                          # 按60%, 第9号, 前10名
    rm = _RATE.search(prefix)
    rate = rm.group(1).replace("年度", "年") if rm else None
    bare = (prefix[: rm.start()] + prefix[rm.end():] if rm else prefix).rstrip()
    if bare.endswith("了"):
        return None                          # "扶持打造了183个": done, not to do
    verb_m = _GOAL_RE.search(bare)
    coordinated = governing is not None and re.fullmatch(
        r"\s*(、|和|及|与|以及)\s*", text[governing[1]:i] or "x")
    verb = verb_m.group(0) if verb_m else (governing[0] if coordinated else None)
    cue = None if verb else _level_cue(prefix)
    near = not verb and not cue and bool(_GOAL_NEAR.search(bare))
    bound = _SUFFIX_CMP.get(m.group("suf") or "") or (">=" if m.group("approx") else None)
    if not (verb or cue or near or bound):
        return None
    if (m.group("ratio") or m.group("frac")) and not cue:
        return None                          # a bare "1:2" is a proportion, not a target
    if _cn_only(m) and not (verb or cue or near):
        return None                          # "三项工程", "四个平台": names, not figures
    return _Reading(prefix, bare, verb, bool(verb_m), cue, near, bound, rate)


def _name_and_comparator(r: _Reading, obj: str, has_object: bool,
                         unit: str | None = None) -> tuple[str, str]:
    if r.verb:
        if has_object:
            name = _clean_object(obj)
        else:
            name = _clean_subject(r.bare if r.direct else r.prefix)
        before_verb = r.bare[: len(r.bare) - len(r.verb)] if r.direct else ""
        return name, r.bound or _prefix_comparator(before_verb) or "="
    if r.cue:
        word, c_start, c_end = r.cue
        before = _FROM.sub("", r.prefix[:c_start])
        if word in _DELTA_CUES:
            return _change_name(before, r.prefix[c_end:], word), r.bound or _LEVEL_CUES[word]
        name = _clean_subject(before)
        if unit == "%" and name:
            name = _share_of(name, r.prefix[c_end:])
        if not name and has_object:
            name = _clean_object(obj)
        return name, r.bound or _LEVEL_CUES[word]
    subject = _clean_subject(r.prefix)
    tail = _clean_object(obj.lstrip("的")) if has_object or obj.startswith("的") else ""
    return (subject + tail if subject and tail else subject or tail), r.bound or "="


def _change_name(before: str, gap: str, word: str) -> str:
    """A change is named by what changes, its base and its verb: "技工院校在校生比2020年增长
    30%" → 技工院校在校生较2020年增长; "比2020年增加技工院校5所" → 技工院校较2020年增加.  With
    no subject written ("…，比2022年增加1万人") the name is the change alone (较2022年增加),
    which `_with_subject` completes with what the clause before counts."""
    base = _base_year(before + word)     # the verb ends "比2020增长", a year without 年
    subject = _clean_subject(_BASE_YEAR.sub("", before + word)[: -len(word)])
    if not subject:
        subject = _clean_subject(_ASIDE.sub("", gap))
    return subject + (f"较{base}年" if base else "") + word


def _share_of(name: str, gap: str) -> str:
    """"企业导师占比不低于师资队伍的30%": the whole the share is of stands between the cue
    and the number; it belongs in the name (企业导师占师资队伍比例), or two shares of one
    population in different wholes would read as one indicator."""
    whole = _clean_subject(gap.strip())
    if not whole.endswith("的") or len(whole) < 3:
        return name
    head = re.sub(r"(所占比例|所占比重|占比|比例|比重)$", "", name)
    return f"{head}占{whole[:-1]}比例"


def _adjust_comparator(comparator: str, r: _Reading, upper: float | None,
                       ratio: bool) -> str:
    if upper is not None and comparator == "=":
        return ">="             # "2—3所": at least the lower bound; `upper` keeps the rest
    if ratio and r.cue and r.cue[0] in ("达到", "达", "力争达到", "提高到", "提升到"):
        return "="              # reaching a ratio does not say which way is better
    return comparator


def _cn_only(m: re.Match) -> bool:
    num = m.group("num")
    return bool(num) and not num[0].isdigit()


def _value_and_unit(m: re.Match) -> tuple[float | None, float | None, str | None]:
    if m.group("frac"):
        # "占比达到1/3", "三分之一": a share, in percent as the other shares are
        a = float(m.group("fa")) if m.group("fa") else _cn_part(m.group("cfa"))
        b = float(m.group("fb")) if m.group("fb") else _cn_part(m.group("cfb"))
        if not a or not b or a >= b:
            return None, None, None
        return round(100 * a / b, 2), None, "%"
    if m.group("ratio"):
        a, b = float(m.group("ra")), float(m.group("rb"))
        if b == 1 and a > 0:
            return a, None, "N:1"             # 生师比 20:1
        if a <= 0:
            return None, None, None
        return b / a, None, "1:N"             # 专职思政教师比 1:350
    value = _cn_value(m.group("num"))
    if value is None or math.isinf(value) or math.isnan(value):
        return None, None, None
    upper = _cn_value(m.group("num2")) if m.group("num2") else None
    cls = m.group("cls")
    unit = (m.group("mult") or "") + cls
    return value, upper, unit


def _prefix_comparator(prefix: str) -> str | None:
    tail = prefix[-4:]
    for word, cmp in _LEVEL_CUES.items():
        if tail.endswith(word) and cmp in (">=", "<=", "~"):
            return cmp
    return None


def _baseline(prefix: str) -> float | None:
    m = re.search(r"[由从]\s*(\d+(?:\.\d+)?)\s*(?:万|亿)?\s*[%所个名人家项]?\s*(?:提高|提升|增加|扩大|增长)", prefix)
    return float(m.group(1)) if m else None


def _finish_name(name: str, unit: str | None) -> str:
    name = name.strip(" \t、，,")
    if name.count("“") > name.count("”") and name.startswith("“"):
        name = name[1:]                      # a quote opened before and closed after the name
    if name.count("”") > name.count("“") and name.endswith("”"):
        name = name[:-1]
    if unit == "%" and name and not _RATE_NAME.search(name):
        name += "比例"
    return name


# ---- documents --------------------------------------------------------------------------------

def _context(doc: Document, p: Provision, by_id: dict[str, Provision]) -> Context:
    period = period_of(doc.meta.period)
    year = int(doc.meta.date[:4]) if doc.meta.date and doc.meta.date[:4].isdigit() else None
    goals = background = False
    node: Provision | None = p
    while node is not None:
        heading = match_key(node.heading or "")
        if node.kind != "paragraph" or node is not p:
            goals = goals or bool(_GOAL_HEADING.search(heading))
            background = background or bool(_BACKGROUND.match(heading))
        node = by_id.get(node.parent) if node.parent else None
    return Context(period, year, goals, background)


def _own_body(p: Provision) -> tuple[str, int]:
    """The provision's own text without its marker, and where that text starts in own_text."""
    text = p.own_text
    if p.number and text.startswith(p.number):
        cut = len(p.number)
        return text[cut:], cut
    return text, 0


def extract_targets(docs: Sequence[Document]) -> list[Target]:
    """Every target of every document, table rows before prose; one per fact per document."""
    out: list[Target] = []
    for doc in docs:
        out.extend(_dedupe(_document_targets(doc)))
    return out


def _document_targets(doc: Document) -> list[Target]:
    by_id = doc.by_id()
    offsets = OffsetMap(doc)
    period = period_of(doc.meta.period)
    subject = document_subject(doc.meta.title, doc.source)
    table_rows, prose = [], []
    rows_of: dict[str, list[Provision]] = {}
    for p in doc.provisions:
        if p.kind == "table_row":
            table = by_id.get(p.parent) if p.parent else None
            if table is not None and table.kind == "table":
                rows_of.setdefault(table.id, []).append(p)
        elif p.kind != "table":
            prose.extend(_prose_targets(doc, p, by_id, offsets, subject))
    for table_id, rows in rows_of.items():
        table = by_id[table_id]
        if _context(doc, table, by_id).background:
            continue                          # a table of what was done, under 发展基础
        for row, found in _table_targets(table, rows, period):
            offs = offsets.offsets(row.own_text, row.start)
            start, end = offsets.span(offs, 0, len(row.own_text))
            table_rows.append(_make(doc, row, found, row.own_text, start, end, "table",
                                    subject))
    return table_rows + prose


def _table_targets(table: Provision, rows: list[Provision],
                   period: tuple[int, int] | None) -> list[tuple[Provision, dict]]:
    """Each row with the targets it states, in row order."""
    note = table.own_text
    if table_layout(table.columns, note, period) is None:
        cells = [r.cells for r in rows]
        return [(rows[k], t) for k, t in transposed_targets(cells, table.columns, note, period)]
    return [(r, t) for r in rows for t in row_targets(r.cells, table.columns, note, period)]


def _prose_targets(doc: Document, p: Provision, by_id: dict[str, Provision],
                   offsets: OffsetMap, subject: str | None) -> list[Target]:
    body, cut = _own_body(p)
    found = parse_targets(body, _context(doc, p, by_id))
    if not found:
        return []
    offs = offsets.offsets(p.own_text, p.start)
    out = []
    for f in found:
        start, end = offsets.span(offs, f.start + cut, f.end + cut)
        row = {"indicator": f.indicator, "unit": f.unit, "value": f.value,
               "comparator": f.comparator, "year": f.year,
               "baseline_value": f.baseline_value, "baseline_year": f.baseline_year,
               "cumulative": f.cumulative, "attribute": None, "upper": f.upper,
               "relative": f.relative}
        out.append(_make(doc, p, row, body[f.start:f.end], start, end, "prose", subject))
    return out


def _make(doc: Document, p: Provision, row: dict, text: str, start: int, end: int,
          origin: str, subject: str | None) -> Target:
    """A target of `doc`; `subject` the institution class the document is about (its bare
    populations' subject in the indicator key)."""
    return Target(doc=doc.file, provision=p.id, indicator=row["indicator"],
                  indicator_key=indicator_key(row["indicator"], row["unit"], subject),
                  unit=row["unit"],
                  value=row["value"], comparator=row["comparator"], year=row["year"],
                  baseline_value=row["baseline_value"], baseline_year=row["baseline_year"],
                  cumulative=row["cumulative"], attribute=row["attribute"], text=text.strip(),
                  start=start, end=end, upper=row.get("upper"), origin=origin,
                  relative=row.get("relative", False))


def _dedupe(targets: Iterable[Target]) -> list[Target]:
    """A goal restated in prose after its table row is one target: the table row is kept.
    The same figure for two years (a 2023 milestone and the 2025 goal) is two targets; a
    figure the prose gives without a year is the one the table dated."""
    seen: set[tuple] = set()
    undated: set[tuple] = set()
    out = []
    for t in targets:
        key = (t.indicator_key, _unit_key(t.unit), t.value, t.cumulative)
        if (*key, t.year) in seen or (t.year is None and key in undated):
            continue
        seen.add((*key, t.year))
        undated.add(key)
        out.append(t)
    return out


# ---- across levels ----------------------------------------------------------------------------

def _level(doc_levels: dict[str, int], t: Target) -> int | None:
    return doc_levels.get(t.doc)


MAX_QUALIFIER = 4


def related_keys(a: str, b: str) -> bool:
    """One key is the other with one short qualifier inserted, the measure word unchanged:
    毕业生就业率 / 毕业生初次就业率 — but not 毕业生就业率 / 学制技师班毕业生对口就业率 (two
    qualifiers: another population and another measure)."""
    short, long_ = sorted((a, b), key=len)
    extra = len(long_) - len(short)
    if not 1 <= extra <= MAX_QUALIFIER or len(short) < 4 or short[-2:] != long_[-2:]:
        return False
    return any(long_[:k] + long_[k + extra:] == short for k in range(len(short) - 1))


# ---- fair comparisons -----------------------------------------------------------------------------

NOT_COMPARED = "n/a"
VERDICTS = ("below", "equal", "above", NOT_COMPARED)
# Figures that do not grow with the size of a place, so a city's may be read against its
# province's: shares and rates (55 % of students, 生师比 20:1), changes in points or in percent
# of a base, multiples of a base (翻一番), durations (a teacher's 2 months in a firm: time per
# person), and figures per head or per unit (人均, 生均, 每万人, 每个县).  A count (学校 所,
# 在校生 万人, 培训 人次, also a change of a count: 比2022年增加1万人) grows with the place: every
# city is "below" its province, which says nothing — counts are set side by side, unjudged.
_SCALE_FREE = {"rate": RATE_UNITS + ("个百分点", "百分点", "倍"),
               "duration": ("个月", "天", "周", "学时", "课时", "小时")}
_PER_UNIT = re.compile(r"人均|生均|校均|师均|户均|平均|每\s*[十百千万]+\s*(?:个|名|位|所|家)?|"
                       r"每\s*(?:个|所|家|位|名)?\s*(?:人|生|学生|校|学校|院校|教师|企业|专业|班|"
                       r"县|市|区|镇|乡|户)")


def comparison_basis(unit: str | None, indicator: str = "") -> str:
    """What a target measures, for comparing levels: "rate", "duration", "per-unit" (per head,
    per school …) — comparable across levels — or "count", which is not (see NOT_COMPARED)."""
    u = _unit_key(unit).strip()
    for basis, units in _SCALE_FREE.items():
        if u in units:
            return basis
    if _PER_UNIT.search(indicator or ""):
        return "per-unit"
    return "count"


def comparable(unit: str | None, indicator: str = "") -> bool:
    """Whether a lower level's target of this unit and name may be judged against a higher
    level's: yes for rates, durations and per-unit figures, never for counts."""
    return comparison_basis(unit, indicator) != "count"


def compare(higher: float, lower: float, unit: str | None, indicator: str = "") -> str:
    """The lower level's target against the higher level's: "below", "equal", "above" — or
    NOT_COMPARED ("n/a") for counts, listed side by side with no verdict.  The one place
    the verdict is made (align_targets, the graph and the web's 对比 read it from here)."""
    if not comparable(unit, indicator):
        return NOT_COMPARED
    if math.isclose(higher, lower, rel_tol=1e-9, abs_tol=1e-9):
        return "equal"
    return "below" if lower < higher else "above"


def align_targets(targets: Sequence[Target], docs: Sequence[Document],
                  hierarchy=None) -> list[TargetAlignment]:
    """The same indicator targeted by a lower-level document and its nearest counterparts.

    Pairs must share the unit and the cumulative flag (a five-year total is not a yearly
    level).  Equal keys are the same concept; rates whose keys differ by one short qualifier
    are "related".  A lower target is compared, at each higher level, with one document
    only: the nearest in its own hierarchy (its province's plan, the national one — see
    alignment.Hierarchy) that it may take up, preferring the same concept to a related
    one, then the latest issued, then the file name; and of that document's targets for
    the indicator the one whose year is nearest (a plan's 2023 and 2025 goals).  So a municipal goal is set against its province's and the
    nation's, not against every province's: the links grow with the targets, not with
    their square.  Keys are grouped by their last two characters so the work stays local;
    the links come in the order of the groups' first use, then of the higher and the
    lower target in their group.  `hierarchy`: an alignment.Hierarchy of the whole corpus,
    when `docs` are only some of its documents (the lower ones with their text).
    """
    by_file = {d.file: d for d in docs if d.meta.level in LEVELS}
    hierarchy = hierarchy or Hierarchy(d.meta for d in by_file.values())
    allowed: dict[tuple[str, str], bool] = {}

    def ok(hi: str, lo: str) -> bool:
        if (hi, lo) not in allowed:
            a, b = by_file[hi], by_file[lo]
            allowed[(hi, lo)] = may_take_up(a, b) and hierarchy.contains(a, b)
        return allowed[(hi, lo)]

    groups: dict[str, list[Target]] = {}
    for t in targets:
        if t.doc in by_file:
            groups.setdefault(t.indicator_key[-2:], []).append(t)
    out = []
    for members in groups.values():
        found: list[tuple[int, int, TargetAlignment]] = []
        nearest = _Nearest(members, by_file, ok)
        for j, lo in enumerate(members):
            for i, hi, relation in nearest(lo):
                verdict = compare(hi.value, lo.value, lo.unit, lo.indicator)
                found.append((i, j, TargetAlignment(hi, lo, verdict, hi.indicator_key,
                                                    lo.indicator_key, relation)))
        out.extend(ta for _, _, ta in sorted(found, key=lambda f: (f[0], f[1])))
    return out


def _relation(hi: Target, lo: Target) -> str | None:
    if _unit_key(hi.unit) != _unit_key(lo.unit) or hi.cumulative != lo.cumulative:
        return None
    if hi.indicator_key == lo.indicator_key:
        return "same"
    if hi.unit in RATE_UNITS and related_keys(hi.indicator_key, lo.indicator_key):
        # Only rates: a qualifier on a rate (初次, 对口) changes how one ratio is measured;
        # on a count (高水平技工院校 of 技工院校) it picks out a subset, and comparing the two
        # counts says nothing.
        return "related"
    return None


class _Nearest:
    """`lo`'s counterparts in one group of targets: (position, higher target, relation),
    one per higher level, of the nearest document (see align_targets).

    The group's targets are bucketed by level and document once, and the higher documents
    a lower one may take up are found once per lower document of the group: a target then
    looks only at the targets of its own hierarchy, not at the whole group (which at 2,000
    documents holds thousands of targets of every province)."""

    def __init__(self, members: Sequence[Target], by_file: dict[str, Document], ok):
        self.by_file, self.ok = by_file, ok
        self.buckets: dict[str, tuple[int, list[tuple[int, Target]]]] = {}
        for i, hi in enumerate(members):
            level = LEVELS.index(by_file[hi.doc].meta.level)
            self.buckets.setdefault(hi.doc, (level, []))[1].append((i, hi))
        self.above: dict[str, list[tuple[int, tuple, list[tuple[int, Target]]]]] = {}

    def _above(self, doc: str) -> list[tuple[int, tuple, list[tuple[int, Target]]]]:
        """(level, date key, targets) of each document `doc` may take up, in the group."""
        if doc not in self.above:
            level = LEVELS.index(self.by_file[doc].meta.level)
            self.above[doc] = [(hl, _descending(self.by_file[hd].meta.date or ""), items)
                               for hd, (hl, items) in self.buckets.items()
                               if hl < level and self.ok(hd, doc)]
        return self.above[doc]

    def __call__(self, lo: Target) -> list[tuple[int, Target, str]]:
        best: dict[int, tuple[tuple, int, Target, str]] = {}
        for hl, date, items in self._above(lo.doc):
            for i, hi in items:
                relation = _relation(hi, lo)
                if relation is None:
                    continue
                years = abs(hi.year - lo.year) if hi.year and lo.year else 10_000
                rank = (relation != "same", date, hi.doc, years, i)
                if hl not in best or rank < best[hl][0]:
                    best[hl] = (rank, i, hi, relation)
        # align_targets sorts the links by position, so the order of levels is immaterial.
        return [(i, hi, relation) for _, i, hi, relation in best.values()]


def _descending(text: str) -> tuple[int, ...]:
    """A sort key putting later strings first."""
    return tuple(-ord(c) for c in text) + (0,)
