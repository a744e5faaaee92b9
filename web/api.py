"""The JSON API (described by /api/openapi.json); every route calls one view function."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from policykg.web import (alignment_views, department_views, document_views, graph_view,
                          provision_views, tables, target_views)
from policykg.web.downloads import offers
from policykg.web.lookups import MAX_PAGE_SIZE, PAGE_SIZE, NotFound, Paging
from policykg.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")

FILTERS = ("level", "doc", "dept", "kind", "year", "issuer", "date")


def gen():
    return current_app.extensions["policykg"].generation()


def settings():
    return current_app.config["SETTINGS"]


def _int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"参数 {name} 须为整数")
    return max(lo, min(value, hi))


def paging() -> Paging:
    """`page` and `size` of a paged list: whole numbers from 1 (else a 400 saying so); a
    size over the cap is the cap, as in search."""
    values = {}
    for name, default in (("page", 1), ("size", PAGE_SIZE)):
        raw = request.args.get(name, "").strip()
        if not raw:
            values[name] = default
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            abort(400, f"参数 {name} 须为整数")
        if values[name] < 1:
            abort(400, f"参数 {name} 须不小于 1")
    return Paging(page=values["page"], size=min(values["size"], MAX_PAGE_SIZE))


def _view(fn, *args):
    try:
        return fn(gen(), *args)
    except NotFound as exc:
        abort(404, str(exc))


def run_search():
    """The search both /api/search and the search page run, from the request's arguments."""
    s = settings()
    q = request.args.get("q", "")
    filters = {k: request.args.getlist(k) for k in FILTERS if request.args.getlist(k)}
    page = _int("page", 1, 1, 10_000)
    size = _int("size", 10, 1, s.max_page_size)
    return gen().searcher.search(q, filters, page=page, page_size=size,
                                 options=s.search_options(),
                                 sort=request.args.get("sort"))


@bp.get("/search")
@offers(tables.search_table)
def search():
    return jsonify(run_search().to_dict())


@bp.get("/documents")
def documents():
    return jsonify(document_views.document_list(gen(), paging(), sort=request.args.get("sort"),
                                                level=request.args.get("level") or None))


@bp.get("/documents/<path:ref>")
@offers(tables.document_table)
def document(ref: str):
    # Every higher plan's counts; one plan's lists (?plan=, else the nearest), paged.
    return jsonify(_view(document_views.document_page, ref, request.args.get("plan") or None,
                         paging()))


@bp.get("/provisions/<path:pid>")
def provision(pid: str):
    return jsonify(_view(provision_views.provision, pid))


@bp.get("/compare")
def compare():
    higher, lower = request.args.get("higher", ""), request.args.get("lower", "")
    data = _view(provision_views.compare, higher, lower)
    data["higher_runs"] = [{"text": t, "shared": m} for t, m in data["higher_runs"]]
    data["lower_runs"] = [{"text": t, "shared": m} for t, m in data["lower_runs"]]
    return jsonify(data)


@bp.get("/departments")
def departments():
    return jsonify(department_views.department_list(
        gen(), paging(), **{k: request.args.get(k, "").strip() or None
                            for k in department_views.DEPARTMENT_FILTERS}))


@bp.get("/departments/<path:did>")
@offers(tables.department_tasks)
def department(did: str):
    return jsonify(_view(department_views.department, did, paging(),
                         request.args.get("doc") or None))


@bp.get("/targets")
@offers(tables.targets_table)
def targets():
    return jsonify(target_views.targets(gen(), request.args.get("indicator") or None, paging(),
                                        q=request.args.get("q") or None))


@bp.get("/alignment")
def alignment():
    root = request.args.get("root") or None
    p = paging()
    if root and not request.args.get("size"):      # a tree's page: fewer takers, each with its own
        p = Paging(p.page, alignment_views.ALIGN_PAGE)
    return jsonify(_view(alignment_views.alignment, root, p))


@bp.get("/neighbourhood/<path:ref>")
def neighbourhood(ref: str):
    return jsonify(_view(graph_view.neighbourhood, ref))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
