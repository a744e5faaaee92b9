"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json).

Schemas use JSON Schema 2020-12 (OpenAPI 3.1), so a test can validate every response
against them with a plain JSON Schema validator.
"""
from __future__ import annotations

from policykg.corpus.vocabulary import LEVELS

from policykg.web.downloads import FORMATS
from policykg.web.document_views import DOCUMENT_SORTS
from policykg.web.lookups import MAX_PAGE_SIZE, PAGE_SIZE

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}


def arr(items: dict) -> dict:
    return {"type": "array", "items": items}


def obj(props: dict, required: list[str] | None = None, extra: bool = True) -> dict:
    out = {"type": "object", "properties": props,
           "required": list(props) if required is None else required}
    if not extra:
        out["additionalProperties"] = False
    return out


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


LEVEL = {"type": ["string", "null"], "enum": [*LEVELS, None]}

SCHEMAS = {
    "Error": obj({"error": STR, "message": STR, "status": INT}),
    # `state` is worked out when asked (web.document_views.document_state): draft (征求意见稿),
    # current (现行) or expired (已到期) by the plan period's last year against today, else
    # issued; `unsettled` names the fields the text did not settle, and why.
    "Document": obj({"doc": STR, "key": STR, "uri": STR, "title": STR, "number": NSTR,
                     "issuer": NSTR, "level": LEVEL, "region": NSTR, "date": NSTR,
                     "status": STR, "period": NSTR,
                     "state": {"enum": ["draft", "current", "expired", "issued"]},
                     "unsettled": {"type": "object", "additionalProperties": STR}},
                    ["doc", "key", "uri", "title", "number", "issuer", "level", "region",
                     "date", "status", "state"]),
    "ProvisionRef": obj({"id": STR, "heading": STR},
                        ["id", "heading"]),
    "DeptRef": obj({"id": NSTR, "name": STR, "level": NSTR}),
    "Outline": obj({"id": STR, "kind": STR, "number": STR, "heading": STR,
                    "children": arr(ref("Outline"))}),
    "Citation": obj({"title": NSTR, "number": NSTR, "target": STR, "resolves_to": NSTR},
                    ["target", "resolves_to"]),
    "Target": obj({"doc": STR, "provision": STR, "indicator": STR, "unit": NSTR,
                   "target": obj({"value": NUM, "comparator": {"enum": [">=", "<=", "=", "~"]},
                                  "year": {"type": ["integer", "null"]}}),
                   "baseline": {"oneOf": [{"type": "null"},
                                          obj({"value": NUM,
                                               "year": {"type": ["integer", "null"]}})]},
                   "cumulative": BOOL, "attribute": NSTR,
                   # a change from a base year (比2020年提高3个百分点): the base year, no value
                   "relative": BOOL, "baseline_year": {"type": ["integer", "null"]},
                   "indicator_key": STR},
                  ["doc", "provision", "indicator", "target"]),
    "AlignedRef": obj({"id": STR, "heading": STR, "score": NUM, "kind": STR},
                      ["id", "heading", "score", "kind"]),
    "Hit": obj({"id": STR, "doc": STR, "doc_title": STR, "level": NSTR, "kind": STR,
                "number": STR, "heading": STR, "breadcrumb": arr({"type": "object"}),
                "snippet": STR, "score": NUM, "departments": {"type": "object"},
                "rank": INT,
                # the hit's document: its 文号 and ISO date, "" when it has none
                "doc_number": STR, "doc_date": STR}),
    "FacetValue": obj({"value": STR, "label": STR, "count": INT}),
    "SearchResult": obj({"query": STR, "interpreted": STR, "total": INT, "page": INT,
                         "page_size": INT, "pages": INT, "hits": arr(ref("Hit")),
                         "facets": {"type": "object",
                                    "additionalProperties": arr(ref("FacetValue"))},
                         "ignored": arr({"type": "object"}), "partial": BOOL,
                         "sort": {"enum": ["relevance", "date"]}}),
    "ProvisionView": obj({
        "provision": obj({"id": STR, "uri": STR, "doc": STR, "level": LEVEL, "kind": STR,
                          "number": STR, "heading": STR, "text": STR,
                          "parent": NSTR, "path": STR, "start": INT, "end": INT}),
        "document": {"type": "object"}, "breadcrumb": arr({"type": "object"}),
        "children": arr(ref("ProvisionRef")),
        "departments": obj({"lead": arr(ref("DeptRef")), "participants": arr(ref("DeptRef"))}),
        "mentions": arr(ref("DeptRef")), "targets": arr({"type": "object"}),
        "cites": arr(ref("Citation")), "cited_by": arr({"type": "object"}),
        "higher": arr(ref("AlignedRef")), "lower": arr(ref("AlignedRef"))}),
    "DocumentView": obj({"document": ref("Document"), "outline": arr(ref("Outline")),
                         "cites": arr({"type": "object"}), "cited_by": arr({"type": "object"}),
                         "matrix": obj({"departments": arr(ref("DeptRef")),
                                        "tasks": arr({"type": "object"})}),
                         "coverage": arr(ref("Coverage"))}),
    # pipeline.coverage: for each higher plan the document takes up, its counted provisions
    # taken up and not, and the ratio; for the one plan `detailed` (?plan=, else the
    # nearest), per chapter and a page of each list (the provisions taken up with the lower
    # provisions, score, evidence) — `page`, `size`, `pages` as the paged lists.
    "Coverage": obj({"higher_doc": STR, "higher_key": NSTR, "higher_title": NSTR,
                     "higher_level": LEVEL, "detailed": BOOL,
                     "taken_up": arr(obj({"higher": ref("ProvisionRef"),
                                          "chapter": NSTR,
                                          "lower": arr(ref("AlignedRef"))})),
                     "not_taken_up": arr(obj({"higher": ref("ProvisionRef"), "chapter": NSTR})),
                     "total": INT, "taken_up_count": INT, "not_taken_up_count": INT,
                     "ratio": NUM, "page": INT, "size": INT, "pages": INT,
                     "chapters": arr(obj({"id": NSTR, "heading": STR, "total": INT,
                                          "taken_up": INT, "ratio": NUM}))},
                    ["higher_doc", "total", "taken_up_count", "not_taken_up_count", "ratio",
                     "detailed"]),
    "DepartmentSummary": obj({"id": STR, "name": STR, "level": NSTR, "region": NSTR,
                              "kind": NSTR, "lead": INT, "participant": INT, "mentions": INT}),
    "DepartmentView": obj({"department": obj({"id": STR, "name": STR, "level": NSTR},
                                             ["id", "name", "level"]),
                           "up": arr(ref("DeptRef")), "down": arr({"type": "object"}),
                           "tasks": arr(obj({"document": {"type": "object"},
                                             "tasks": arr({"type": "object"}),
                                             "count": INT, "lead": INT, "participant": INT})),
                           "task_count": INT, "lead_count": INT, "participant_count": INT,
                           "document_count": INT, "doc": STR,
                           "mentions": arr(ref("ProvisionRef")), "mention_count": INT}),
    # /api/targets lists IndicatorSummary rows; with ?indicator= the one Indicator, whose
    # targets are a page of its targets and comparisons those of the page's lower targets.
    "IndicatorSummary": obj({"key": STR, "label": STR, "names": arr(STR), "levels": arr(STR),
                             "counts": {"type": "object", "additionalProperties": INT},
                             "target_count": INT, "comparison_count": INT}),
    "Indicator": {"allOf": [ref("IndicatorSummary"), obj({
        "targets": arr(ref("Target")), "comparisons": arr(obj({
            "lower": STR, "higher": STR, "lower_value": NUM, "higher_value": NUM,
            "lower_target": NSTR, "higher_target": NSTR,
            "comparison": {"enum": ["below", "equal", "above", "n/a"]},
            "basis": {"enum": ["rate", "duration", "per-unit", "count"]}},
            ["lower", "higher", "comparison"]))})]},
    "AlignmentNode": obj({"id": STR, "heading": STR, "lower": arr(ref("AlignmentNode")),
                          "lower_total": INT},
                         ["id", "heading", "lower"]),
    "AlignmentRoot": obj({"id": STR, "heading": STR, "level": LEVEL, "direct": INT,
                          "below": INT, "counts": {"type": "object",
                                                   "additionalProperties": INT}},
                         ["id", "heading", "direct", "below", "counts"]),
    "Neighbourhood": obj({"center": STR, "nodes": arr(obj({"id": STR, "name": STR,
                                                            "category": STR})),
                          "links": arr(obj({"source": STR, "target": STR, "label": STR})),
                          "categories": arr(STR),
                          "legend": {"type": "object", "additionalProperties": STR}}),
    "Compare": obj({"higher": ref("ProvisionRef"), "lower": ref("ProvisionRef"),
                    "link": {"type": ["object", "null"]},
                    "higher_runs": arr(obj({"text": STR, "shared": BOOL})),
                    "lower_runs": arr(obj({"text": STR, "shared": BOOL}))}),
}


# POST /api/documents: the upload (web.ingest_routes), the fields of `policykg add`.
UPLOAD_FORM = obj({
    "file": {"type": "string", "format": "binary",
             "description": ".txt（UTF-8 / GBK / UTF-16）、.md、.html、.docx 或 .pdf"},
    "title": STR, "level": {"enum": list(LEVELS)},
    "region": STR, "issuer": STR, "number": {"type": "string", "description": "文号"},
    "date": {"type": "string", "description": "2023-03-08 或 2023年3月8日"},
    "status": {"enum": ["issued", "draft"]}}, ["file"])
SCHEMAS["AddResult"] = obj({
    "status": {"enum": ["added", "unchanged", "restored"]}, "doc": STR, "title": NSTR,
    "number": NSTR, "level": LEVEL, "region": NSTR, "date": NSTR, "provisions": INT,
    "generation": NSTR, "message": STR})


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _ok(ref("Error"), "请求有误"),
    "404": _ok(ref("Error"), "未找到"),
    "503": _ok(ref("Error"), "尚未构建或暂不可用"),
}


def _param(name: str, where: str = "query", required: bool = False, schema: dict = STR,
           description: str = "") -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


def _post_document() -> dict:
    refusals = {"400": "元数据字段有误或没有文件", "403": "未开放上传（服务器未配置令牌）或令牌缺失、错误",
                "409": "同一文件已在库中，或另一次构建、添加正在进行", "413": "文件过大",
                "415": "不支持的文件格式", "422": "无法读取：空文件、损坏、加密、无文字层的扫描 PDF、"
                "压缩炸弹等", "500": "服务器出错，未作任何改动"}
    return {"summary": "添加一份政策文件（multipart 上传，需 Bearer 令牌）",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": UPLOAD_FORM}}},
            "responses": {"201": _ok(ref("AddResult"), "已添加：新的数据生成已开始服务"),
                          "200": _ok(ref("AddResult"), "已在库中：未作改动"),
                          **{code: _ok(ref("Error"), text) for code, text in refusals.items()}}}


def _get(summary: str, schema: dict, params: list | None = None, errors=("503",)) -> dict:
    return {"get": {"summary": summary, "parameters": params or [],
                    "responses": {"200": _ok(schema), **{c: ERRORS[c] for c in errors}}}}


def _downloadable(item: dict, what: str, extra: list | None = None) -> dict:
    """A GET that also answers ?format=xlsx|docx|csv with the table as a file
    (web.downloads, web.tables)."""
    op = item["get"]
    op["parameters"] = [*op["parameters"], *(extra or []), _param(
        "format", schema={"enum": list(FORMATS)},
        description=f"下载{what}：xlsx、docx 或 csv（中文文件名）")]
    op["responses"]["200"]["content"].update(
        {mime.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
         for mime in FORMATS.values()})
    return item


SEARCH_PARAMS = [
    _param("q", description="查询语句：词（默认同时包含）、\"短语\"、`OR`、`NOT` / -词，"
                            "筛选 `level:` `doc:` `dept:` `kind:` `year:` `issuer:` `date:`"
                            "（或 层级: 文件: 部门: 类型: 年份: 发文机关: 发文年份:）"),
    _param("level", schema={"enum": list(LEVELS)}),
    _param("doc", description="文件名、文件键或标题片段"),
    _param("dept", description="部门全称或简称（按文件所在地区解析）"),
    _param("kind", schema={"enum": ["chapter", "section", "item", "subitem", "point", "box",
                                    "table", "table_row", "annex", "paragraph"]}),
    _param("year", schema={"type": "string", "pattern": "^[0-9]{4}$"},
           description="条款的目标年份或文中写明的年份"),
    _param("issuer", description="发文机关（全称、其中一段或简称；联合发文的每个机关都算）"),
    _param("date", schema={"type": "string", "pattern": "^[0-9]{4}(-[0-9]{4})?$"},
           description="文件的发文年份，或区间 2021-2022"),
    _param("sort", schema={"enum": ["relevance", "date"]},
           description="relevance（相关度，默认）或 date（按文件日期，最新在前；同一文件内按相关度）"),
    _param("page", schema={"type": "integer", "minimum": 1}),
    _param("size", schema={"type": "integer", "minimum": 1, "maximum": 100}),
]


LEVEL_PARAM = {"enum": list(LEVELS)}
# The paged lists (/api/targets, /api/alignment, /api/documents, /api/departments and a
# department's tasks): `total` counts what is paged.
PAGED = {"total": INT, "page": INT, "size": INT, "pages": INT}
PAGING_PARAMS = [
    _param("page", schema={"type": "integer", "minimum": 1}),
    _param("size", schema={"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
           description=f"每页条数，默认 {PAGE_SIZE}，最多 {MAX_PAGE_SIZE}（更大按 {MAX_PAGE_SIZE}）"),
]


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "政策图谱 policykg API", "version": "1",
                 "description": "检索政策条款，追溯责任部门，对比各级目标，浏览国家、省、市"
                                "三级规划的上下级对齐。SPARQL 1.1 协议端点：/sparql。"},
        "paths": {
            "/api/search": _downloadable(
                _get("全文检索条款：命中、分面计数、被忽略的部分及原因", ref("SearchResult"),
                     SEARCH_PARAMS, ("400", "503")), "检索结果（全部页，至多 1000 条）"),
            "/api/documents": {**_get(
                "文件及其元数据和状态（现行、已到期、征求意见稿），分页",
                obj({"documents": arr(ref("Document")), **PAGED, "sort": STR, "level": STR},
                    ["documents", *PAGED]),
                [_param("sort", schema={"enum": list(DOCUMENT_SORTS)},
                        description="level（按层级，默认；同级最新在前）或 date（按日期，最新在前）"),
                 _param("level", schema=LEVEL_PARAM, description="只列该层级的文件"),
                 *PAGING_PARAMS], ("400", "503")),
                               "post": _post_document()},
            "/api/documents/{ref}": _downloadable(_get(
                "一份文件：元数据、目录、引用、责任矩阵，及对其上级规划的承接情况（每个上级规划的"
                "条数与承接率；一个上级规划的各章及已承接、未承接条款，分页）",
                ref("DocumentView"),
                [_param("ref", "path", True),
                 _param("plan", description="列出其各章及已承接、未承接条款（按 page、size 分页）"
                                            "的上级规划（文件名或文件键；省略则为最近一级的第一个）"),
                 *PAGING_PARAMS], ("400", "404", "503")),
                "责任分工表；带 higher 时为对该上级规划的落实对照表",
                [_param("higher", description="上级规划（文件名或文件键），与 `format` 同用")]),
            "/api/provisions/{id}": _get(
                "一条条款：原文、责任部门、量化目标、引用、上下级对齐",
                ref("ProvisionView"), [_param("id", "path", True)], ("404", "503")),
            "/api/compare": _get("两条对应条款并排对照，标出共有文字", ref("Compare"),
                                 [_param("higher", required=True),
                                  _param("lower", required=True)], ("404", "503")),
            "/api/departments": _get(
                "部门及其牵头、参与、提及的任务数（分页；按名称、简称或地区查找，按层级、地区筛选），"
                "及各层级、各地区的部门数",
                obj({"departments": arr(ref("DepartmentSummary")), **PAGED, "q": STR,
                     "level": STR, "region": STR,
                     "levels": arr(obj({"level": LEVEL, "count": INT})),
                     "regions": arr(obj({"region": STR, "count": INT}))},
                    ["departments", *PAGED]),
                [_param("q", description="部门名称、简称或地区中的词（空格分开，须都出现；繁体亦可）"),
                 _param("level", schema=LEVEL_PARAM), _param("region"), *PAGING_PARAMS],
                ("400", "503")),
            "/api/departments/{id}": _downloadable(_get(
                "一个部门：按文件分组的任务（分页，每组附该文件中的任务总数），上下级业务条线，"
                "文中提及（前 20 处及总数）",
                ref("DepartmentView"), [_param("id", "path", True),
                                        _param("doc", description="只列该文件（文件名或文件键）的任务"),
                                        *PAGING_PARAMS], ("400", "404", "503")),
                "分工台账（全部任务）"),
            "/api/targets": _downloadable(_get(
                "指标一览（分页，含各级目标数）；带 `indicator` 时为该指标的各级目标（分页）"
                "及与上级目标的对比",
                {"anyOf": [
                    obj({"indicators": arr(ref("IndicatorSummary")), **PAGED,
                         "q": STR, "multi_level": INT},      # indicators at ≥ 2 levels
                        ["indicators", *PAGED]),
                    obj({"indicators": arr(ref("Indicator")), **PAGED})]},
                [_param("indicator", description="指标键或名称；省略则列出指标"),
                 _param("q", description="在指标名称及其各种写法中查找（列出指标时）"),
                 *PAGING_PARAMS], ("400", "404", "503")), "指标对比表（带 `indicator`）或指标一览表"),
            "/api/alignment": _get(
                "带 `root` 时为承接该条款的各级条款树（直接承接者分页，默认每页 20 条；其下每条"
                "列出前 3 条，再往下只给承接数 `lower_total`）；否则为被承接条款一览（分页，含各级承接数）",
                {"anyOf": [obj({"tree": arr(ref("AlignmentNode")), **PAGED}),
                           obj({"roots": arr(ref("AlignmentRoot")), **PAGED})]},
                [_param("root"), *PAGING_PARAMS], ("400", "404", "503")),
            "/api/neighbourhood/{ref}": _get(
                "条款或部门在图谱中的相邻关系（关系图数据）", ref("Neighbourhood"),
                [_param("ref", "path", True)], ("404", "503")),
            "/api/openapi.json": {"get": {"summary": "本 API 的 OpenAPI 描述",
                                          "responses": {"200": _ok({"type": "object"})}}},
            "/healthz": {"get": {"summary": "服务存活检查", "responses": {
                "200": _ok(obj({"status": STR}))}}},
            "/readyz": {"get": {"summary": "就绪检查：图谱与索引已加载，及当前数据生成",
                                "responses": {
                                    "200": _ok(obj({"ready": BOOL, "generation": STR},
                                                   ["ready", "generation"])),
                                    "503": _ok(obj({"ready": BOOL, "reason": STR}))}}},
        },
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "服务器配置的上传令牌（POLICYKG_TOKEN）"}}},
    }
