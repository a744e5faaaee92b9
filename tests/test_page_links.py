"""What the pages print by the hundred, made cheaply, is what the slow way made:
web.pages.Links and SearchLinks give url_for's addresses, and Fragments renders a piece
once per key and keeps the latest few."""
from urllib.parse import urlencode

import pytest
from flask import url_for
from markupsafe import Markup

from policykg.web.pages import Fragments, Links, SearchLinks

# Not minted ids: spaces, slashes, percent signs, query marks, plus, non-ASCII, …
ODD = ["a b", "东莞市/hrss", "%E5%85%A8%E5%9B%BD/hrss", "x?y=1&z", "a+b", "~._-/", "ü",
       "a#b", "a;b,c", "(1)*'!$@:="]


@pytest.mark.parametrize("base", ["http://localhost/", "http://localhost/prefix/"])
def test_links_are_the_addresses_url_for_gives(app, built, base):
    _, gen = built
    ids = gen.catalog.provision_ids()[:400] + ODD
    keys = [d["key"] for d in gen.documents] + [d["doc"] for d in gen.documents] + ODD
    with app.test_request_context("/", base_url=base):
        links = Links()
        for pid in ids:
            assert links.url("pages.provision", "pid", pid) == url_for("pages.provision", pid=pid)
            assert links.url("pages.alignment", root=pid) == url_for("pages.alignment", root=pid)
            assert links.url("pages.compare", higher=pid, lower=ids[0]) == url_for(
                "pages.compare", higher=pid, lower=ids[0])
            assert links.url("pages.department", "did", pid) == url_for("pages.department",
                                                                        did=pid)
        for key in keys:
            for plan in (None, keys[0], "a b"):
                assert links.url("pages.document", "ref", key, plan=plan) == url_for(
                    "pages.document", ref=key, plan=plan)
        assert links.url("pages.alignment", root="") == url_for("pages.alignment", root="")
        for name in ("技师学院", "技工院校在校生", "a b", "x?y=1&z", "%E5", "a+b=c"):
            assert links.url("pages.targets", indicator=name) == url_for("pages.targets",
                                                                         indicator=name)


@pytest.mark.parametrize("query", [
    "", "q=技工 学院", "q=技工&level=national&page=2", "q=a&doc=x.txt&doc=y.txt&sort=date",
    "level=provincial&q=%22技师%22+-学院&dept=人力资源社会保障部&page=3&size=20"])
def test_search_links_are_the_addresses_the_whole_arguments_give(app, query):
    """search_url(**changes) as the page made it: every argument of this page encoded
    with the changes (None drops one), kept arguments in place and new ones last."""
    changes = [{}, {"page": None}, {"page": "2"}, {"level": "national", "page": None},
               {"sort": "date", "page": None}, {"doc": "新.txt"}, {"q": None}, {"x": None},
               {"issuer": "广东省 人社厅", "year": "2022"}]
    with app.test_request_context("/search?" + query):
        from flask import request
        links = SearchLinks()
        for change in changes:
            args = request.args.to_dict(flat=False)
            for key, value in change.items():
                if value is None:
                    args.pop(key, None)
                else:
                    args[key] = [value]
            want = url_for("pages.search") + "?" + urlencode(args, doseq=True)
            assert links.url(**change) == want


def test_a_fragment_is_rendered_once_per_key_and_the_oldest_goes():
    kept = Fragments(2)
    made: list[str] = []

    def render(html: str):
        return lambda: made.append(html) or html
    assert kept.get(("a",), render("<b>a</b>")) == Markup("<b>a</b>")
    assert kept.get(("a",), render("other")) == Markup("<b>a</b>")    # kept: not rendered
    kept.get(("b",), render("b"))
    kept.get(("a",), render("x"))           # a is the newest again
    kept.get(("c",), render("c"))           # b, the oldest, goes
    assert kept.get(("a",), render("y")) == Markup("<b>a</b>")
    assert kept.get(("b",), render("b2")) == Markup("b2")
    assert made == ["<b>a</b>", "b", "c", "b2"]


def test_pages_built_from_fragments_are_the_same_each_time(client, built):
    """The document page (outline, matrix and coverage kept) and an alignment tree (kept)
    answer the same the second time, and the document page by key and by file name
    differ only in their own addresses."""
    _, gen = built
    doc = max(gen.documents, key=lambda d: d.get("level") == "municipal")
    first = client.get(f"/documents/{doc['key']}").get_data(as_text=True)
    assert client.get(f"/documents/{doc['key']}").get_data(as_text=True) == first
    assert 'id="outline"' in first and "<li>" in first
    by_file = client.get(f"/documents/{doc['doc']}").get_data(as_text=True)
    assert by_file.replace(f"/documents/{doc['doc']}?", f"/documents/{doc['key']}?") == first
    roots = client.get("/api/alignment").get_json()["roots"]
    if roots:
        tree = client.get("/alignment", query_string={"root": roots[0]["id"]}).get_data()
        assert client.get("/alignment", query_string={"root": roots[0]["id"]}).get_data() == tree


def test_a_searchs_facets_are_kept_by_its_arguments_less_the_page(client):
    """The facets (kept rendered) link to this search narrowed, without its page: the same
    on page 1 and 2, others for another filter, and the same as rendered afresh."""
    def aside(query: dict) -> str:
        html = client.get("/search", query_string=query).get_data(as_text=True)
        return html[html.index('<aside class="facets"'):html.index("</aside>")]
    first = aside({"q": "技工"})
    assert 'href="/search?q=%E6%8A%80%E5%B7%A5&amp;level=' in first
    assert aside({"q": "技工", "page": "2"}) == first == aside({"q": "技工"})
    narrowed = aside({"q": "技工", "level": "provincial"})
    assert narrowed != first and "× 取消筛选" in narrowed and "× 取消筛选" not in first
