"""The indicator list over HTTP on the bundled corpus: wordings merged into one indicator,
those at two or more levels first, the q= search, the search box, and the export fields."""
from __future__ import annotations

import pytest

from policykg.pipeline import exports
from policykg.web.app import create_app
from policykg.web.settings import Settings


@pytest.fixture(scope="module")
def client(built):
    store, _ = built
    app = create_app(Settings(data_dir=store.root, sparql_timeout=5))
    yield app.test_client()
    app.extensions["policykg"].close()


def _all(client, **args) -> dict:
    return client.get("/api/targets", query_string={"size": 100, **args}).get_json()


def test_the_issue_s_wordings_are_one_indicator_each_at_two_levels(client):
    data = _all(client)
    by_name = {n: i for i in data["indicators"] for n in i["names"]}
    assert by_name["在校生规模"] is by_name["技工院校在校生规模"]
    assert by_name["毕业生初次就业率"] is by_name["毕业生就业率"]
    assert by_name["技师学院数"] is not by_name["技工院校数"]
    for name in ("在校生规模", "毕业生就业率", "高级工班以上在校生比例"):
        assert by_name[name]["levels"] == ["provincial", "municipal"]


def test_indicators_at_two_or_more_levels_come_first(client):
    data = _all(client)
    levels = [len(i["levels"]) for i in data["indicators"]]
    assert data["multi_level"] == sum(1 for n in levels if n > 1) >= 3
    assert levels == sorted(levels, reverse=True)


@pytest.mark.parametrize("q,name", [
    ("在校生规模", "技工院校在校生规模"), ("初次就业率", "毕业生就业率"),
    ("學制技師", "学制技师班毕业生对口就业率"),
])
def test_q_finds_an_indicator_by_any_of_its_wordings(client, q, name):
    data = _all(client, q=q)
    assert data["q"] == q and data["total"] == len(data["indicators"]) >= 1
    assert any(name in i["names"] for i in data["indicators"])


def test_q_that_matches_nothing_is_an_empty_page(client):
    data = _all(client, q="无此指标")
    assert (data["indicators"], data["total"], data["multi_level"]) == ([], 0, 0)
    html = client.get("/targets", query_string={"q": "无此指标"}).get_data(as_text=True)
    assert "没有与“无此指标”相符的指标" in html


def test_the_targets_page_has_a_search_box_that_keeps_the_query(client):
    html = client.get("/targets", query_string={"q": "就业率"}).get_data(as_text=True)
    assert 'name="q" value="就业率"' in html and 'role="search"' in html
    assert "毕业生就业率" in html


def test_target_export_rows_carry_relative_and_the_base_year(built):
    _, gen = built
    rows = list(exports.targets(gen))
    assert rows and all(set(exports.TARGET_FIELDS) == set(r) for r in rows)
    assert all(isinstance(r["relative"], bool) for r in rows)
    with_base = [r for r in rows if r["baseline"]]
    assert with_base and all(r["baseline_year"] == r["baseline"]["year"] for r in with_base)
