"""`policykg serve` writes the request log the README promises: one JSON line per request
(request id, route, status, duration, client), to stderr or to POLICYKG_REQUEST_LOG."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.test_serve import ROOT
from tests.webtools import free_port, wait_ready


def _serve(store_root: Path, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "policykg.web.cli", "--data", str(store_root), "serve", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "POLICYKG_WORKERS": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, server)
    return server, base


def _get(url: str, request_id: str) -> int:
    req = urllib.request.Request(url, headers={"X-Request-Id": request_id})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGTERM)
    _, err = server.communicate(timeout=60)
    return err


def _lines(text: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return {r["request_id"]: r for r in rows}


def _check(rows: dict[str, dict]) -> None:
    ok, missing = rows["log-test-search"], rows["log-test-404"]
    assert ok["route"] == "/api/search" and ok["status"] == 200 and ok["method"] == "GET"
    assert isinstance(ok["ms"], (int, float)) and ok["ms"] >= 0
    assert ok["client"] == "127.0.0.1"
    assert missing["status"] == 404 and missing["path"] == "/api/provisions/nope"


def test_serve_logs_one_json_line_per_request_to_stderr(built):
    store, _ = built
    server, base = _serve(store.root)
    try:
        assert _get(base + "/api/search?q=%E6%8A%80%E5%B8%88", "log-test-search") == 200
        assert _get(base + "/api/provisions/nope", "log-test-404") == 404
    finally:
        err = _stop(server)
    _check(_lines(err))


def test_serve_logs_to_the_configured_file(built, tmp_path):
    store, _ = built
    log = tmp_path / "requests.log"
    server, base = _serve(store.root, POLICYKG_REQUEST_LOG=str(log))
    try:
        _get(base + "/api/search?q=%E6%8A%80%E5%B8%88", "log-test-search")
        _get(base + "/api/provisions/nope", "log-test-404")
    finally:
        err = _stop(server)
    _check(_lines(log.read_text(encoding="utf-8")))
    assert "log-test-search" not in err
