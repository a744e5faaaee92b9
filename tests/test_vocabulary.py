"""corpus.vocabulary: the one list of levels and kinds and the names every layer shows."""
from __future__ import annotations

from policykg.corpus import vocabulary as v
from policykg.indexer.query import parse


def test_every_level_and_kind_has_one_label_and_the_query_language_reads_it():
    assert set(v.LEVEL_LABELS) == set(v.LEVELS) and set(v.KIND_LABELS) == set(v.KINDS)
    for level, label in v.LEVEL_LABELS.items():
        assert v.LEVEL_ALIASES[label] == level
        assert parse(f"层级:{label}").filters[0].values == (level,)
    for kind, label in v.KIND_LABELS.items():
        assert v.KIND_ALIASES[label] == kind
        assert parse(f"类型:{label}").filters[0].values == (kind,)


def test_level_order_is_highest_first_and_aliases_name_known_values():
    assert sorted(v.LEVELS, key=v.LEVEL_ORDER.__getitem__) == list(v.LEVELS)
    assert v.LEVEL_ORDER["national"] == 0
    assert set(v.LEVEL_ALIASES.values()) <= set(v.LEVELS)
    assert set(v.KIND_ALIASES.values()) <= set(v.KINDS)


def test_labels_of_unknown_values_stay_as_written():
    assert v.level_label("municipal") == "市级" and v.level_label("town") == "town"
    assert v.level_label(None) == "" and v.kind_label("item") == "条"
    assert v.kind_description("section") == "节（（一））" and v.kind_description("box") == "专栏"
