"""The gazetteer of China's divisions and what it tells about a place's level and parent."""
from __future__ import annotations

import pytest

from policykg.corpus.gazetteer import gazetteer, short_name
from policykg.ontology.places import PROVINCE_OF_CITY, SHORT_PROVINCE, place_of, place_prefix


def test_every_level_is_there_with_its_parent():
    g = gazetteer()
    kinds = {d.kind for d in g}
    assert kinds == {"province", "municipality", "prefecture", "district", "county", "county_city"}
    assert len(g.provinces()) == 34
    liuyang = g.resolve("浏阳市")
    assert (liuyang.kind, liuyang.level, g.parent(liuyang).name, g.province(liuyang).name) == (
        "county_city", "county", "长沙市", "湖南省")
    # a county-level city directly under its province, an autonomous prefecture's city
    assert g.parent(g.resolve("仙桃市")).name == "湖北省" and g.prefecture(g.resolve("仙桃市")) is None
    assert g.resolve("延吉市").kind == "county_city"
    # prefecture-level cities without counties
    assert {g.resolve(n).level for n in ("东莞市", "中山市", "儋州市", "嘉峪关市")} == {"municipal"}


@pytest.mark.parametrize("name,kind,level,region", [
    ("北京市", "municipality", "provincial", "北京市"),
    ("重庆市", "municipality", "provincial", "重庆市"),
    ("城口县", "county", "county", "城口县"),
    ("天河区", "district", "county", "广州市天河区"),
    ("浏阳", "county_city", "county", "浏阳市"),
    ("内蒙古", "province", "provincial", "内蒙古自治区"),
    ("广西", "province", "provincial", "广西壮族自治区"),
    ("延边", "prefecture", "municipal", "延边朝鲜族自治州"),
])
def test_full_and_short_names(name, kind, level, region):
    g = gazetteer()
    d = g.resolve(name)
    assert (d.kind, d.level, g.region(d)) == (kind, level, region)


def test_ambiguous_names_are_settled_by_context_or_left_open():
    g = gazetteer()
    assert g.resolve("朝阳区") is None                       # 北京 and 长春
    assert g.region(g.resolve("朝阳区", within=g.resolve("吉林省"))) == "长春市朝阳区"
    m = g.match("朝阳区教育委员会")
    assert m.division is None and len(m.candidates) == 2
    # a short name shared by a unit and the one below it names the higher one
    assert g.resolve("长沙").name == "长沙市" and g.resolve("吉林").name == "吉林省"


def test_short_names_drop_suffix_and_ethnic_names():
    assert short_name("新疆维吾尔自治区") == "新疆"
    assert short_name("恩施土家族苗族自治州") == "恩施"
    assert short_name("北京市") == "北京"          # 京 is an ethnic name, but not here


def test_place_named_at_the_start_of_a_name():
    g = gazetteer()
    for text, region, end in (("北京市朝阳区人民政府", "北京市朝阳区", 6),
                              ("湖南省浏阳市教育局", "浏阳市", 6),
                              ("广东省东莞市人民政府", "东莞市", 6),
                              ("长春市朝阳区教育局", "长春市朝阳区", 6)):
        m = g.match(text)
        assert (g.region(m.division), m.end) == (region, end)
    assert g.match("市人社局") is None


@pytest.mark.parametrize("org,province,expected", [
    ("鲁政办发", None, "山东省"),
    ("京人社能发", None, "北京市"),
    ("甬政发", None, "宁波市"),
    ("穗府办", None, "广州市"),
    ("浏人社发", "湖南省", "浏阳市"),          # the first character, within the province
    ("宁政发", "江苏省", "南京市"),            # 宁 is 南京's in 江苏, 宁夏's elsewhere
    ("宁政发", None, "宁夏回族自治区"),
    ("武政办", "湖北省", None),               # 武汉 or 武穴: not guessed
    ("新政发", "河南省", None),               # 新乡, 新郑, 新密 …: not 新疆
])
def test_document_number_prefix(org, province, expected):
    g = gazetteer()
    d = g.number_place(org, g.resolve(province) if province else None)
    assert (d.name if d else None) == expected


def test_the_ontology_places_come_from_the_gazetteer():
    assert len(PROVINCE_OF_CITY) > 300 and PROVINCE_OF_CITY["宁波市"] == "浙江省"
    assert SHORT_PROVINCE["新疆"] == "新疆维吾尔自治区"
    liuyang = place_of("浏阳市")
    assert (liuyang.level, liuyang.city, liuyang.province) == ("county", "长沙市", "湖南省")
    assert liuyang.higher.name == "长沙市" and liuyang.higher.higher.name == "湖南省"
    district = place_of("北京市朝阳区")
    assert (district.level, district.higher.name, district.higher.level) == (
        "county", "北京市", "provincial")
    assert place_of("北京市").level == "provincial"
    assert place_of("东莞").name == "东莞市"
    assert place_prefix("广州市天河区教育局")[0].name == "广州市天河区"
    assert place_prefix("朝阳区教育局") is None
