"""The Flask application factory: state, security headers, request logs, error pages."""
from __future__ import annotations

import dataclasses
import errno
import json
import logging
import re
import secrets
import sqlite3
import threading
import time

from flask import Flask, g, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import MB
from policykg.pipeline.datadir import NotBuilt
from policykg.ontology.sparql import SparqlRunner, warm_up
from policykg.ontology.virtuoso import IncompleteAnswer, VirtuosoRunner, VirtuosoUnavailable
from policykg.web.settings import Settings
from policykg.web import stores
from policykg.web import api, ingest_routes, pages, sparql_routes

log = logging.getLogger("policykg.web")
# One JSON line per request; where it goes is the serving stack's choice (web.server).
request_log = logging.getLogger("policykg.requests")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


class State:
    """The generation being served; switched when the data folder gets a newer one.

    Every request asks the data folder which generation is current (one readlink); when
    a build or add has switched it, the new generation is loaded and served from then on,
    without a restart.  Requests already running keep the generation they started with.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = stores.data_dir(settings)
        self._gen: Generation | None = None
        self._readers: dict[Generation, int] = {}    # generation → requests reading it
        self._runner: SparqlRunner | VirtuosoRunner | None = None
        self._lock = threading.Lock()
        # what a build or add must leave free on the disk (Settings.min_free_mb)
        self.store = dataclasses.replace(self.store, min_free=settings.min_free_mb * MB)

    def generation(self) -> Generation:
        """The generation this request reads: the current one when it first asks, kept
        for the rest of the request (counted, so a retired one is closed only when its
        last request has finished); outside a request, the current one."""
        if not has_request_context():
            return self._current()
        pinned = g.get("generation")
        while pinned is None:
            gen = self._current()
            with self._lock:
                if gen is self._gen:        # still current, so not retired: count it
                    self._readers[gen] = self._readers.get(gen, 0) + 1
                    pinned = g.generation = gen
        return pinned

    def release(self, gen: Generation) -> None:
        """A request is done with `gen`: a retired generation nobody reads is closed."""
        with self._lock:
            left = self._readers[gen] = self._readers[gen] - 1
            if left == 0:
                del self._readers[gen]
            done = left == 0 and gen is not self._gen
        if done:
            gen.close()

    def _retire(self, gen: Generation | None) -> None:
        """`gen` is no longer current (under self._lock): closed now if no request reads
        it, else by the last one's release()."""
        if gen is not None and gen not in self._readers:
            gen.close()

    def _current(self) -> Generation:
        folder = self.store.require_current()
        gen = self._gen
        if gen is None or gen.folder != folder:
            with self._lock:
                if self._gen is None or self._gen.folder != folder:
                    self._retire(self._gen)
                    old_runner, self._runner = self._runner, None
                    self._gen = stores.generation(self.settings, folder)
                    if old_runner is not None:   # queries running on it finish first
                        old_runner.close_when_idle()
                gen = self._gen
        return gen

    def sparql(self) -> SparqlRunner | VirtuosoRunner:
        gen = self.generation()
        with self._lock:
            if self._runner is None or not self._runner.alive:
                self._runner = stores.sparql_runner(self.settings, gen)
            return self._runner

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


# Error pages are read by people: a Chinese title per status, and the description only
# when it is ours (Chinese); werkzeug's stock descriptions are English.
ERROR_TITLES = {400: "请求有误", 403: "无权访问", 404: "未找到", 405: "不支持该请求方式",
                409: "操作冲突", 413: "内容过大", 415: "不支持的格式", 422: "无法读取",
                429: "请求过多", 500: "服务器内部错误", 503: "服务暂不可用", 507: "存储空间不足"}
ERROR_HINTS = {404: "没有这个页面或资源，请检查网址，或从首页重新查找。",
               405: "这个地址不接受这种请求方式。", 413: "提交的内容超过了上限。"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_NAMES = {503: "Service Unavailable", 507: "Insufficient Storage"}
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def known_cause(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, message, Chinese message) of an error whose cause is known — a damaged
    catalog, a full disk, a data folder that cannot be written, no memory left — else None."""
    if isinstance(exc, sqlite3.DatabaseError):
        return (503, f"the served generation's catalog cannot be read ({exc}); rebuild with "
                "`policykg build`", "数据文件已损坏，暂时无法显示，请管理员重新构建数据（policykg build）。")
    if isinstance(exc, MemoryError):
        return 503, "the server is out of memory; try again shortly", "服务器内存不足，请稍后再试。"
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return 507, f"no space left on the data folder's disk ({exc})", "服务器存储空间不足。"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (503, f"the data folder cannot be written or read here ({exc})",
                "数据目录只读或无权访问，暂时无法完成。")
    return None


def error_title(code: int | None) -> str:
    return ERROR_TITLES.get(code or 500, "出错了")


def error_message(code: int | None, description: str | None) -> str:
    if description and _CJK.search(description):
        return description
    return ERROR_HINTS.get(code or 500, "请求未能完成，请返回上一页或首页重试。")


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/sparql", "/healthz", "/readyz"))


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=settings.max_upload_bytes + 65536,
                      JSON_AS_ASCII=False, DEBUG=False, PROPAGATE_EXCEPTIONS=False)
    app.json.ensure_ascii = False
    state = State(settings)
    app.extensions["policykg"] = state
    warm_up()

    @app.before_request
    def start_timer():
        given = request.headers.get("X-Request-Id", "")
        # A client's id is kept only if it is a short plain token: it goes into logs and
        # headers, where newlines or markup would forge or break lines.
        g.request_id = given if SAFE_REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Request-Id"] = g.get("request_id", "")
        served = g.get("generation") or state._gen
        if served is not None:
            response.headers["X-Generation"] = served.name
        request_log.info(json.dumps({
            "request_id": g.get("request_id"), "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "path": request.path, "status": response.status_code,
            "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
            "client": request.remote_addr,
        }, ensure_ascii=False))
        return response

    @app.teardown_request
    def release_generation(_exc):
        gen = g.pop("generation", None)
        if gen is not None:
            state.release(gen)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return jsonify(error=exc.name, message=exc.description, status=exc.code), exc.code
        return render_template("error.html", code=exc.code, title=error_title(exc.code),
                               message=error_message(exc.code, exc.description)), exc.code

    @app.errorhandler(NotBuilt)
    def not_built(exc: NotBuilt):
        if wants_json():
            return jsonify(error="Service Unavailable", message=str(exc), status=503), 503
        return render_template("error.html", code=503, title=error_title(503),
                               message="数据尚未构建，请先运行 policykg build。"), 503

    @app.errorhandler(VirtuosoUnavailable)
    @app.errorhandler(IncompleteAnswer)
    def graph_store_down(exc: Exception):
        # the Virtuoso server is down, or answered part of a question: said, never shown
        log.warning("graph store: %s (request %s)", exc, g.get("request_id"))
        if wants_json():
            return jsonify(error="Service Unavailable", message=str(exc), status=503), 503
        return render_template("error.html", code=503, title=error_title(503),
                               message="图谱服务暂时无法回答，请稍后再试。"), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        cause = known_cause(exc)
        if cause is not None:           # a state of the server, said as such: never a 500
            status, message, chinese = cause
            log.warning("%s (request %s)", message, g.get("request_id"))
            if wants_json():
                return jsonify(error=ERROR_NAMES[status], message=message, status=status), status
            return render_template("error.html", code=status, title=error_title(status),
                                   message=chinese), status
        log.exception("unhandled error (request %s)", g.get("request_id"))
        if wants_json():
            return jsonify(error="Internal Server Error", status=500,
                           message=f"unexpected error; request id {g.get('request_id')}"), 500
        return render_template("error.html", code=500, title=error_title(500),
                               message=f"服务器出错了（请求编号 {g.get('request_id')}）。"), 500

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        try:
            gen = state.generation()
            gen.probe()
        except Exception as exc:  # any reason not to take traffic is a 503 with its reason
            return jsonify(ready=False, reason=str(exc)), 503
        return jsonify(ready=True, generation=gen.name, documents=gen.meta["documents"],
                       provisions=gen.meta["provisions"])

    app.register_blueprint(api.bp)
    app.register_blueprint(ingest_routes.bp)
    app.register_blueprint(sparql_routes.bp)
    app.register_blueprint(pages.bp)
    return app
