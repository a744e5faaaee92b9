"""The official's desk in a real browser (issue 15): each export is downloaded by clicking
its link on the page that shows the data and opens in the program it is meant for
(openpyxl, python-docx, csv) with the rows the page's API holds, under a Chinese file
name; and the document page's coverage view lists what 东莞's plan takes up of 广东's
plan and what it does not.

Debian's chromium driven by Playwright against the app served in a thread, as
tests/test_browser.py does (its launch lines are repeated here, not shared, so the two
files can change apart).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest

from policykg.web.app import create_app
from policykg.web.settings import Settings
from webtools import ARTIFACTS, read_table

pytestmark = pytest.mark.browser
FORMATS = ("xlsx", "docx", "csv")
DEPARTMENT = "东莞市人力资源和社会保障局"
ROLES = {"lead": "牵头", "participant": "参与"}


@pytest.fixture(scope="module")
def server(built):
    from webtools import LiveServer
    store, _ = built
    app = create_app(Settings(data_dir=store.root))
    with LiveServer(app) as srv:
        srv.api = app.test_client()        # what the page's API says, to compare with
        yield srv
    app.extensions["policykg"].close()






@pytest.fixture(scope="module")
def dongguan(server):
    docs = server.api.get("/api/documents?size=100").get_json()["documents"]
    return next(d for d in docs if d.get("region") == "东莞市")


# ---- clicking a download and reading the file ------------------------------------------------------

def click_download(page, what: str, fmt: str, within: str = "") -> tuple[str, bytes]:
    """Click the `fmt` link of the page's `what` downloads (inside `within`, if given):
    (the file name the browser suggests, the file's bytes)."""
    link = page.locator(f"{within} p.downloads[data-download={what}] "
                        f"a.download[data-format={fmt}]".strip())
    assert link.count() == 1, (what, fmt, link.count())
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    name = download.suggested_filename
    assert name.endswith("." + fmt), name
    assert any("\u4e00" <= ch <= "\u9fff" for ch in name), name      # a Chinese name
    return name, Path(download.path()).read_bytes()


def api_department(api, did: str) -> tuple[dict, list[tuple[str, str, str]]]:
    """The department API's view and every task of it, all pages: (number, heading, role)."""
    url = "/api/departments/" + quote(did, safe="")
    view = api.get(url + "?size=100").get_json()
    tasks, page = [], 1
    while True:
        tasks += [(t["number"], t["heading"], t["role"]) for g in view["tasks"] for t in g["tasks"]]
        if page >= view.get("pages", 1):
            return view, tasks
        page += 1
        view = api.get(url + f"?size=100&page={page}").get_json()


def department_id(api, name: str) -> str:
    depts = api.get("/api/departments", query_string={"q": name, "size": 100}
                    ).get_json()["departments"]
    return next(d["id"] for d in depts if d["name"] == name)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


# ---- the exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_departments_task_ledger_downloads_with_its_tasks(page, server, fmt):
    did = department_id(server.api, DEPARTMENT)
    page.goto(server.url + "/departments/" + quote(did, safe=""))
    page.wait_for_selector("#tasks li")
    name, data = click_download(page, "tasks", fmt)
    assert name == f"{DEPARTMENT}分工台账.{fmt}"
    header, rows = read_table(data, fmt)
    assert header[:7] == ["序号", "文号", "文件", "层级", "条款", "任务", "牵头/参与"]
    view, tasks = api_department(server.api, did)
    assert len(rows) == len(tasks) == view.get("task_count", len(tasks)) > 0
    assert [str(r[0]) for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert [r[6] for r in rows] == [ROLES[role] for _, _, role in tasks]
    assert all(r[5].startswith(n) and r[5].endswith(h) for r, (n, h, _) in zip(rows, tasks))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_documents_responsibility_table_downloads_one_row_per_task(page, server, dongguan,
                                                                     fmt):
    page.goto(server.url + f"/documents/{dongguan['key']}")
    name, data = click_download(page, "matrix", fmt)
    assert name.endswith(f"责任分工表.{fmt}") and "东莞" in name
    header, rows = read_table(data, fmt)
    assert header == ["序号", "条款", "任务", "牵头单位", "参与单位"]
    tasks = server.api.get(f"/api/documents/{dongguan['key']}").get_json()["matrix"]["tasks"]
    assert len(rows) == len(tasks) > 0
    assert all(r[2].endswith(t["provision"]["heading"]) for r, t in zip(rows, tasks))
    assert all(r[3] or r[4] for r in rows)          # every task has a department


def _provincial_plan(server, dongguan) -> dict:
    """The coverage of 东莞's plan against 广东's 十四五 plan, as the API gives it."""
    view = server.api.get(f"/api/documents/{dongguan['key']}").get_json()
    return next(c for c in view["coverage"]
                if c["higher_level"] == "provincial" and "十四五" in (c["higher_title"] or ""))


def _open_coverage(page, server, dongguan, plan: dict):
    """Open the document page and the coverage block of `plan` with its lists, as an
    official would: expand the block; if only its counts are shown, follow its link."""
    page.goto(server.url + f"/documents/{dongguan['key']}")
    block = page.locator(f"details.coverage[data-higher='{plan['higher_key']}']")
    if block.get_attribute("open") is None:
        block.locator("summary").first.click()
    if block.locator("details.taken-up").count() == 0:
        block.locator("a:has-text('查看已承接、未承接')").click()
        page.wait_for_load_state()
        block = page.locator(f"details.coverage[data-higher='{plan['higher_key']}']")
        if block.get_attribute("open") is None:
            block.locator("summary").first.click()
    return block


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_documents_coverage_table_downloads_every_higher_provision(page, server, dongguan,
                                                                     fmt):
    plan = _provincial_plan(server, dongguan)
    block = _open_coverage(page, server, dongguan, plan)
    assert block.locator("p.downloads[data-download=coverage]").is_visible()
    sel = f"details.coverage[data-higher='{plan['higher_key']}']"
    name, data = click_download(page, "coverage", fmt, within=sel)
    assert "落实" in name and name.endswith(f"对照表.{fmt}") and "广东省" in name
    header, rows = read_table(data, fmt)
    assert header[:5] == ["序号", "上级章节", "上级条款", "上级原文", "承接情况"]
    assert len(rows) == plan["total"] > 0
    taken = [r for r in rows if r[4] == "已承接"]
    assert len(taken) == plan["taken_up_count"] > 0
    assert len(rows) - len(taken) == plan["not_taken_up_count"] > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_indicators_comparison_table_downloads_its_targets(page, server, fmt):
    page.goto(server.url + "/targets")
    page.click("#indicators a:has-text('高级工班')")
    page.wait_for_selector("section.indicator")
    name, data = click_download(page, "targets", fmt)
    assert name.endswith(f"各层级目标对比表.{fmt}") and "高级工班" in name
    key = parse_qs(urlparse(page.url).query)["indicator"][0]
    view = server.api.get("/api/targets", query_string={"indicator": key, "size": 200}).get_json()
    targets = [t for ind in view["indicators"] for t in ind["targets"]]
    header, rows = read_table(data, fmt)
    assert header[9:11] == ["目标值", "目标年份"]
    assert len(rows) == len(targets) >= 2
    assert {r[9] for r in rows} >= {"≥55%", "≥40%"}        # comparators kept
    assert any(str(r[12]).startswith("低于上级") for r in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_searchs_results_download_every_page(page, server, fmt):
    page.goto(server.url + "/")
    page.fill("header input[name=q]", "技师学院")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("article.hit")
    name, data = click_download(page, "search", fmt)
    assert name.startswith("检索结果") and "技师学院" in name
    first = server.api.get("/api/search", query_string={"q": "技师学院"}).get_json()
    header, rows = read_table(data, fmt)
    assert header[:6] == ["序号", "文件", "文号", "层级", "条款", "标题"]
    assert len(rows) == first["total"] > len(first["hits"])     # every page, not the first
    assert rows[0][1] == first["hits"][0]["doc_title"]


# ---- what 东莞's plan has not taken up of 广东's ---------------------------------------------------------

def _listed(block, kind: str) -> tuple[int, int]:
    """(the count the list's summary says, the items listed) of the taken-up or
    not-taken-up list of a coverage block, after expanding it."""
    lst = block.locator(f"details.{kind}")
    lst.locator("summary").first.click()
    assert lst.get_attribute("open") is not None
    said = int(re.search(r"（(\d+)）", lst.locator("summary").first.inner_text()).group(1))
    items = lst.locator("ul > li")
    assert items.first.is_visible()
    return said, items.count()


def test_the_coverage_view_lists_taken_up_and_not_taken_up_provisions(page, server, dongguan):
    plan = _provincial_plan(server, dongguan)
    block = _open_coverage(page, server, dongguan, plan)
    summary = block.locator("summary").first.inner_text()
    assert "广东省技工教育高质量发展" in summary and ".txt" not in summary
    taken, taken_items = _listed(block, "taken-up")
    missing, missing_items = _listed(block, "not-taken-up")
    assert taken_items > 0 and missing_items > 0
    assert taken + missing == plan["total"]
    assert taken == plan["taken_up_count"] and missing == plan["not_taken_up_count"]
    # A long list shows its first items and says where the whole list is (the download).
    for said, listed, kind in ((taken, taken_items, "taken-up"),
                               (missing, missing_items, "not-taken-up")):
        if listed < said:
            note = block.locator(f"details.{kind} .more").inner_text()
            assert f"共 {said} 条" in note and "落实对照表" in note
        else:
            assert listed == said
    # each taken-up provision names the lower provision that takes it up
    first = block.locator("details.taken-up ul > li").first
    assert first.locator("a[href^='/compare']").count() >= 1
    shot(page, "coverage-lists")
