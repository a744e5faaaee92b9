"""`policykg serve` as a user runs it: gunicorn with worker processes, on a real port."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.webtools import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, json.loads(resp.read().decode("utf-8"))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_serve_runs_workers_answers_and_stops_cleanly(built):
    store, gen = built
    port = free_port()
    env = {**os.environ, "POLICYKG_WORKERS": "2"}
    server = subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "--data", str(store.root),
                               "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        # Two worker processes under the arbiter (a SPARQL runner may add grandchildren).
        assert len(_children(server.pid)) == 2
        seen = set()
        for _ in range(20):    # every answer is whole, whichever worker gives it
            status, body = _get(base + "/api/search?q=%E6%8A%80%E5%B8%88")
            assert status == 200 and body["total"] > 0
            seen.add(body["total"])
        assert len(seen) == 1
        # A query typed into curl arrives as raw UTF-8, not percent-encoded: the same answer.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall("GET /api/search?q=技师 HTTP/1.0\r\nHost: x\r\n\r\n".encode("utf-8"))
            raw = b"".join(iter(lambda: sock.recv(65536), b""))
        head, _, payload = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200") and json.loads(payload)["total"] in seen
        status, body = _get(base + "/readyz")
        assert body["generation"] == gen.name and body["documents"] == gen.meta["documents"]
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "2 workers" in out
    assert "Traceback" not in err
