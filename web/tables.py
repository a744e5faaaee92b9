"""The tables officials hand in, built from the same views the pages show (web.document_views,
department_views, target_views), so a download never disagrees with its page:

* a department's 分工台账 (its tasks: 文号, document, section, task, 牵头/参与, wording);
* a document's 责任分工表 (its responsibility matrix as the task | lead | participants
  form plans print), or with `higher` its 落实对照表 against that higher plan;
* an indicator's 对比表 across levels (comparators, years and the comparison kept), or
  without one, the list of indicators;
* a search's results, every page up to SEARCH_CAP hits.

Each builder takes a downloads.Context and the route's URL arguments and returns a Table.
"""
from __future__ import annotations

from policykg.corpus.vocabulary import LEVEL_LABELS
from policykg.pipeline.coverage import document_coverage, find_plan
from policykg.indexer.query import FILTERS
from policykg.web import department_views, document_views, reading, target_views
from policykg.web.downloads import Context, Table
from policykg.web.lookups import NotFound, PageLookups, Paging, breadcrumb, lookups

SEARCH_CAP = 1_000          # hits in one download: all pages of any query an official reads
TARGETS_CAP = 10_000        # targets of one indicator in one download
COMPARATORS = {">=": "≥", "<=": "≤", "=": "", "~": "约"}
VERDICTS = reading.VERDICTS
COVERED = {True: "已承接", False: "未承接"}
SOURCE = "来源：政策图谱"


# ---- small pieces ---------------------------------------------------------------------------------

def citation_path(cat: PageLookups, pid: str) -> str:
    """Where a provision stands, as officials cite it: 三（三）2."""
    out = ""
    for b in breadcrumb(cat, pid):
        number = (b.get("number") or "").strip().rstrip("、")
        # 专栏1 then 5.: a space, or they would read as 专栏15.
        out += (" " if out[-1:].isalnum() and number[:1].isalnum() else "") + number
    return out


def doc_name(doc: dict) -> str:
    return doc.get("title") or doc.get("doc") or ""


def _task(ref: dict) -> str:
    """二、总体要求; 1. 全面加强…; 专栏1 主要指标."""
    number, heading = (ref.get("number") or "").strip(), ref.get("heading") or ""
    gap = " " if number[-1:].isalnum() or number.endswith(".") else ""
    return f"{number}{gap}{heading}" if number else heading


def _names(refs: list[dict]) -> str:
    return "、".join(r["name"] for r in refs)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def target_text(t: dict) -> str:
    """≥55%（2025年）, as a plan writes it; cumulative targets marked."""
    target = t.get("target") or {}
    text = (COMPARATORS.get(target.get("comparator"), target.get("comparator") or "")
            + _number(target.get("value")) + (t.get("unit") or ""))
    if t.get("cumulative"):
        text += "（累计）"
    return text


def _baseline(t: dict) -> str:
    base = t.get("baseline") or {}
    if base.get("value") is None:
        return ""
    year = f"（{base['year']}年）" if base.get("year") else ""
    return _number(base["value"]) + (t.get("unit") or "") + year


# ---- a department's 分工台账 -----------------------------------------------------------------------

def department_tasks(ctx: Context, did: str) -> Table:
    view = department_views.department(ctx.gen, did)
    cat = lookups(ctx.gen)
    dept = view["department"]
    rows = []
    for group in view["tasks"]:
        doc = group["document"]
        for t in group["tasks"]:
            p = cat.db.provision(t["id"]) or {}
            rows.append((len(rows) + 1, doc.get("number"), doc_name(doc),
                         LEVEL_LABELS.get(doc.get("level"), ""),
                         citation_path(cat, t["id"]), _task(t),
                         department_views.ROLE_LABELS.get(t["role"], t["role"]),
                         t.get("written") or dept["name"], p.get("text", "")))
    return Table(title=f"{dept['name']}分工台账",
                 columns=("序号", "文号", "文件", "层级", "条款", "任务", "牵头/参与",
                          "原文称谓", "任务原文"),
                 rows=tuple(rows), slug="department-tasks",
                 note=f"共 {len(rows)} 项任务。{SOURCE}",
                 widths=(5, 16, 30, 6, 10, 30, 8, 16, 60))


# ---- a document's 责任分工表 / 落实对照表 -------------------------------------------------------------

def document_table(ctx: Context, ref: str) -> Table:
    """The document's 落实对照表 against ?higher=…, else its 责任分工表."""
    higher = (ctx.args.get("higher") or "").strip()
    return coverage_table(ctx, ref, higher) if higher else responsibility_table(ctx, ref)


def responsibility_table(ctx: Context, ref: str) -> Table:
    doc = _document(ctx, ref)
    cat = lookups(ctx.gen)
    matrix = document_views.responsibility_matrix(ctx.gen, doc["doc"])
    names = {d["id"] or d["name"]: d["name"] for d in matrix["departments"]}
    rows = []
    for t in matrix["tasks"]:
        roles: dict[str, list[str]] = {"lead": [], "participant": []}
        for key, role in t["cells"].items():
            roles.setdefault(role, []).append(names.get(key, key))
        rows.append((len(rows) + 1, citation_path(cat, t["provision"]["id"]),
                     _task(t["provision"]), "、".join(roles["lead"]),
                     "、".join(roles["participant"])))
    return Table(title=f"{doc_name(doc)}责任分工表",
                 columns=("序号", "条款", "任务", "牵头单位", "参与单位"), rows=tuple(rows),
                 slug="responsibility-matrix", note=_doc_note(ctx, doc, f"共 {len(rows)} 项任务"),
                 widths=(5, 10, 40, 30, 50))


def coverage_table(ctx: Context, ref: str, higher: str) -> Table:
    """Every counted provision of the higher plan in its order: taken up or not, by which
    provisions of this document, the text they share and the score."""
    doc = _document(ctx, ref)
    cat = lookups(ctx.gen)
    plan = find_plan(document_coverage(cat.db, cat.docs, doc["doc"]), higher)
    if plan is None:
        raise NotFound(f"《{doc_name(doc)}》没有承接 {higher} 的条款")
    own = {r["id"]: r.get("own_text") or "" for r in cat.db.outline_bodies(plan["higher_doc"])}
    place = {pid: i for i, pid in enumerate(own)}
    chapters = {c["id"]: _task(c) for c in plan["chapters"]}
    entries = sorted(plan["taken_up"] + plan["not_taken_up"],
                     key=lambda e: place.get(e["higher"]["id"], len(place)))
    rows = []
    for e in entries:
        lower = e.get("lower", [])
        rows.append((len(rows) + 1, chapters.get(e["chapter"], ""),
                     citation_path(cat, e["higher"]["id"]) or _task(e["higher"]),
                     own.get(e["higher"]["id"], ""), COVERED[bool(lower)],
                     "\n".join(f"{citation_path(cat, x['id'])} {x.get('heading') or ''}".strip()
                               for x in lower),
                     "\n".join(x.get("evidence") or "" for x in lower),
                     max((x["score"] for x in lower), default=None)))
    title = f"{doc_name(doc)}落实《{plan['higher_title'] or plan['higher_doc']}》对照表"
    note = (f"上级条款 {plan['total']} 条，已承接 {plan['taken_up_count']} 条"
            f"（{plan['ratio']:.1%}）。")
    return Table(title=title,
                 columns=("序号", "上级章节", "上级条款", "上级原文", "承接情况", "本级承接条款",
                          "共有文字", "相似度"),
                 rows=tuple(rows), slug="coverage", note=_doc_note(ctx, doc, note),
                 widths=(5, 20, 10, 60, 8, 24, 50, 7))


def _document(ctx: Context, ref: str) -> dict:
    doc = ctx.gen.document(ref)
    if doc is None:
        raise NotFound(f"no document {ref!r}")
    return doc


def _doc_note(ctx: Context, doc: dict, text: str) -> str:
    number = f"（{doc['number']}）" if doc.get("number") else ""
    return f"《{doc_name(doc)}》{number}。{text}。{SOURCE}".replace(
        "。。", "。")


# ---- an indicator's 对比表 ------------------------------------------------------------------------

def targets_table(ctx: Context) -> Table:
    indicator = (ctx.args.get("indicator") or "").strip()
    if not indicator:
        return indicators_table(ctx)
    view = target_views.targets(ctx.gen, indicator, Paging(1, TARGETS_CAP))
    if not view["indicators"]:
        raise NotFound(f"no indicator {indicator!r}")
    cat = lookups(ctx.gen)
    rows = []
    for group in view["indicators"]:
        verdicts = _verdicts(cat, group)
        for t in group["targets"]:
            doc = cat.docs.get(t["doc"], {})
            rows.append((len(rows) + 1, group["label"], t.get("indicator"),
                         LEVEL_LABELS.get(t.get("level"), ""), t.get("region"),
                         doc_name(doc), doc.get("number"), citation_path(cat, t["provision"]),
                         _baseline(t), target_text(t),
                         (t.get("target") or {}).get("year"), t.get("attribute"),
                         verdicts.get(t.get("uri"), "")))
    label = view["indicators"][0]["label"]
    return Table(title=f"{label}各层级目标对比表",
                 columns=("序号", "指标", "原文写法", "层级", "地区", "文件", "文号", "条款",
                          "基期值", "目标值", "目标年份", "指标属性", "与上级比较"),
                 rows=tuple(rows), slug="targets",
                 note=f"共 {len(rows)} 个目标。{SOURCE}",
                 widths=(5, 20, 20, 6, 10, 30, 16, 10, 12, 12, 8, 8, 30))


def _verdicts(cat: PageLookups, group: dict) -> dict[str, str]:
    """Each lower target's comparison with the higher targets the graph paired it with:
    低于上级（《广东省…规划》≥55%）."""
    by_uri = {t.get("uri"): t for t in group["targets"]}
    out: dict[str, list[str]] = {}
    for c in group["comparisons"]:
        hi = by_uri.get(c.get("higher_target"))
        where = doc_name(cat.docs.get(c["higher_doc"], {}))
        value = target_text(hi) if hi else _number(c["higher_value"])
        out.setdefault(c.get("lower_target"), []).append(
            f"{VERDICTS.get(c['comparison'], c['comparison'])}（《{where}》{value}）")
    return {uri: "；".join(texts) for uri, texts in out.items()}


def indicators_table(ctx: Context) -> Table:
    view = target_views.targets(ctx.gen, None, Paging(1, TARGETS_CAP),
                                q=ctx.args.get("q") or None)
    rows = tuple((i + 1, s["label"], "、".join(s["names"]),
                  "、".join(LEVEL_LABELS.get(lv, lv) for lv in s["levels"]),
                  s["target_count"], s["comparison_count"])
                 for i, s in enumerate(view["indicators"]))
    return Table(title="指标目标一览表",
                 columns=("序号", "指标", "原文写法", "层级", "目标数", "可比较数"), rows=rows,
                 slug="indicators",
                 note=f"共 {view['total']} 个指标。{SOURCE}",
                 widths=(5, 24, 40, 16, 8, 8))


# ---- a search's results ---------------------------------------------------------------------------

def search_table(ctx: Context) -> Table:
    q = ctx.args.get("q", "")
    filters = {k: ctx.args.getlist(k) for k in FILTERS if ctx.args.getlist(k)}
    options = ctx.settings.search_options()
    sort = ctx.args.get("sort")      # the page's order (relevance, or date: newest first)
    size = max(1, min(ctx.settings.max_page_size, SEARCH_CAP))
    hits, total, page = [], 0, 1
    while len(hits) < SEARCH_CAP:
        result = ctx.gen.searcher.search(q, filters, page=page, page_size=size, options=options,
                                         sort=sort)
        total = result.total
        hits.extend(result.hits)
        if not result.hits or page >= result.pages:
            break
        page += 1
    cat = lookups(ctx.gen)
    rows = []
    for h in hits[:SEARCH_CAP]:
        doc = cat.docs.get(h.doc, {})
        depts = h.departments or {}
        rows.append((len(rows) + 1, h.doc_title or doc_name(doc),
                     h.doc_number or doc.get("number"),
                     LEVEL_LABELS.get(h.level, h.level or ""), citation_path(cat, h.id),
                     _task({"number": h.number, "heading": h.heading}),
                     h.snippet.plain(mark=lambda t: t), "、".join(depts.get("lead") or []),
                     "、".join(depts.get("participants") or []),
                     h.doc_date or doc.get("date"), round(h.score, 3)))
    shown = f"前 {len(rows)} 条" if total > len(rows) else f"{len(rows)} 条"
    order = "，按发文日期排列（最新在前）" if result.sort == "date" else ""
    what = q.strip() or "、".join(f"{k}:{v}" for k, vs in filters.items() for v in vs) or "全部"
    return Table(title=f"检索结果：{what}",
                 columns=("序号", "文件", "文号", "层级", "条款", "标题", "摘录", "牵头单位",
                          "参与单位", "发文日期", "得分"),
                 rows=tuple(rows), slug="search",
                 note=f"共命中 {total} 条，本表 {shown}{order}。{SOURCE}",
                 widths=(5, 30, 16, 6, 10, 24, 60, 20, 30, 11, 7))
