"""The UI in a real browser: Debian's chromium driven by Playwright against a live server.

Screenshots of each step are saved under test-artifacts/ (kept by CI as artefacts).
"""
from __future__ import annotations

import re

import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings
from webtools import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(built):
    from webtools import LiveServer
    store, _ = built
    app = create_app(Settings(data_dir=store.root))
    with LiveServer(app) as srv:
        srv.app = app          # for the crawl: which pages the links reach
        yield srv
    app.extensions["policykg"].close()






def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_search_then_open_a_provision_and_see_its_departments(page, server):
    page.goto(server.url + "/")
    page.fill("header input[name=q]", "校企双制")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("article.hit")
    assert page.locator("article.hit mark").count() > 0
    shot(page, "search-校企双制")
    # Facets narrow the hits: choose the municipal level.
    page.click("aside.facets a:has-text('市级')")
    page.wait_for_selector("article.hit")
    assert "level=municipal" in page.url
    page.click("article.hit h3 a >> nth=0")
    page.wait_for_selector("#departments")
    assert page.locator("#departments .lead").count() >= 1
    assert "东莞市人力资源和社会保障局" in page.inner_text("#departments")
    shot(page, "provision-departments")


def test_department_page_lists_tasks_and_its_line(page, server):
    page.goto(server.url + "/departments")
    page.fill("#dept-filter", "东莞 人力资源")      # the list is paged: the server filters
    page.press("#dept-filter", "Enter")
    page.click("#departments a:has-text('东莞市人力资源和社会保障局')")
    page.wait_for_selector("#tasks")
    assert page.locator("#tasks li").count() >= 10
    line = page.inner_text("#line")
    assert "广东省人力资源和社会保障厅" in line and "人力资源社会保障部" in line
    shot(page, "department")


def test_targets_chart_renders(page, server):
    page.goto(server.url + "/targets")
    page.click("#indicators a:has-text('高级工班')")     # the list links to each indicator
    chart = page.locator(".chart[data-chart]").first
    chart.wait_for()
    page.wait_for_selector(".chart[data-rendered=true]")
    assert chart.locator("canvas").count() >= 1
    assert page.locator("p.below").count() >= 1       # 东莞 ≥40% is below 广东 ≥55%
    shot(page, "targets-chart")


def test_alignment_tree_expands(page, server):
    page.goto(server.url + "/alignment")
    page.locator("#align-roots a:has-text('承接树')").first.click()    # the list links to trees
    first = page.locator("#align-tree > ul > li > details").first
    first.wait_for()
    assert first.get_attribute("open") is None
    first.locator("summary").first.click()
    assert first.get_attribute("open") is not None
    inner = first.locator("ul li a").first
    assert inner.is_visible()
    page.click("button[data-expand=align-tree]")
    assert page.locator("#align-tree details:not([open])").count() == 0
    shot(page, "alignment-tree")
    compare = first.locator("a:has-text('对照')").first
    compare.click()
    page.wait_for_selector(".side-by-side mark")
    shot(page, "compare")


def test_graph_view_and_sparql_page(page, server):
    page.goto(server.url + "/alignment")
    href = page.locator("#align-roots a[href^='/provisions/']").first.get_attribute("href")
    page.goto(server.url + href.replace("/provisions/", "/graph/"))
    page.wait_for_selector("#graph[data-rendered=true]")
    shot(page, "graph-view")
    page.goto(server.url + "/sparql")
    page.click("button.example >> nth=0")
    page.click("#sparql-form button[type=submit]")
    page.wait_for_selector("#sparql-result table")
    assert page.locator("#sparql-result tr").count() > 1
    shot(page, "sparql")


def test_phone_width_layout(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = ctx.new_page()
    pg.goto(server.url + "/search?q=学制技师")
    pg.wait_for_selector("article.hit")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width                      # no sideways scrolling on a phone
    pg.screenshot(path=str(ARTIFACTS / "phone-search.png"))
    ctx.close()


# ---- issue 15: pages that are right --------------------------------------------------------------

SEARCH_BOX = "main form[role=search] input[name=q]"


def _search_in_page(page, query: str) -> None:
    page.fill(SEARCH_BOX, query)
    page.press(SEARCH_BOX, "Enter")
    page.wait_for_load_state()


def _total(page) -> int:
    return int(re.search(r"共 (\d+) 条结果", page.inner_text("main")).group(1))


def test_a_typed_query_after_a_facet_drops_the_filters(page, server):
    page.goto(server.url + "/search?q=技师学院")
    page.click("aside.facets a:has-text('市级')")
    page.wait_for_selector("#filters .chip")
    assert "level=municipal" in page.url and "层级：市级" in page.inner_text("#filters")
    _search_in_page(page, "技师学院 高等学校序列")
    assert "level=" not in page.url and page.locator("#filters").count() == 0
    levels = set(page.locator("article.hit .crumbs .tag").all_inner_texts())
    assert levels - {"市级"}, levels          # not only the 东莞 item
    page.goto(server.url + "/search?q=技师学院&level=national")
    _search_in_page(page, "year:2025 在校生")
    assert _total(page) > 0
    shot(page, "search-typed-after-facet")


def test_the_clear_filter_link_stays_with_no_hits(page, server):
    page.goto(server.url + "/search?q=技师学院 高等学校序列&level=national")
    assert _total(page) == 0
    page.click("#clear-filters")
    page.wait_for_selector("article.hit")
    assert "level=" not in page.url and _total(page) > 0


def test_chart_labels_and_comparisons_keep_the_comparator(page, server):
    page.goto(server.url + "/targets?indicator=高级工班及以上在校生比例")
    page.wait_for_selector(".chart[data-rendered=true]")
    shown = page.evaluate("""() => {
        const el = document.querySelector('.chart[data-chart]');
        const opt = echarts.getInstanceByDom(el).getOption();
        const s = opt.series[0];
        return s.data.map((d, i) => s.label.formatter({dataIndex: i, data: d}));
    }""")
    assert "≥55 %" in shown and "≥40 %" in shown, shown
    text = page.inner_text("p.below")
    assert "≥40 %" in text and "≥55 %" in text and ".txt" not in text
    assert "东莞市深化产教融合推动技工教育高质量发展实施方案" in text


def test_the_matrix_lists_departments_by_level_and_filters(page, server):
    docs = server.app.test_client().get("/api/documents").get_json()["documents"]
    key = next(d["key"] for d in docs if d["level"] == "provincial" and "体系" in d["title"])
    page.goto(server.url + f"/documents/{key}")
    rows = page.locator("#matrix tr.matrix-row")
    total = rows.count()
    assert total > 5
    assert page.locator("#matrix tr.level-head").count() >= 1
    name = rows.first.locator("th").inner_text()
    page.fill("#matrix-filter", name)
    visible = page.locator("#matrix tr.matrix-row:visible")
    assert 1 <= visible.count() < total
    assert all(name in t for t in visible.all_inner_texts())
    page.fill("#matrix-filter", "没有这样的部门或任务")
    assert page.locator("#matrix tr.matrix-row:visible").count() == 0
    assert page.locator("#matrix-empty").is_visible()
    page.fill("#matrix-filter", "")
    assert page.locator("#matrix tr.matrix-row:visible").count() == total
    shot(page, "matrix")


def test_the_department_list_filters(page, server):
    """The list is paged (issue 15, 2,000 documents): the box's words go to the server
    (?q=, name, short name or region), which answers the matching departments' page."""
    page.goto(server.url + "/departments")
    total = int(re.search(r"\d+", page.inner_text("#dept-total")).group())
    page.fill("#dept-filter", "东莞")
    page.press("#dept-filter", "Enter")
    page.wait_for_url("**/departments?q=*")
    rows = page.locator("tr.dept-row")
    assert 1 <= rows.count() < total
    assert all("东莞" in (r.text_content() or "") for r in rows.all())
    assert f"符合条件的 {rows.count()} 个部门" in page.inner_text("#dept-total")


def test_copy_citation_of_a_provision(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                              permissions=["clipboard-read", "clipboard-write"])
    pg = ctx.new_page()
    pg.goto(server.url + "/search?q=扩大学制技师培养")
    pg.click("article.hit h3 a >> nth=0")
    cite = pg.inner_text("#citation")
    assert cite.startswith("《") and "》" in cite and not cite.endswith("》")
    pg.click("button[data-copy]")
    pg.wait_for_selector("button[data-copied=true]")
    assert pg.evaluate("navigator.clipboard.readText()") == cite
    ctx.close()


def _phone_sample(client, per_shape: int = 6) -> list[str]:
    """Pages the crawl reaches, a few of each kind (every document page): a browser visit
    each costs a second, the crawl reaches ~1,000."""
    from webtools import crawl, route_shape
    taken: dict[str, int] = {}
    out = []
    for url in crawl(client):
        shape = route_shape(url)
        limit = 100 if shape == "/documents" else per_shape
        if taken.get(shape, 0) < limit:
            taken[shape] = taken.get(shape, 0) + 1
            out.append(url)
    return out


def test_no_page_scrolls_sideways_on_a_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    pg = ctx.new_page()
    wide, urls = [], _phone_sample(server.app.test_client())
    assert len(urls) > 40
    for url in urls:
        pg.goto(server.url + url)
        # A mobile browser widens innerWidth to fit wide content: the layout viewport
        # (clientWidth, the 390 px the page was given) is what must not be exceeded.
        width, inner = pg.evaluate("[document.scrollingElement.scrollWidth,"
                                   " document.documentElement.clientWidth]")
        if width > inner:
            wide.append((url, width))
    header = pg.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    pg.goto(server.url + "/")
    pg.screenshot(path=str(ARTIFACTS / "phone-home.png"))
    ctx.close()
    assert not wide, wide
    assert header < 844 / 5, header       # the header no longer eats a fifth of the screen


def test_a_department_page_counts_each_task_once(page, server):
    """One task, one responsibility: 广东省人社厅 takes part in 9 tasks of the task-table
    document (each in the body and again as an annexed table row, its evidence) — the
    list's counts, the page's tasks and its distinct task headings all say 9, not 18."""
    name = "广东省人力资源和社会保障厅"
    page.goto(server.url + "/departments")
    row = page.locator("tr.dept-row", has=page.locator(f"a:text-is('{name}')"))
    lead, part = (int(row.locator("td.num").nth(i).inner_text()) for i in (0, 1))
    row.locator("a").click()
    page.wait_for_selector("#tasks")
    items = page.locator("#tasks li")
    shown = items.count()
    distinct = set()
    for group in page.locator("#tasks h3").all():
        doc = group.inner_text()
        for li in group.locator("xpath=following-sibling::ul[1]/li").all():
            distinct.add((doc, re.sub(r"^\S+\s+", "", li.locator("a").inner_text()).strip()))
    assert shown == lead + part == len(distinct)
    assert page.locator("#tasks .participant").count() == part >= 9
    # no task is an annexed table row: the body provision carries it
    assert not any("__row_" in (a.get_attribute("href") or "")
                   for a in page.locator("#tasks li a").all())
    shot(page, "department-tasks-once")


def test_the_search_sort_switch_is_kept_by_facets_and_pages(page, server):
    page.goto(server.url + "/search?q=技师学院")
    assert page.inner_text("#sort a[aria-current]") == "相关度"
    page.click("#sort a:has-text('按日期')")
    page.wait_for_selector("article.hit")
    assert "sort=date" in page.url
    assert page.inner_text("#sort a[aria-current]") == "按日期（最新在前）"
    dates = [t.split(" · ")[-1] for t in page.locator("article.hit .docline").all_inner_texts()]
    dated = [d for d in dates if d != "日期不详"]
    assert dated == sorted(dated, reverse=True) and dates[:len(dated)] == dated
    page.click("aside.facets h3:has-text('发文年份') + ul a >> nth=0")
    page.wait_for_selector("#filters .chip")
    assert "sort=date" in page.url and "date=" in page.url
    assert "发文年份" in page.inner_text("#filters")
    if page.locator("nav.pager a:has-text('下一页')").count():
        page.click("nav.pager a:has-text('下一页')")
        page.wait_for_selector("article.hit")
        assert "sort=date" in page.url and "page=2" in page.url
    shot(page, "search-sorted-by-date")


def test_the_document_list_sorts_and_shows_each_state(page, server):
    page.goto(server.url + "/documents")
    badges = page.locator(".doc-row .tag[class*=state-]").all_inner_texts()
    assert len(badges) == page.locator(".doc-row").count() > 0
    assert set(badges) <= {"现行", "已到期", "征求意见稿", "已印发"} and "征求意见稿" in badges
    page.click("#sort a:has-text('按日期')")
    page.wait_for_load_state()
    assert "sort=date" in page.url
    dates = [re.search(r"(\d{4}-\d{2}-\d{2}|日期不详)", t).group(1)
             for t in page.locator(".doc-row .muted").all_inner_texts()]
    dated = [d for d in dates if d != "日期不详"]
    assert dated == sorted(dated, reverse=True) and dates[:len(dated)] == dated
    page.click(".doc-row a:has-text('十四五') >> nth=0")
    page.wait_for_selector("#doc-state")
    assert page.inner_text("#doc-state") in ("现行", "已到期")
    assert "“十四五”时期" in page.inner_text("#doc-period")
    shot(page, "documents-sorted-by-date")
