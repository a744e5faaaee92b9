"""How texts write a body's name, and what is never one.

A sector's body as written — its stem and body word (人社局 is hrss, 人社, 局; 国家发展改革委),
SectorName —, the level word a text names its own government by (省, 市, 州 …), the words any
body's name ends with, the abbreviations of units that are no sector (编办, 外办), the shapes
of collective parties (各区人民政府, 市直各有关部门) and of the youth league (团市委); and
what is never a name: a label of a responsibility (责任单位：), a note on how lists read
(排在第一位的为牵头单位), words of a sentence.

The data is ontology.naming's table (what each body is officially called); this module is
the patterns over text built from it.  They are shared: the resolver (ontology.departments)
decides what a name stands for with them, the responsibility grammar (ontology.roles) cuts
its lists with them, and the mention finder (ontology.responsibilities) runs them over text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.corpus.text import CJK, fold_width
from policykg.ontology.naming import SECTOR_BY_KEY, SECTORS, Sector, sector_of_word
from policykg.ontology.naming import sector_of_stem as _sector_of_stem
from policykg.ontology.places import PLACE_RE

# Bodies under the party committee rather than the government: the 委 before them is 中共…委.
PARTY_SECTORS = {s.key for s in SECTORS if s.owner == "party"}
# People's organisations (共青团, 工会, 妇联 …): named after their place, in no government.
GROUP_SECTORS = {s.key for s in SECTORS if s.owner == "none"}
# Abbreviations of bodies that are not a sector of their own.
UNIT_ABBREVIATIONS = {
    "港澳办": "港澳工作办公室", "港澳事务办": "港澳事务办公室", "台办": "台湾工作办公室",
    "侨办": "侨务办公室", "网信办": "网络安全和信息化委员会办公室", "编办": "机构编制委员会办公室",
    "外办": "外事办公室", "横琴办": "横琴粤澳深度合作区工作办公室", "政研室": "政策研究室",
    "教研室": "教研室", "研究室": "研究室",
}
# Words a body's name ends with: what makes a listed name a department at all.
ORG_END = re.compile(r"(部|厅|局|委|委员会|办|办公室|办公厅|政府|中心|处|司|室|署|院|会|组|"
                     r"指挥部|园区|镇街|街道|管委会|工会|团委|妇联|残联|科协)$")
GOV = re.compile(r"^(人民政府|政府)$")
NATIONAL_BODIES = {
    "国务院": ("government", "国务院"), "国务院办公厅": ("other", "国务院办公厅"),
    "中共中央": ("party", "中共中央"), "党中央": ("party", "中共中央"),
    "中共中央办公厅": ("other", "中共中央办公厅"), "中央": ("party", "中共中央"),
}

# A collective party: 各区人民政府, 各县（市、区）人民政府, 各园区、镇街 — never a sentence
# (各项任务中排在第一位的为牵头单位).
COLLECTIVE = re.compile(r"^各(?!项)[^，,。；;：:为是的]{0,24}?(?:人民政府|政府|部门|单位|镇街|园区|"
                        r"街道|乡镇|镇|[部厅局委办会]|（[^）]*）|\([^)]*\))$"
                        r"|^各[省市县区州盟旗地级以上（）()、]{1,10}$")   # 各区县市, 各地市
# The one-character words a text uses for its own level of government: 省; 市, 州 (自治州)
# and 盟 for prefectures; 县, 区 and 旗 (Inner Mongolia's counties) — 省人社厅, 州人社局, 旗教育局.
LEVEL_WORDS = ("省", "市", "州", "盟", "县", "区", "旗")
LEVEL_WORD = re.compile(f"^({'|'.join(LEVEL_WORDS)})")
# The bodies directly under a government, as one party: 市直各有关部门, 省直有关单位, 区直各部门,
# 市级各有关部门, 省级有关部门（单位）.
DIRECT = re.compile(r"^(?P<level>省|市|州|盟|县|区|旗)(?:直|级)(?:属)?(?:各)?(?:有关|相关)?(?:部门|单位|机关)"
                    r"(?:[（(](?:部门|单位)[）)])?$")
# The labels a responsibility is written under (责任单位：…).
LABEL_WORDS = (r"牵头单位|牵头部门|主责单位|主责部门|责任单位|责任部门|配合单位|配合部门|"
               r"参与单位|参与部门|协同单位|协办单位")
# Other labelled parts of a task's line, not responsibility: 完成时限：2023年底前
OTHER_WORDS = r"完成时限|完成时间|时间节点|时间安排|时限|进度安排|进度要求"
OTHER_LABEL = re.compile(rf"^(?:{OTHER_WORDS})[:：]")
# What no body's name holds: a label (责任单位：), a colon, sentence punctuation, a line end.
# A candidate with one is two names glued together or a sentence, never output.
NOT_A_NAME = re.compile(rf"[:：。，,；;！!？?\n]|{LABEL_WORDS}")
# Words of a sentence, never of a body's name: "具体任务均涉及相关市(州)人民政府" (a bracket's
# second sentence) ends like a body but is none.
SENTENCE_WORDS = re.compile(r"均|涉及|不再|下同|具体|其中|的|要求|确保|做好|加强|开展|按照|根据|"
                            r"通过|进一步|另行")
# A name kept as written must read as one: CJK with its brackets, no figures.
WRITTEN_NAME = re.compile(rf"^[{CJK}（）()、·]{{2,30}}$")
# The youth league committee: 团省委, 团市委, 共青团浙江省委, 共青团杭州市委员会, 团中央.
LEAGUE = re.compile(rf"^(?:共青团|团)(?:(?P<where>省|市|州|盟|县|区|旗|[{CJK}]{{2,10}}?(?:省|市|县|区|自治区|"
                    rf"自治州|盟))委(?:员会)?|(?P<central>中央))$")
# A document-level note on how to read its lists, never a department: 各项任务中排在第一位的
# 为牵头单位, 列第一位的为牵头单位, 第一个单位为牵头单位.
_NOTE = re.compile(r"(第一|首位|首个|居首)[^，,。；;]{0,8}(为|是)[^，,。；;]{0,4}牵头"
                   r"|牵头单位[^，,。；;]{0,4}(列|排)[^，,。；;]{0,3}(第一|首)")


def is_note(text: str) -> bool:
    """Is `text` a note on how responsibility lists read (排在第一位的为牵头单位)?"""
    return bool(_NOTE.search(fold_width(text)))


_STEM_ALT = "|".join(sorted({st for s in SECTORS for st in s.stems}, key=len, reverse=True))
# In lists of sectors ("教育、财政、编制等有关部门") a sector may be named by a shorter word.
_LIST_STEMS = {"编制": "staffing", "人力资源": "hrss", "发展和改革": "development"}
LIST_STEM_ALT = "|".join(sorted(set(_STEM_ALT.split("|")) | set(_LIST_STEMS), key=len,
                                reverse=True))
_SUFFIX_ALT = "|".join(sorted({sf for s in SECTORS for sf in s.suffixes}, key=len, reverse=True))
SECTOR_BODY = re.compile(rf"^(?P<nat>国家|国务院)?(?P<stem>{_STEM_ALT})(?P<suffix>{_SUFFIX_ALT})$")
SECTOR_GENERIC = re.compile(rf"^(?P<stem>{_STEM_ALT})(?:等)?(?:有关|相关)?(?:部门|系统)$")


# Full stems (the families' own), which a name written in full is built on.
_FULL_STEM_ALT = "|".join(sorted({full for s in SECTORS for full, _ in s.families}, key=len,
                                 reverse=True))
FULL_BODY = re.compile(rf"(?P<gov>人民政府)?(?P<stem>{_FULL_STEM_ALT})(?P<suffix>委员会|厅|局|部)")


def sector_of_stem(stem: str) -> Sector | None:
    return _sector_of_stem(stem) or (SECTOR_BY_KEY[_LIST_STEMS[stem]] if stem in _LIST_STEMS
                                     else None)


@dataclass(frozen=True)
class SectorName:
    """A sector body's name as written: 人社局 is (hrss, 人社, 局)."""

    sector: Sector
    national: bool                 # written with 国家 / 国务院
    stem: str | None = None        # None for a whole word (总工会, 残联)
    suffix: str | None = None


def sector_match(rest: str) -> SectorName | None:
    """The sector body `rest` names (人社局, 国家发展改革委, 总工会), or None."""
    word = sector_of_word(rest)
    if word is not None:
        return SectorName(*word[:1], False, *word[1:])
    m = SECTOR_BODY.match(rest)
    if not m:
        return None
    sector = sector_of_stem(m.group("stem"))
    if sector is None or m.group("suffix") not in sector.suffixes:
        return None
    return SectorName(sector, bool(m.group("nat")), m.group("stem"), m.group("suffix"))


def has_prefix(name: str) -> bool:
    """Does a written name open on its place or owner (省…, 市…, 中共…, 国家…, 广州…)?"""
    return bool(re.match(r"^(省|市|县|区|中共|国家|国务院)", name) or PLACE_RE.match(name))
