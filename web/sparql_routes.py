"""`/sparql`: the W3C SPARQL 1.1 Protocol, read-only, with a query page for people."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from policykg.ontology.sparql import SparqlBusy, SparqlError, negotiate, serialize

bp = Blueprint("sparql", __name__)

# The endpoint is public and read-only, as WDQS and Fuseki's are: any page may query it
# from a browser (GET, or POST with a query or form body, after the preflight).  No other
# route sends these headers: writes (POST /api/documents) stay same-origin.
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "X-Result-Truncated, X-Query-Seconds, Retry-After, "
                                         "X-Request-Id"}
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
             "Access-Control-Allow-Headers": "Content-Type, Accept",
             "Access-Control-Max-Age": "86400"}


@bp.after_request
def cors(response: Response) -> Response:
    if request.endpoint == "sparql.sparql":
        response.headers.update(CORS)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT)
    return response


@dataclass(frozen=True)
class Example:
    """An example query of the SPARQL page: each is bounded (`limit`, written in the query
    as LIMIT) and starts from few rows or aggregates, so it answers quickly however large
    the corpus; none names a file of one corpus."""

    label: str
    query: str
    limit: int


EXAMPLES = [
    # A few departments by name, then their tasks: no pass over every participation
    # (counting each department's tasks took 0.4 s at 200 documents and grows with them).
    Example("人社部门牵头的任务", """SELECT ?dept ?task ?document WHERE {
  ?d a org:Organization ; skos:prefLabel ?dept .
  FILTER(CONTAINS(STR(?dept), "人力资源"))
  ?d cv:playsRole ?part . ?part cv:role/skos:notation "lead" .
  ?task_iri cv:hasParticipation ?part ; dcterms:title ?task ; pol:inDocument ?doc .
  ?doc dcterms:title ?document .
} LIMIT 50""", 50),
    Example("任务及其牵头单位", """SELECT ?document ?task ?dept WHERE {
  ?part cv:role/skos:notation "lead" .
  ?task_iri cv:hasParticipation ?part ; dcterms:title ?task ; pol:inDocument ?doc .
  ?d cv:playsRole ?part ; skos:prefLabel ?dept .
  ?doc dcterms:title ?document .
} LIMIT 50""", 50),
    # Aggregated per indicator and level (the rows themselves were 6,807 at 2,000
    # documents), and starting from the few concepts the filter keeps.
    Example("同一指标在各层级的目标", """SELECT ?indicator ?level ?comparator (COUNT(DISTINCT ?target) AS ?targets)
       (MIN(?value) AS ?lowest) (MAX(?value) AS ?highest) (SAMPLE(?unit) AS ?unit_) WHERE {
  ?c skos:inScheme <https://w3id.org/policykg/id/scheme/indicator> ; skos:prefLabel ?indicator .
  FILTER(CONTAINS(STR(?indicator), "在校生"))
  ?target pol:indicator ?c ; pol:targetValue ?q ; pol:comparator/skos:notation ?comparator ;
          prov:wasDerivedFrom ?p .
  ?p pol:inDocument/pol:adminLevel/skos:notation ?level .
  ?q schema:value ?value . OPTIONAL { ?q schema:unitText ?unit }
} GROUP BY ?indicator ?level ?comparator ORDER BY ?indicator ?level LIMIT 50""", 50),
    Example("国家条款被下级承接的次数", """SELECT ?national ?document (COUNT(DISTINCT ?lower) AS ?taken_up) WHERE {
  ?lower pol:localises ?np .
  ?np dcterms:title ?national ; pol:inDocument ?nd .
  ?nd pol:adminLevel/skos:notation "national" ; dcterms:title ?document .
} GROUP BY ?national ?document ORDER BY DESC(?taken_up) LIMIT 20""", 20),
    # Taken up through the province: provincial provisions that take up a national one,
    # and the municipal and county ones that take those up in turn.
    Example("国家条款经省级承接后被市县再承接", """SELECT ?national ?document (COUNT(DISTINCT ?p) AS ?provincial)
       (COUNT(DISTINCT ?m) AS ?below_provincial) WHERE {
  ?p pol:localises ?np ; pol:inDocument/pol:adminLevel/skos:notation "provincial" .
  ?m pol:localises ?p .
  ?np dcterms:title ?national ; pol:inDocument ?nd .
  ?nd pol:adminLevel/skos:notation "national" ; dcterms:title ?document .
} GROUP BY ?national ?document ORDER BY DESC(?below_provincial) LIMIT 20""", 20),
    # A department's line upward (市人社局 → 省人社厅 → 人社部), a property path from the
    # few departments the filter keeps.
    Example("人社部门的职能条线（上级主管部门）", """SELECT ?dept ?superior ?level WHERE {
  ?d a org:Organization ; skos:prefLabel ?dept .
  FILTER(CONTAINS(STR(?dept), "人力资源"))
  ?d pol:functionalSuperior+ ?s . ?s skos:prefLabel ?superior .
  OPTIONAL { ?s pol:adminLevel/skos:notation ?level }
} ORDER BY STR(?dept) ?level LIMIT 50""", 50),
]


def _query_text() -> tuple[str | None, bool]:
    """The query and whether it arrived as an update, by every route the protocol allows."""
    if request.method == "GET":
        if "update" in request.args:
            return request.args["update"], True
        return request.args.get("query"), False
    ctype = (request.mimetype or "").lower()
    if ctype == "application/sparql-update":
        return request.get_data(as_text=True), True
    if ctype == "application/sparql-query":
        return request.get_data(as_text=True), False
    if "update" in request.form:
        return request.form["update"], True
    return request.form.get("query"), False


# Why a query was not run, in Chinese for the page (the guard's own words, often the
# parser's, stay as `detail`): matched on the guard's message, else by status.
_REASONS = (
    ("updates are refused", "只读端点，不执行更新（INSERT、DELETE、LOAD 等）。"),
    ("FROM / FROM NAMED", "不支持 FROM / FROM NAMED：端点只查询本图谱，不读取其他文件或网址。"),
    ("SERVICE is refused", "不支持 SERVICE：端点不连接外部服务。"),
    ("does not parse", "查询语法有误，请检查拼写、括号和前缀。"),
    ("nested", "查询嵌套层数过多。"),
    ("longer than", "查询文字过长。"),
    ("empty query", "查询为空。"),
    ("no query", "没有查询：请以 ?query=… 或 POST 提交查询（SPARQL 1.1 协议）。"),
    ("stopped after", "查询超过时限，已停止：请加 LIMIT、缩小范围或改用聚合。"),
    ("waiting for a free slot", "服务器繁忙，查询未能开始，请稍后再试。"),
    ("too many SPARQL queries", "同时进行的查询过多，请稍后再试。"),
    ("could not load the graph", "查询进程无法加载图谱，请联系管理员（可重新构建数据）。"),
    ("still loading", "图谱正在加载，请稍后再试。"),
    ("memory", "查询所需内存超过上限：请缩小范围。"),
)
_BY_STATUS = {400: "查询无法执行。", 403: "查询被拒绝。", 413: "查询过长。",
              429: "同时进行的查询过多，请稍后再试。", 503: "服务暂不可用，请稍后再试。"}


def explain(message: str, status: int) -> str:
    """A refusal or failure said in Chinese, for the people who read the page."""
    for key, text in _REASONS:
        if key in message:
            return text
    return _BY_STATUS.get(status, "查询失败。")


def _error(message: str, status: int) -> Response:
    return jsonify(error="SPARQL query refused" if status < 500 else "SPARQL query failed",
                   message=explain(message, status), detail=message, status=status), status


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    text, is_update = _query_text()
    if is_update:
        return _error("updates are refused: this endpoint is read-only", 403)
    if text is None:
        if request.accept_mimetypes.accept_html:
            return render_template("sparql.html", examples=EXAMPLES,
                                   query=request.args.get("q", EXAMPLES[0].query))
        return _error("no query: send ?query=… or POST a query (SPARQL 1.1 Protocol)", 400)
    state = current_app.extensions["policykg"]
    try:
        result = state.sparql().run(text)
    except SparqlBusy as exc:       # WDQS-style: 429 and when to come back
        resp = _error(str(exc), exc.status)
        resp[0].headers["Retry-After"] = str(exc.retry_after)
        return resp
    except SparqlError as exc:
        return _error(str(exc), exc.status)
    mime = negotiate(result.kind, request.headers.get("Accept"), request.values.get("format"))
    resp = Response(serialize(result, mime), mimetype=mime)
    if mime.startswith(("text/", "application/sparql-results+json", "application/ld+json",
                        "application/n-triples", "application/sparql-results+xml")):
        resp.headers["Content-Type"] = f"{mime}; charset=utf-8"
    resp.headers["X-Result-Truncated"] = "true" if result.truncated else "false"
    resp.headers["X-Query-Seconds"] = f"{result.elapsed:.4f}"
    return resp
