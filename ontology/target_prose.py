"""Targets in prose: which numbers of a clause a plan commits to, by how much, named how.

`parse_targets` reads one provision's own text into `Found` targets, positions into that
text; ontology.targets makes them records.  Apart because this is the grammar of a clause —
cues, goal verbs, bounds, names — the largest body of rules, tested on sentences alone; the
year a figure is due and the past are ontology.target_context's.

A number with a measure word (所 个 名 人 万人 人次 学时 % 个百分点 个月 …) is a target when
the clause commits to it: a level cue before it (保持在, 达到, 不低于, 不少于, 超, ≥ …), a goal
verb right before it (建成, 建设, 打造, 遴选, 培养 …) or a few words back with its object in
between ("累计培训各类人员20万人次"), or a bound after it (以上, 左右, 以下).  The indicator is
the noun phrase before a level cue ("毕业生就业率 | 保持在 | 98%以上"), the object after a goal
verb ("建成 | 20所 | 高水平技师学院", the head after the last 的), or both around a bare bound
("技工院校 | 90%以上 | 专业实行校企合作培养模式").  A share without a share word gets one
("高级工班以上在校生 | 力争达到 | 55%" → …在校生比例); a share keeps the whole it is of
("企业导师占比不低于师资队伍的30%" → 企业导师占师资队伍比例) and, when its clause starts with
占, the subject of the clause before ("高技能人才总量稳步增长，占技能人才的比例达到35%" →
高技能人才总量占技能人才的比例), so two places' shares of different populations never merge.
A clause with no subject at all ("到2025年，达到18所") continues the figure before it.
Bracketed asides (（含技师学院）) are left out of names.  Coordinated figures share their verb
("建成20所A和30所B"); a range "3至5所" / "3—5所" is ">= 3" with `upper` 5; a fraction ("1/3",
"三分之一") is a share in percent.  A bare figure after 其中 breaks down the target before it
("技工院校达到12所，其中技师学院3所、高级技工学校4所"): each part is a target of its own
indicator (技师学院, never merged into 技工院校) with the whole's comparator and year; a part
named by a grade alone ("其中国家级5所") is that grade of the whole's indicator.

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
("按60%的比例提取", "按每人200元"), a bare 一 (一批, 一支: an article), a verb with 了 — and
the past (ontology.target_context).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from policykg.corpus.text import fold_width
from policykg.ontology.target_context import (BASE_YEAR, Context, base_year, clause_bounds,
                                              is_past, sentence_bounds, year_for)

# 州 (自治州), 盟 and 旗 (内蒙古), 镇 and 乡 are places too: "全州技工院校" is 技工院校.
_DEIXIS = re.compile(r"^(我|全|本|各|该)(省|市|区|县|国|地|州|盟|旗|镇|乡)")

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
        lo, hi = clause_bounds(text, i, m.end())
        s_lo, _ = sentence_bounds(text, i)
        if mask[i] or is_past(text, s_lo, i, ctx):
            continue
        prefix = text[lo:i]
        base = base_year(prefix)
        if base is None and ctx.period:
            base = ctx.period[0] - 1           # a plan's base year ends the period before it
        name = _clean_subject(BASE_YEAR.sub("", prefix))
        if len(name) < 2:
            continue
        n = _cn_value(m.group("n")) if m.group("n") != "一" else 1.0
        if n is None:
            continue
        year, _ = year_for(text, i, ctx)
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
    lo, hi = _aside_bounds(text, i, *clause_bounds(text, i, j))
    s_lo, _ = sentence_bounds(text, i)
    if value is None or is_past(text, s_lo, i, ctx):
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
    year, cumulative = year_for(text, i, ctx)
    if r.rate:
        cumulative = False
    base = base_year(r.prefix) if r.cue and r.cue[0] in _DELTA_CUES else None
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
    p_lo, _ = clause_bounds(text, k, k)
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
    base = base_year(before + word)     # the verb ends "比2020增长", a year without 年
    subject = _clean_subject(BASE_YEAR.sub("", before + word)[: -len(word)])
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
