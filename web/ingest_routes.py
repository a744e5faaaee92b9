"""Adding a document over HTTP: `POST /api/documents` (JSON) and the upload form (/upload).

Writes are closed unless an upload token is configured (Settings.upload_token, from
POLICYKG_TOKEN): without one every write is refused with 403.  The API takes the token
as `Authorization: Bearer …`, the HTML form as a field; both are compared in constant
time.  The work is pipeline.ingest's, exactly what `policykg add` does: the file is read
and checked before anything is written, a refusal changes nothing and is answered with
one line (JSON for the API, Chinese on the form), and a success switches the data folder
to the new generation, which the running server serves from its next request on.
"""
from __future__ import annotations

import hmac
import json
import logging
import math
import threading
import time
from collections import deque

from flask import Blueprint, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from policykg.corpus.reader import UnreadableDocument
from policykg.corpus.vocabulary import LEVEL_LABELS
from policykg.pipeline import ingest
from policykg.pipeline.datadir import StoreBusy

log = logging.getLogger("policykg.web")
audit = logging.getLogger("policykg.requests")     # uploads and refused tokens, as JSON lines
bp = Blueprint("ingest", __name__)
# Seconds a client told the data folder is busy (after waiting upload_wait) should wait.
BUSY_RETRY_AFTER = 30

# The metadata fields of `policykg add`, as form fields of the same names.
FIELDS = ("title", "level", "region", "issuer", "number", "date", "status")
LEVELS = {"": "从发文机关推断", **LEVEL_LABELS}
STATUSES = {"": "从正文推断", "issued": "已印发", "draft": "征求意见稿"}


class Refused(Exception):
    """A write refused before it reached the ingest library (no token, no file)."""

    def __init__(self, status: int, message: str, chinese: str, retry_after: int = 0):
        super().__init__(message)
        self.status, self.chinese, self.retry_after = status, chinese, retry_after


class TokenFailures:
    """Failed token attempts per client over the last `window` seconds; past `limit` the
    client is refused (429) until its oldest failure leaves the window, whatever token it
    sends.  Counted per worker process (900 wrong guesses once went through unchecked)."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int:
        """Seconds `client` must wait before another attempt; 0: it may try now."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[0] + self.window - time.monotonic()))

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(time.monotonic())
            if len(self._seen) > 10_000:        # many clients: forget the quiet ones
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]

    def _recent(self, client: str) -> deque:
        times = self._seen.setdefault(client, deque())
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return times


@bp.record_once
def _per_app(setup) -> None:
    setup.app.extensions["policykg.token_failures"] = TokenFailures(
        setup.app.config["SETTINGS"].token_failures)


def _settings():
    return current_app.config["SETTINGS"]


def _audit(event: str, **fields) -> None:
    """One JSON line in the request log (web.app) for what a write attempt did."""
    audit.info(json.dumps({"event": event, "request_id": g.get("request_id"),
                           "client": request.remote_addr, "route": request.path, **fields},
                          ensure_ascii=False))


def _check_token(given: str | None) -> None:
    token = _settings().upload_token
    if not token:
        raise Refused(403, "uploads are closed: no upload token is configured on the server "
                           "(POLICYKG_TOKEN)", "上传未开放：服务器未配置上传令牌（POLICYKG_TOKEN）。")
    failures = current_app.extensions["policykg.token_failures"]
    client = request.remote_addr or "?"
    wait = failures.wait(client)
    if wait:
        _audit("token_rate_limited", retry_after=wait)
        raise Refused(429, f"too many failed token attempts from {client}; try again in "
                           f"{wait} s", f"令牌错误次数过多，请 {wait} 秒后再试。", retry_after=wait)
    if not given or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        failures.failed(client)
        _audit("token_refused", given=bool(given))
        raise Refused(403, "a valid upload token is required (Authorization: Bearer <token>)",
                      "上传令牌无效或缺失。")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _add() -> ingest.AddResult:
    """Read the uploaded file and the metadata fields, and add the document.

    The file waits on disk (the serving front and werkzeug spool a large body to a
    temporary file) until this upload's turn comes: it is read into memory and parsed
    only under the data folder's lock, so uploads arriving together are parsed one by
    one, and one that arrives during a build or add waits for it (Settings.upload_wait)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Refused(400, "no file: send the document as the multipart field 'file'",
                      "请选择要上传的文件。")
    limit = _settings().max_upload_bytes
    given = {k: request.form.get(k, "").strip() for k in FIELDS}
    given = {k: v for k, v in given.items() if v}

    def read() -> ingest.Candidate:
        return ingest.read_candidate(upload.stream.read(limit + 1), limit,
                                     name=upload.filename, given=given)
    store = current_app.extensions["policykg"].store
    return ingest.add_upload(store, read, _settings().upload_wait)


def _retry_after(exc: BaseException) -> int:
    """Seconds to tell the client to wait, for a refusal that passes (0: none)."""
    if isinstance(exc, StoreBusy):          # still busy after upload_wait
        return BUSY_RETRY_AFTER
    return exc.retry_after if isinstance(exc, Refused) else 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:500] or type(exc).__name__


def _refusal(exc: BaseException) -> tuple[int, str, str]:
    """(status, message, Chinese message) of any reason an add did not happen."""
    if isinstance(exc, Refused):
        return exc.status, str(exc), exc.chinese
    if isinstance(exc, RequestEntityTooLarge):
        mb = _settings().max_upload_bytes / (1024 * 1024)
        return 413, f"the upload is larger than the limit ({mb:g} MB)", f"文件过大（上限 {mb:g} MB）。"
    status = ingest.http_status(exc)
    message = _one_line(exc)
    if status == 500:
        log.exception("add failed")
        return 500, "the document could not be added (server error); nothing changed", \
            "服务器内部错误，文件未添加，数据未改变。"
    if status in SERVER_SIDE:           # the server's state, not the request: said, logged
        log.warning("add refused: %s", message)
        if isinstance(exc, MemoryError):
            message = "the server ran out of memory reading the document; nothing changed"
        return status, message, SERVER_SIDE[status] + message
    return status, message, _chinese(exc, status) + message


# What the server lacks when it cannot add (pipeline.ingest.http_status), in Chinese.
SERVER_SIDE = {507: "磁盘空间不足，文件未添加，数据未改变：",
               503: "服务器暂时无法写入数据（数据目录只读或内存不足），文件未添加："}


def _chinese(exc: BaseException, status: int) -> str:
    if isinstance(exc, StoreBusy):
        return "另有构建或添加正在进行，请稍后再试："
    if isinstance(exc, ingest.DuplicateDocument):
        return "该文件已在库中："
    if isinstance(exc, UnreadableDocument):
        return {413: "文件过大：", 415: "不支持的文件类型：", 400: "找不到文件："}.get(
            status, "无法读取该文件：")
    return "参数有误："


def _result(result: ingest.AddResult) -> dict:
    meta = result.inferred.meta if result.inferred is not None else None
    return {"status": result.status, "doc": result.file,
            "title": meta.title if meta else None, "number": meta.number if meta else None,
            "level": meta.level if meta else None, "region": meta.region if meta else None,
            "date": meta.date if meta else None, "provisions": result.provisions,
            "generation": (result.generation or {}).get("generation"),
            "message": result.message or f"added as {result.file}"}


def _attempt(token: str | None) -> ingest.AddResult:
    """Check the token, add the upload, and log what happened (exceptions pass through)."""
    _check_token(token)
    upload = request.files.get("file")
    name = upload.filename if upload is not None else None
    try:
        result = _add()
    except Exception as exc:
        status = exc.status if isinstance(exc, Refused) else ingest.http_status(exc)
        _audit("upload", file=name, bytes=request.content_length, status=status,
               message=_one_line(exc)[:200])
        raise
    _audit("upload", file=name, bytes=request.content_length, status=201 if result.status in (
        "added", "restored") else 200, result=result.status, doc=result.file,
        generation=(result.generation or {}).get("generation"))
    return result


@bp.post("/api/documents")
def api_add():
    try:
        result = _attempt(_bearer())
    except Exception as exc:        # every refusal is one JSON line, never a traceback
        status, message, _ = _refusal(exc)
        name = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
                413: "Payload Too Large", 415: "Unsupported Media Type",
                422: "Unprocessable Entity", 429: "Too Many Requests",
                503: "Service Unavailable", 507: "Insufficient Storage"
                }.get(status, "Internal Server Error")
        resp = jsonify(error=name, message=message, status=status)
        if _retry_after(exc):
            resp.headers["Retry-After"] = str(_retry_after(exc))
        return resp, status
    return jsonify(_result(result)), 201 if result.status in ("added", "restored") else 200


def _form(status: int = 200, **context):
    return render_template("upload.html", open=bool(_settings().upload_token), levels=LEVELS,
                           statuses=STATUSES, values=context.pop("values", {}),
                           limit_mb=_settings().max_upload_bytes / (1024 * 1024),
                           **context), status


@bp.get("/upload")
def upload():
    return _form()


@bp.post("/upload")
def upload_post():
    values: dict = {}
    try:
        values = {k: request.form.get(k, "") for k in FIELDS}
        result = _attempt(request.form.get("token"))
    except Exception as exc:
        status, _, chinese = _refusal(exc)
        page, status = _form(status, error=chinese, values=values)
        headers = {"Retry-After": str(_retry_after(exc))} if _retry_after(exc) else {}
        return page, status, headers
    return _form(201 if result.status in ("added", "restored") else 200, done=_result(result))
