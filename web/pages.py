"""HTML pages in Chinese; each renders one view dict (the same one the API returns)."""
from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from typing import Callable
from urllib.parse import quote, unquote, urlencode, urlsplit

from flask import (Blueprint, Response, abort, current_app, redirect, render_template,
                   request, url_for)

from markupsafe import Markup
from rdflib import Graph, URIRef

from policykg.corpus.vocabulary import KIND_LABELS, LEVEL_LABELS
from policykg.ontology.namespaces import ID, bind_prefixes
from policykg.web import (alignment_views, department_views, document_views, graph_view,
                          provision_views, reading, tables, target_views)
from policykg.web.api import FILTERS, paging, run_search
from policykg.web.downloads import download_links, offers
from policykg.web.lookups import NotFound, Paging, lookups
from policykg.web.openapi import openapi_document

bp = Blueprint("pages", __name__)


def gen():
    return current_app.extensions["policykg"].generation()


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")      # the ids the build mints: nothing to quote
_PATH_SAFE = "/:@!$&'()*+,;=-._~"                 # what werkzeug leaves unquoted in a path
_QUERY_SAFE = "!$'()*,/:;?@"                      # and in a query value (werkzeug.urls)


class Links:
    """The addresses a page prints by the hundred (outline, alignment tree, coverage lists,
    responsibility matrix): each route's prefix resolved once per page with url_for and the
    id appended — the same addresses url_for gives (one url_for per link was a third of
    an alignment tree's time).  A path argument or query value that is not a minted id
    is quoted as werkzeug quotes a path or a query."""

    def __init__(self) -> None:
        self._prefixes: dict[tuple[str, str | None], str] = {}

    def _prefix(self, endpoint: str, arg: str | None) -> str:
        key = (endpoint, arg)
        if key not in self._prefixes:
            self._prefixes[key] = (url_for(endpoint, **{arg: "x"})[:-1] if arg
                                   else url_for(endpoint))
        return self._prefixes[key]

    def url(self, endpoint: str, arg: str | None = None, value: str = "",
            **query: str | None) -> str:
        """url_for(endpoint, **{arg: value}, **query) for a route whose only path argument
        is `arg` (a <path:…>), or none."""
        query = {k: v for k, v in query.items() if v is not None}
        out = self._prefix(endpoint, arg)
        if arg:
            out += value if _URL_SAFE.fullmatch(value) else quote(value, safe=_PATH_SAFE)
        if not query:
            return out
        if all(_URL_SAFE.fullmatch(v) for v in query.values()):
            return out + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return out + "?" + urlencode(query, safe=_QUERY_SAFE)


class SearchLinks:
    """search_url for one page: the search page's facets, chips and sorts print a link
    each (a couple of hundred), every one this page's arguments with one or two changed;
    the unchanged arguments are encoded once per page, not once per link."""

    def __init__(self) -> None:
        self._base = url_for("pages.search") + "?"
        self._args = request.args.to_dict(flat=False)
        self._encoded = {k: urlencode({k: v}, doseq=True) for k, v in self._args.items()}

    def url(self, **changes: str | None) -> str:
        """This search's address with `changes` (None drops an argument), in the order
        urlencode gives the changed dictionary: kept keys in place, new keys last."""
        parts = []
        for key, encoded in self._encoded.items():
            if key not in changes:
                parts.append(encoded)
            elif changes[key] is not None:
                parts.append(_pair(key, changes[key]))
        parts += [_pair(k, v) for k, v in changes.items()
                  if k not in self._encoded and v is not None]
        return self._base + "&".join(p for p in parts if p)


@functools.lru_cache(maxsize=4096)
def _pair(key: str, value: str) -> str:
    """key=value encoded as urlencode encodes it: the facet values (levels, years,
    issuers, documents, departments) come back on page after page."""
    return urlencode({key: value})


class Fragments:
    """Rendered pieces of pages that every request on a generation renders alike — a
    document's outline and responsibility matrix (hundreds of links) — kept for the last
    `size` asked for, by the generation, the piece and the address prefix they were
    rendered under.  Thread-safe; a piece rendered twice at once is kept once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, render: Callable[[], str]) -> Markup:
        with self._lock:
            html = self._kept.get(key)
            if html is not None:
                self._kept.move_to_end(key)
                return html
        html = Markup(render())
        with self._lock:
            self._kept[key] = html
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return html


FRAGMENTS_KEPT = 512       # a document's outline, matrix, coverage; a tree's page; facets
fragments = Fragments(FRAGMENTS_KEPT)


def _fragment(key: tuple, template: str, **context) -> Markup:
    """`template` rendered with `context`, once per generation and `key` (what the
    context is made from) under this address prefix."""
    return fragments.get((gen(), *key, request.script_root),
                         lambda: render_template(template, **context))


@bp.app_context_processor
def helpers():
    def generation_name() -> str:
        state = current_app.extensions["policykg"]
        return state._gen.name if state._gen is not None else "—"

    def level_label(level: str | None) -> str:
        return LEVEL_LABELS.get(level or "", level or "")

    def kind_label(kind: str | None) -> str:
        return KIND_LABELS.get(kind or "", kind or "")

    search_links: list[SearchLinks] = []

    def search_url(**changes) -> str:
        if not search_links:
            search_links.append(SearchLinks())
        return search_links[0].url(**changes)

    def page_url(page: int) -> str:
        """This page's address with another page number (the other arguments kept)."""
        args = request.args.to_dict(flat=False)
        args["page"] = [str(page)]
        return (url_for(request.endpoint, **(request.view_args or {})) + "?"
                + urlencode(args, doseq=True))

    links = Links()

    def provision_url(pid: str) -> str:
        return links.url("pages.provision", "pid", pid)

    def document_url(ref: str, plan: str | None = None) -> str:
        return links.url("pages.document", "ref", ref, plan=plan)

    def department_url(did: str) -> str:
        return links.url("pages.department", "did", did)

    def compare_url(higher: str, lower: str) -> str:
        return links.url("pages.compare", higher=higher, lower=lower)

    def alignment_url(root: str) -> str:
        return links.url("pages.alignment", root=root)

    def indicator_url(indicator: str) -> str:
        return links.url("pages.targets", indicator=indicator)

    def document_of(file: str | None) -> dict | None:
        return lookups(gen()).docs.get(file or "")

    return {"generation_name": generation_name, "level_label": level_label,
            "kind_label": kind_label, "role_label": department_views.ROLE_LABELS.get,
            "search_url": search_url, "page_url": page_url, "provision_url": provision_url,
            "document_url": document_url, "department_url": department_url,
            "compare_url": compare_url, "alignment_url": alignment_url,
            "indicator_url": indicator_url,
            "download_links": download_links,
            "document_of": document_of, "doc_name": reading.doc_name,
            "target_text": reading.target_text, "chart_rows": reading.chart_rows,
            "verdicts": reading.VERDICTS, "not_compared_note": reading.NOT_COMPARED_NOTE,
            "citation": reading.citation, "state_label": reading.state_label,
            "state_title": reading.state_title, "period_text": reading.period_text}


def _doc_title(ref: str) -> str | None:
    doc = lookups(gen()).document(ref)
    return doc.get("title") if doc else None


def _view(fn, *args):
    try:
        return fn(gen(), *args)
    except NotFound as exc:
        abort(404, str(exc))


@bp.get("/")
def home():
    g = gen()
    db = lookups(g).db
    return render_template("home.html", meta=g.meta, v=document_views.home(g),
                           departments=db.count("departments"),
                           indicators=db.indicator_count(), alignments=db.count("alignments"))


@bp.get("/search")
@offers(tables.search_table)
def search():
    """The search page.  Its form carries only the query: a facet clicked puts a filter in
    the address, shown as a chip that removes it, and a new query typed in starts afresh
    (filters kept in hidden fields narrowed it without the person seeing why)."""
    result = run_search() if request.args.get("q", "").strip() or any(
        request.args.get(k) for k in FILTERS) else None
    args = request.args.to_dict(flat=False)
    chips = [(c, _search_href({**args, c.key: [v for v in args[c.key] if v != c.value],
                               "page": []}))
             for c in reading.chips(args, FILTERS, _doc_title)]
    clear = _search_href({k: v for k, v in args.items() if k not in (*FILTERS, "page")})
    reads = reading.interpreted(result.interpreted, _doc_title) if result else ""
    filters = {k: request.args.get(k) for k in FILTERS}
    # The facets' links are this address's arguments less the page: kept by them.
    facets = result and _fragment(
        ("facets", tuple((k, tuple(v)) for k, v in args.items() if k != "page")),
        "_facets.html", result=result, filters=filters, facet_names=reading.FILTER_LABELS)
    return render_template("search.html", result=result, q=request.args.get("q", ""),
                           filters=filters, chips=chips, clear_url=clear, reads=reads,
                           facets_html=facets)


def _search_href(args: dict[str, list[str]]) -> str:
    return url_for("pages.search") + "?" + urlencode(
        {k: v for k, v in args.items() if v}, doseq=True)


@bp.get("/help/query")
def query_help():
    return render_template("query_help.html")


@bp.get("/documents")
def documents():
    """A page of the documents, by level or (?sort=date) newest first, each with its
    state; ?level= keeps one level."""
    v = document_views.document_list(gen(), paging(), sort=request.args.get("sort"),
                                     level=request.args.get("level") or None)
    return render_template("documents.html", v=v, documents=v["documents"], sort=v["sort"])


@bp.get("/documents/<path:ref>")
@offers(tables.document_table)
def document(ref: str):
    # One higher plan's lists are shown (?plan=, else the nearest); the others, their counts.
    v = _view(document_views.document_page, ref, request.args.get("plan") or None)
    shown = next((c for c in v["coverage"] if c["detailed"]), None)
    doc = v["document"]["doc"]
    # The coverage's download links carry this address's arguments: kept by address.
    coverage = _fragment(("coverage", request.full_path), "_coverage.html", v=v,
                         coverage_shown=document_views.COVERAGE_SHOWN,
                         coverage_open=shown and shown["higher_doc"],
                         coverage_lists=shown and document_views.coverage_lists(shown))
    return render_template("document.html", v=v, coverage_html=coverage,
                           outline_html=_fragment(("outline", doc), "_outline.html",
                                                  nodes=v["outline"], open=True),
                           matrix_html=_fragment(("matrix", doc), "_matrix.html",
                                                 matrix=v["matrix"]),
                           unsettled=reading.unsettled_notes(v["document"].get("unsettled")))


@bp.get("/provisions/<path:pid>")
def provision(pid: str):
    return render_template("provision.html", v=_view(provision_views.provision, pid))


@bp.get("/compare")
def compare():
    return render_template("compare.html", v=_view(provision_views.compare,
                                                   request.args.get("higher", ""),
                                                   request.args.get("lower", "")))


@bp.get("/departments")
def departments():
    """A page of the departments, filtered by ?q= (name, short name or region), ?level=
    and ?region=, grouped by region on the page."""
    v = department_views.department_list(gen(), paging(), **_department_filters())
    groups: dict[str, list] = {}
    for r in v["departments"]:
        groups.setdefault(r["region"] or "其他", []).append(r)
    return render_template("departments.html", v=v, groups=groups)


def _department_filters() -> dict[str, str | None]:
    return {k: request.args.get(k, "").strip() or None
            for k in department_views.DEPARTMENT_FILTERS}


@bp.get("/departments/<path:did>")
@offers(tables.department_tasks)
def department(did: str):
    return render_template("department.html", v=_view(department_views.department, did,
                                                      paging(), request.args.get("doc") or None))


@bp.get("/targets")
@offers(tables.targets_table)
def targets():
    indicator = request.args.get("indicator") or None
    q = request.args.get("q") or None
    return render_template("targets.html",
                           v=target_views.targets(gen(), indicator, paging(), q=q),
                           indicator=indicator)


@bp.get("/alignment")
def alignment():
    root = request.args.get("root") or None
    p = _tree_paging(root)
    v = _view(alignment_views.alignment, root, p)
    tree = v.get("tree") and _fragment(("tree", root, p), "_align.html", nodes=v["tree"],
                                       parent=None, open=False)
    return render_template("alignment.html", v=v, root=root, first=alignment_views.ALIGN_FIRST,
                           tree_html=tree)


def _tree_paging(root: str | None) -> Paging:
    """A tree's page holds fewer of the root's takers (each brings its own) unless ?size=."""
    p = paging()
    return (p if not root or request.args.get("size")
            else Paging(p.page, alignment_views.ALIGN_PAGE))


@bp.get("/graph/<path:ref>")
def graph(ref: str):
    return render_template("graph.html", v=_view(graph_view.neighbourhood, ref))


@bp.get("/api")
def api_docs():
    return render_template("api.html", spec=openapi_document())


# ---- linked-data IRIs: HTML for browsers, RDF for RDF clients -------------------------------------

RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld",
             "application/n-triples": "nt", "application/rdf+xml": "xml"}


@bp.get("/id/<path:rest>")
def resource(rest: str):
    """Dereference a minted IRI (…/id/doc/<key>/<path>, …/id/dept/<slug>), as
    legislation.gov.uk does: 303 to the page, or the resource's triples in RDF."""
    best = request.accept_mimetypes.best_match([*RDF_TYPES, "text/html"], default="text/html")
    if best in RDF_TYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]:
        resp = _describe(_iri_candidates(rest), best)
    else:
        target = _page_for(rest)
        if target is None:
            abort(404, f"没有这个资源：{ID[rest]}")
        resp = redirect(target, code=303)
    # One IRI, two answers by Accept: a cache that ignored it would give a browser Turtle.
    resp.vary.add("Accept")
    return resp


def _iri_candidates(rest: str) -> list[URIRef]:
    """The IRIs a request for /id/<rest> may name.  The graph mints some IRIs with
    percent-encoded segments (a department's "%E5%85%A8%E5%9B%BD/hrss"), which the WSGI
    server decodes before routing: so the path as the client sent it comes first (the IRI
    exactly as minted), then the decoded path with each segment quoted as the graph
    quotes it, then the decoded path itself (IRIs minted with plain characters, and
    clients that encode twice)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw_rest = urlsplit(raw).path.partition("/id/")[2]
    # %e5 and %E5 are the same octet; the graph writes upper case (urllib's quote).
    raw_rest = re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), raw_rest)
    requoted = "/".join(quote(seg, safe="") for seg in rest.split("/"))
    out: list[URIRef] = []
    for form in (raw_rest, requoted, rest):
        if form and ID[form] not in out:
            out.append(ID[form])
    return out


def _page_for(rest: str) -> str | None:
    g = gen()
    parts = rest.split("/")
    if parts[0] == "doc" and len(parts) == 2 and g.document(parts[1]):
        return url_for("pages.document", ref=parts[1])
    if parts[0] == "doc" and len(parts) >= 3:
        pid = f"{parts[1]}__{parts[2]}"
        if pid in g.provision_by_id:
            return url_for("pages.provision", pid=pid)
    if parts[0] == "dept":
        did = unquote("/".join(parts[1:]))
        if lookups(g).has_department(did):
            return url_for("pages.department", did=did)
    return None


def _describe(iris: list[URIRef], mime: str) -> Response:
    """The triples of the first of `iris` the graph knows, in and out, in `mime`."""
    source = gen().graph
    for iri in iris:
        out = Graph()
        bind_prefixes(out)
        for triple in source.triples((iri, None, None)):
            out.add(triple)
        for triple in source.triples((None, None, iri)):
            out.add(triple)
        if len(out):
            body = out.serialize(format=RDF_TYPES[mime], encoding="utf-8")
            resp = Response(body, mimetype=mime)
            resp.headers["Vary"] = "Accept"
            return resp
    abort(404, f"没有这个资源：{iris[0]}")
