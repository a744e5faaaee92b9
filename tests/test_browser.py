"""The UI in a real browser: Debian's chromium driven by Playwright against a live server.

Screenshots of each step are saved under test-artifacts/ (kept by CI as artefacts).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from web.app import create_app
from web.settings import Settings

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags a root process needs for headless chromium on a machine with no network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(built):
    from webtools import LiveServer
    store, _ = built
    app = create_app(Settings(data_dir=store.root))
    with LiveServer(app) as srv:
        yield srv
    app.extensions["policykg"].close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run ./test.sh, which installs it")
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, errors


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
    page.click("a:has-text('东莞市人力资源和社会保障局')")
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
