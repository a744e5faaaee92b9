"""`/sparql`: the W3C SPARQL 1.1 Protocol, read-only, with a query page for people."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ontology.sparql import SparqlError, negotiate, serialize

bp = Blueprint("sparql", __name__)

EXAMPLES = [
    ("003 各项任务的牵头单位",
     """SELECT ?task ?heading ?dept WHERE {
  ?doc dcterms:identifier "003_67eb8ad90d2900c2.txt" .
  ?task pol:inDocument ?doc ; dcterms:title ?heading ; cv:hasParticipation ?part .
  ?part cv:role/skos:notation "lead" .
  ?d cv:playsRole ?part ; skos:prefLabel ?dept .
} ORDER BY ?task"""),
    ("同一指标在各层级的目标",
     # The indicators first, then their targets: the store starts from the few concepts
     # the filter keeps instead of every target (4.3 s against 9.5 s at 2,000 documents).
     """SELECT ?indicator ?level ?doc ?value ?unit ?comparator ?comparison WHERE {
  ?c skos:prefLabel ?concept . FILTER(CONTAINS(STR(?concept), "在校生"))
  ?target pol:indicator ?c .
  ?target a pol:Target ; rdfs:label ?indicator ; pol:targetValue ?q ;
          pol:comparator/skos:notation ?comparator ; prov:wasDerivedFrom ?p .
  ?p pol:inDocument ?d . ?d dcterms:identifier ?doc ; pol:adminLevel/skos:notation ?level .
  ?q schema:value ?value . OPTIONAL { ?q schema:unitText ?unit }
  OPTIONAL { ?a a pol:Alignment ; pol:lower ?target ; pol:comparison/skos:notation ?comparison }
} ORDER BY ?concept ?level"""),
    ("国家条款被哪些下级条款承接",
     """SELECT ?national ?heading ?lower ?lower_heading ?level WHERE {
  ?lower pol:localises+ ?np ; dcterms:title ?lower_heading ; pol:inDocument ?ld .
  ?ld pol:adminLevel/skos:notation ?level .
  ?np pol:inDocument ?nd ; dcterms:identifier ?national ; dcterms:title ?heading .
  ?nd pol:adminLevel/skos:notation "national" .
} ORDER BY ?national ?level LIMIT 100"""),
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


def _error(message: str, status: int) -> Response:
    return jsonify(error="SPARQL query refused" if status < 500 else "SPARQL query failed",
                   message=message, status=status), status


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    text, is_update = _query_text()
    if is_update:
        return _error("updates are refused: this endpoint is read-only", 403)
    if text is None:
        if request.accept_mimetypes.accept_html:
            return render_template("sparql.html", examples=EXAMPLES,
                                   query=request.args.get("q", EXAMPLES[0][1]))
        return _error("no query: send ?query=… or POST a query (SPARQL 1.1 Protocol)", 400)
    state = current_app.extensions["policykg"]
    try:
        result = state.sparql().run(text)
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
