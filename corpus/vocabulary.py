"""The closed word lists every layer shares: administrative levels and provision kinds, their
order, and their Chinese names.

One home, so the graph's labels, the search's facets, the pages, the exports and the query
language say the same thing: a level is 国家级 / 省级 / 市级 / 县级 wherever it is named; a
kind is 章 / 节 / 条 / 款 / 目 … (the words officials use for a plan's parts).  The query
language accepts more ways of writing each (国家, 省, 区县, 项 …): those are aliases, never
shown.  corpus is the bottom layer, so every other package may import this.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

# ---- administrative levels, highest first --------------------------------------------------

LEVELS = ("national", "provincial", "municipal", "county")
# A level's rank (0 = national); callers sort unknown levels last with .get(level, len(LEVELS)).
LEVEL_ORDER: Mapping[str, int] = MappingProxyType({lv: i for i, lv in enumerate(LEVELS)})
LEVEL_LABELS: Mapping[str, str] = MappingProxyType({
    "national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级"})
# How a person may write a level in a query (层级:国家, level:市 …), beyond its label.
LEVEL_ALIASES: Mapping[str, str] = MappingProxyType({
    "国家": "national", "全国": "national", "国家级": "national", "中央": "national",
    "省": "provincial", "省级": "provincial", "市": "municipal", "市级": "municipal",
    "地市": "municipal", "县": "county", "县级": "county", "区县": "county"})

# ---- provision kinds (corpus.segment's output), outermost first ------------------------------

KINDS = ("chapter", "section", "item", "subitem", "point", "box", "table",
         "table_row", "annex", "paragraph")
KIND_LABELS: Mapping[str, str] = MappingProxyType({
    "chapter": "章", "section": "节", "item": "条", "subitem": "款", "point": "目",
    "box": "专栏", "table": "表", "table_row": "表行", "annex": "附件", "paragraph": "段"})
# The numbering each kind is written with in a plan (一、 / （一） / 1. / （1） / ①): the graph's
# SKOS concept says it beside the name, so a reader of the graph knows which lines are meant.
KIND_NUMBERING: Mapping[str, str] = MappingProxyType({
    "chapter": "一、", "section": "（一）", "item": "1.", "subitem": "（1）", "point": "①"})
KIND_ALIASES: Mapping[str, str] = MappingProxyType({
    "章": "chapter", "节": "section", "条": "item", "项": "item", "款": "subitem",
    "目": "point", "专栏": "box", "表": "table", "表格": "table", "表行": "table_row",
    "行": "table_row", "附件": "annex", "段": "paragraph", "段落": "paragraph"})


def level_label(level: str | None) -> str:
    """国家级 for national; an unknown level as it was written, None as ''."""
    return LEVEL_LABELS.get(level or "", level or "")


def kind_label(kind: str | None) -> str:
    """条 for item; an unknown kind as it was written, None as ''."""
    return KIND_LABELS.get(kind or "", kind or "")


def kind_description(kind: str) -> str:
    """The graph's label of a kind: its name and the numbering it is written with, 条（1.）."""
    numbering = KIND_NUMBERING.get(kind)
    return f"{kind_label(kind)}（{numbering}）" if numbering else kind_label(kind)
