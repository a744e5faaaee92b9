"""How much a provision stands for what its document says: a static ranking weight.

A search for a department's name should find what that department is asked to do, not
the line "东莞市人力资源和社会保障局办公室2022年5月5日印发"; a search for 学制技师
should find "（七）扩大学制技师培养" before "2.校企共培学制技师合作协议" in the list of
papers an applicant hands in.  Such lines match the words as well as any provision, so
BM25 alone cannot tell them apart; what tells them apart is where they stand and what
shape they have, which the build knows.  So each provision gets a *standing* — a role
and a weight — decided once, at index time, from its kind, its position in the tree and
the shape of its own text, never from a query.  The weight multiplies its score in both
engines (the `prior` column of whoosh, the prior fast field of tantivy), so at equal
relevance the provisions that say something come first, and nothing is ever hidden.

Roles, first that applies:

- *furniture*: a document-level line that is not prose — the 抄送/主送/印发 colophon,
  the signature and its date, the 文号 on its own line, the salutation (各…：), a
  bracketed note (此件公开发布), the list of annexes (附件：…).  Their facts (issuer,
  date, 文号) are the document's metadata already; the line itself says nothing.
- *cover*: the notice that transmits the plan (the segmenter's `notice`: issuer, 文号,
  关于印发…的通知, 现将…印发给你们).
- *form*: inside an annex, a form to fill in or a list of papers to hand in — under a
  heading such as 申请表 / 登记表 / 申报材料 / 附表, or a table whose header cells are
  form fields (姓名, 联系电话, 单位（盖章）…).
- *label*: inside an annex, a short line with no sentence (a name in a list).
- *evidence*: a row of an annexed task table (分工表) that restates a provision of the
  body (ontology.tasks: the one pairing rule, by heading): one task, one place that says
  it — the body provision carries it, the row is its evidence (its departments reach the
  body provision in the graph, which counts the task once) and comes after it.
- *signpost*: a provision that is only a title over its children (二、总体要求).
- *preamble*: document-level prose outside the numbered body (为…，根据…，制定本方案).
- *annex*: anything else inside an annex (a task table row is the evidence of the body
  provision it restates, which comes first).
- *body*: the rest.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Mapping

from policykg.corpus.records import Provision
from policykg.corpus.text import CJK, SENTENCE_END
from policykg.ontology.tasks import restatements

# The weights: one place to tune.  Furniture is found, but after everything that says
# something (its matches are often a department's full name, which scores high).
WEIGHTS = {"body": 1.0, "preamble": 0.9, "annex": 0.8, "evidence": 0.6, "signpost": 0.5,
           "label": 0.4, "cover": 0.3, "form": 0.2, "furniture": 0.1}
LOWEST = min(WEIGHTS.values())

# A document-level line no longer than this, without a sentence, is a label (a
# signature, a date, a 文号, a title): prose is longer or has a sentence end.
LABEL_CHARS = 40
# In an annex a list entry is shorter (names of papers, of schools).
ANNEX_LABEL_CHARS = 24

_CHAR = re.compile(f"[{CJK}0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
# Colophon and cover lines by their opening word (GB/T 9704 党政机关公文格式: 主送机关,
# 抄送机关, 印发机关和印发日期, 附件说明) or their closing one (…2022年5月5日印发).
_COLOPHON = re.compile(r"^\s*(抄送|主送|抄报|分送|印发|附件|附\s*[：:]|联系人|联系电话|"
                       r"发布日期|公开方式|信息公开)|印发\s*$|^\s*[（(][^（）()]*[）)]\s*$")
# Prose runs in clauses; a signature or a date does not (a salutation does: see above).
_CLAUSES = re.compile("[，,]")
# A salutation ends with a colon; a preamble that ends with one ends with 如下：.
_SALUTATION = re.compile(r"[：:]\s*$")
_INTRO = re.compile(r"如下\s*[：:]\s*$")
# Headings of forms and of lists of papers to hand in (the form's own title: 申请表,
# 推荐表 …; 申报材料; 附表), as annexes of notices name them.
_FORM_HEADING = re.compile(
    r"(申请|申报|登记|报名|推荐|备案|汇总|统计|信息|情况|审批|审核|评审|评分)[^，。；]{0,8}(表|书)\s*$"
    r"|(申报|申请|报送|送审|报审|提交|佐证|证明|备案)材料|材料(清单|目录|要求)|附表|样表|模板|承诺书"
    r"|填(表|报)说明")
# Header cells of a form to fill in.
_FORM_FIELDS = re.compile(r"^(姓名|性别|出生(年月|日期)|民族|政治面貌|身份证(号|号码)?|联系电话|"
                          r"手机(号码)?|电子邮箱|邮箱|通讯地址|邮政?编码|联系人|单位名称|"
                          r"填表人|填报人|填报日期|填表日期|签字|签名|(单位)?[（(]?盖章[）)]?|"
                          r"审核意见|推荐意见|单位意见)$")


@dataclass(frozen=True)
class Standing:
    role: str
    weight: float


def chars(text: str) -> int:
    """Characters that count: CJK, letters and digits (not spaces or punctuation)."""
    return len(_CHAR.findall(text))


def _sentence(text: str) -> bool:
    return any(c in text for c in SENTENCE_END)


def _rest(p: Provision) -> str:
    """The provision's own text without its marker."""
    text = p.own_text.strip()
    return text[len(p.number):] if p.number and text.startswith(p.number) else text


def is_signpost(p: Provision) -> bool:
    """A provision with children whose own text is no more than its marker and heading."""
    if not p.children:
        return False
    return chars(p.own_text) <= chars(f"{p.number} {p.heading}") + 1


def is_furniture(p: Provision) -> bool:
    """A document-level line that is no prose: colophon, signature, date, salutation,
    文号, bracketed note, list of annexes."""
    text = p.own_text.strip()
    if _COLOPHON.search(text):
        return True
    if _SALUTATION.search(text) and not _INTRO.search(text) and not _sentence(text):
        return True
    return chars(text) <= LABEL_CHARS and not _sentence(text) and not _CLAUSES.search(text)


def _in_form(p: Provision, by_id: Mapping[str, Provision]) -> bool:
    """Inside an annex: the provision or one above it is headed as a form or a list of
    papers, or it is (a row of) a table whose header cells are form fields."""
    node: Provision | None = p
    while node is not None and node.annex:
        if _FORM_HEADING.search(node.heading or "") or _form_fields(node):
            return True
        node = by_id.get(node.parent) if node.parent else None
    return False


def _form_fields(p: Provision) -> bool:
    cells = [c.strip() for c in (p.columns or p.cells) if c.strip()]
    return sum(1 for c in cells if _FORM_FIELDS.match(c)) >= 2


class _Restated(threading.local):
    """The task-table rows of the document being indexed that restate a body provision
    (ontology.tasks, the rule the department reading uses): one entry per thread, kept
    while the same provision table is asked about (the index writes a document's
    provisions in a row), so each document's are paired once."""

    def __init__(self) -> None:
        self.of: Mapping[str, Provision] | None = None
        self.rows: frozenset[str] = frozenset()

    def __call__(self, by_id: Mapping[str, Provision]) -> frozenset[str]:
        if by_id is not self.of:
            self.rows = frozenset(restatements(by_id.values()))
            self.of = by_id
        return self.rows


_restated = _Restated()


def restates_body(p: Provision, by_id: Mapping[str, Provision]) -> bool:
    """An annex task-table row that restates a body provision (its evidence)."""
    return p.kind == "table_row" and p.annex and p.id in _restated(by_id)


def standing(p: Provision, by_id: Mapping[str, Provision]) -> Standing:
    """The role and weight of `p` (see the module docstring)."""
    return Standing(role := _role(p, by_id), WEIGHTS[role])


def _role(p: Provision, by_id: Mapping[str, Provision]) -> str:
    if p.parent is None and p.kind == "paragraph" and not p.annex:
        if p.path == "notice":
            return "cover"
        return "furniture" if is_furniture(p) else "preamble"
    if p.annex:
        if _in_form(p, by_id):
            return "form"
        if is_signpost(p):
            return "signpost"
        if restates_body(p, by_id):
            return "evidence"
        rest = _rest(p)
        if (not p.children and p.kind not in ("table", "table_row")
                and chars(rest) <= ANNEX_LABEL_CHARS and not _sentence(rest)):
            return "label"
        return "annex"
    return "signpost" if is_signpost(p) else "body"


def prior(p: Provision, by_id: Mapping[str, Provision]) -> float:
    """The static ranking weight of `p`.  Signposts inside an annex stand lower than in
    the body (both count: a title over an annex's parts)."""
    s = standing(p, by_id)
    if s.role == "signpost" and p.annex:
        return s.weight * WEIGHTS["annex"]
    return s.weight
