"""What `policykg serve` records of writes and attempts at them: each upload and each
refused token as a JSON line in the request log, wrong tokens limited per client, and a
client's request id kept only when it is a short plain token."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from ingest_formats import PLAN
from tests.test_generation_release import _multipart
from tests.test_slow_clients import serve

TOKEN = "audit-test-token-77b2"


def post(base: str, token: str, request_id: str) -> tuple[int, dict]:
    body, ctype = _multipart("plan.txt", PLAN.encode("utf-8"))
    req = urllib.request.Request(base + "/api/documents", data=body, method="POST", headers={
        "Content-Type": ctype, "Authorization": f"Bearer {token}", "X-Request-Id": request_id})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def get(url: str, request_id: str) -> str:
    req = urllib.request.Request(url, headers={"X-Request-Id": request_id})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.headers["X-Request-Id"]


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")]


@pytest.fixture
def audited(data_copy, tmp_path):
    log = tmp_path / "requests.log"
    server = serve(data_copy.root, tmp_path / "serve.log", POLICYKG_WORKERS="1",
                   POLICYKG_TOKEN=TOKEN, POLICYKG_TOKEN_FAILURES="3",
                   POLICYKG_REQUEST_LOG=str(log))
    yield server, log
    server.stop()


def test_uploads_and_refused_tokens_are_logged_and_guessing_is_limited(audited):
    server, log = audited
    assert post(server.base, TOKEN, "audit-good")[0] == 201
    for n in range(3):
        assert post(server.base, "guess", f"audit-guess-{n}")[0] == 403
    status, headers = post(server.base, TOKEN, "audit-limited")    # right token, too late
    assert status == 429 and int(headers["Retry-After"]) >= 1
    time.sleep(0.5)                     # the log is written as each request ends
    rows = lines(log)
    upload = [r for r in rows if r.get("event") == "upload"]
    assert len(upload) == 1 and upload[0]["request_id"] == "audit-good"
    assert upload[0]["status"] == 201 and upload[0]["file"] == "plan.txt"
    assert upload[0]["doc"] and upload[0]["generation"] and upload[0]["client"] == "127.0.0.1"
    refused = [r for r in rows if r.get("event") == "token_refused"]
    assert [r["request_id"] for r in refused] == [f"audit-guess-{n}" for n in range(3)]
    assert [r for r in rows if r.get("event") == "token_rate_limited"]
    requests = {r["request_id"]: r for r in rows if "event" not in r}
    assert requests["audit-limited"]["status"] == 429
    assert requests["audit-good"]["route"] == "/api/documents"
    assert all({"ms", "client", "status", "route"} <= set(r) for r in requests.values())


def test_a_client_request_id_is_kept_only_if_it_is_a_short_plain_token(audited):
    server, log = audited
    assert get(server.base + "/healthz", "client-id_1.2:3") == "client-id_1.2:3"
    for bad in ("x" * 65, "<script>alert(1)</script>", "a b", "编号"):
        given = get(server.base + "/healthz", bad.encode("utf-8").decode("latin-1"))
        assert given != bad and len(given) == 16 and int(given, 16) >= 0
