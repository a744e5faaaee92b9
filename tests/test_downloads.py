"""Exports: each table downloads from its page's (or API's) URL with ?format=xlsx|docx|csv,
opens with openpyxl / python-docx / csv, and holds the rows its page shows."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote, unquote

import docx
import openpyxl
import pytest

from policykg.web.app import create_app
from policykg.web.downloads import Table, content_disposition, file_name, neutralise, to_csv, to_docx, to_xlsx
from policykg.web.settings import Settings
from webtools import read_table

HEADER_ROW = 3          # xlsx: title, note, then the header


# ---- the writers -------------------------------------------------------------------------------

TABLE = Table(title="测试/分工台账", columns=("序号", "任务", "数值"),
              rows=((1, "=HYPERLINK(\"http://x\")", 5), (2, "-1+2", -3.5), (3, "@SUM(A1)", None),
                    (4, "+86 电话\x07", 0), (5, "正常文字\n第二行", 1)),
              note="来源：测试")
SAFE = ["'=HYPERLINK(\"http://x\")", "'-1+2", "'@SUM(A1)", "'+86 电话", "正常文字\n第二行"]


def test_cells_that_a_spreadsheet_would_run_are_neutralised():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+1") == "'+1" and neutralise("-1") == "'-1" and neutralise("@x") == "'@x"
    assert neutralise("\t=1") == "'\t=1"
    assert neutralise(-1) == -1 and neutralise(2.5) == 2.5        # numbers stay numbers
    assert neutralise(None) == "" and neutralise("a\x00b") == "ab"
    assert neutralise("技师学院") == "技师学院"


def test_csv_has_a_bom_a_header_and_neutralised_cells():
    data = to_csv(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(TABLE.columns)
    assert [r[1] for r in rows[1:]] == SAFE
    assert rows[2][2] == "-3.5"


def test_xlsx_opens_with_the_header_and_text_cells_never_formulas():
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    assert ws.cell(1, 1).value == TABLE.title
    assert [c.value for c in ws[HEADER_ROW]] == list(TABLE.columns)
    cells = [ws.cell(HEADER_ROW + i, 2) for i in range(1, 6)]
    assert [c.value for c in cells] == SAFE
    assert all(c.data_type == "s" for c in cells)
    assert ws.cell(HEADER_ROW + 2, 3).value == -3.5


def test_docx_opens_with_a_table_of_the_rows():
    document = docx.Document(io.BytesIO(to_docx(TABLE)))
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == list(TABLE.columns)
    assert [r.cells[1].text for r in table.rows[1:]] == SAFE


def test_file_names_are_chinese_and_safe():
    assert file_name("测试/分工台账", "xlsx") == "测试_分工台账.xlsx"
    header = content_disposition("东莞分工台账.xlsx", "tasks.xlsx")
    assert header.startswith('attachment; filename="tasks.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "东莞分工台账.xlsx"


# ---- the routes on the bundled corpus -------------------------------------------------------------

@pytest.fixture(scope="module")
def client(built):
    store, _ = built
    app = create_app(Settings(data_dir=store.root))
    yield app.test_client()
    app.extensions["policykg"].close()


@pytest.fixture(scope="module")
def dongguan(built):
    _, gen = built
    return next(d for d in gen.documents if d.get("region") == "东莞市")


def download(client, url: str, fmt: str):
    resp = client.get(url + ("&" if "?" in url else "?") + f"format={fmt}")
    assert resp.status_code == 200, (url, resp.status_code, resp.data[:200])
    disposition = resp.headers["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert name.endswith("." + fmt) and any("\u4e00" <= ch <= "\u9fff" for ch in name)
    return resp.data


def rows_of(data: bytes, fmt: str) -> tuple[list[str], list[list]]:
    """(header, rows) of a downloaded table, whatever its format."""
    return read_table(data, fmt)


FORMATS = ("xlsx", "docx", "csv")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_departments_task_ledger_equals_its_tasks(client, fmt):
    depts = client.get("/api/departments", query_string={"q": "东莞市人力资源和社会保障局"}
                       ).get_json()["departments"]           # the list is paged: ask for it
    did = next(d["id"] for d in depts if d["name"] == "东莞市人力资源和社会保障局")
    view = client.get("/api/departments/" + quote(did, safe="")).get_json()
    tasks = [(t["number"], t["heading"], t["role"]) for g in view["tasks"] for t in g["tasks"]]
    header, rows = rows_of(download(client, "/departments/" + quote(did), fmt), fmt)
    assert header[:7] == ["序号", "文号", "文件", "层级", "条款", "任务", "牵头/参与"]
    roles = {"lead": "牵头", "participant": "参与"}
    assert len(rows) == len(tasks) > 0
    assert [r[6] for r in rows] == [roles[role] for _, _, role in tasks]
    assert all(r[5].startswith(n) and r[5].endswith(h) for r, (n, h, _) in zip(rows, tasks))
    assert all(r[2] == "东莞市深化产教融合推动技工教育高质量发展实施方案" for r in rows)
    # The API answers the same file.
    api = download(client, "/api/departments/" + quote(did, safe=""), fmt)
    assert rows_of(api, fmt)[1] == rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_documents_responsibility_table_has_one_row_per_task(client, dongguan, fmt):
    view = client.get(f"/api/documents/{dongguan['doc']}").get_json()
    header, rows = rows_of(download(client, f"/documents/{dongguan['doc']}", fmt), fmt)
    assert header == ["序号", "条款", "任务", "牵头单位", "参与单位"]
    assert len(rows) == len(view["matrix"]["tasks"]) > 0
    assert all(r[3] or r[4] for r in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_coverage_table_lists_every_counted_higher_provision(client, dongguan, fmt):
    view = client.get(f"/api/documents/{dongguan['doc']}").get_json()
    plan = next(c for c in view["coverage"] if c["higher_level"] == "provincial")
    url = f"/documents/{dongguan['doc']}?higher={plan['higher_key']}"
    header, rows = rows_of(download(client, url, fmt), fmt)
    assert header == ["序号", "上级章节", "上级条款", "上级原文", "承接情况", "本级承接条款",
                      "共有文字", "相似度"]
    assert len(rows) == plan["total"]
    taken = [r for r in rows if r[4] == "已承接"]
    assert len(taken) == plan["taken_up_count"] > 0
    assert all(r[5] and r[6] for r in taken)
    assert all(not r[5] for r in rows if r[4] == "未承接")


def test_an_unknown_higher_plan_is_a_404(client, dongguan):
    resp = client.get(f"/documents/{dongguan['doc']}?format=csv&higher=no-such-plan")
    assert resp.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_indicators_table_keeps_comparators_years_and_the_comparison(client, fmt):
    indicator = "高级工班以上在校生比例"
    view = client.get("/api/targets?size=200&indicator=" + quote(indicator)).get_json()
    targets = [t for ind in view["indicators"] for t in ind["targets"]]
    header, rows = rows_of(download(client, "/targets?indicator=" + quote(indicator), fmt), fmt)
    assert header[9:11] == ["目标值", "目标年份"]
    assert len(rows) == len(targets) >= 2
    assert {r[9] for r in rows} == {"≥55%", "≥40%"}
    assert {str(r[10]) for r in rows} == {"2025"}
    assert any(str(r[12]).startswith("低于上级") and "55" in str(r[12]) for r in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_results_download_every_page(client, fmt):
    q = quote("技师学院")
    first = client.get(f"/api/search?q={q}&size=5").get_json()
    assert first["total"] > 5                 # more than one page of 5
    header, rows = rows_of(download(client, f"/search?q={q}&size=5&page=2", fmt), fmt)
    assert header[:6] == ["序号", "文件", "文号", "层级", "条款", "标题"]
    assert len(rows) == first["total"]
    assert [str(r[0]) for r in rows[:3]] == ["1", "2", "3"]
    assert rows[0][1] == first["hits"][0]["doc_title"]


def test_without_a_known_format_the_page_and_api_answer_as_before(client, dongguan):
    page = client.get(f"/documents/{dongguan['doc']}?format=pdf")
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = client.get(f"/api/documents/{dongguan['doc']}").get_json()
    assert "coverage" in body and "matrix" in body


def test_pages_carry_discoverable_download_links(client, dongguan):
    html = client.get(f"/documents/{dongguan['doc']}").get_data(as_text=True)
    for what in ("matrix", "coverage"):
        assert f'data-download="{what}"' in html
    for fmt in FORMATS:
        assert f'class="download" data-format="{fmt}"' in html
    assert 'class="coverage"' in html and "未承接" in html
