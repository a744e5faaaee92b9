"""A running server lets go of the generations it no longer serves (web.app.State,
Generation.close): after adds have pruned them, no worker keeps a file of theirs open or
mapped, so their disk is freed while the server runs."""
from __future__ import annotations

import io
import os
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from ingest_formats import PLAN
from policykg.pipeline import ingest
from policykg.web.app import create_app
from policykg.web.settings import Settings
from tests.test_slow_clients import search, serve

TOKEN = "release-test-token-8c1d"


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n".encode())
    body.write(data)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def add(base: str, number: int) -> int:
    """Upload one more plan (its own 文号) over HTTP: the status."""
    body, ctype = _multipart(f"plan-{number}.txt", plan(number).encode("utf-8"))
    req = urllib.request.Request(base + "/api/documents", data=body, method="POST",
                                 headers={"Content-Type": ctype,
                                          "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.status


def use(base: str, port: int) -> None:
    """What makes a worker open every part of the generation: search, a page, SPARQL."""
    for _ in range(4):
        assert search(port)[0]
        with urllib.request.urlopen(base + "/documents", timeout=30) as resp:
            assert resp.status == 200
        query = urllib.parse.quote("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
        with urllib.request.urlopen(base + f"/sparql?query={query}", timeout=30) as resp:
            assert resp.status == 200


def descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(x) for x in children.read_text().split()] if children.exists() else []
    return found + [d for c in found for d in descendants(c)]


def deleted_files_held(pid: int, root: Path) -> set[str]:
    """Files under `root` that process `pid` holds open or mapped though they are deleted."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(root)) and target.endswith("(deleted)"):
            held.add(target)
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        if str(root) in line and line.endswith("(deleted)"):
            held.add(line.split(None, 5)[-1])
    return held


def plan(number: int) -> str:
    return PLAN.replace("江人社发〔2023〕15号", f"江人社发〔2023〕{100 + number}号")


def test_a_pruned_generation_is_closed_by_the_app_that_served_it(data_copy):
    root = data_copy.root.resolve()
    app = create_app(Settings(data_dir=root))
    client = app.test_client()
    try:
        for n in range(4):          # five generations: the first two are pruned
            assert client.get("/api/search?q=技师").status_code == 200
            assert client.get("/documents").status_code == 200
            candidate = ingest.read_candidate(plan(n).encode(), 1 << 20, name=f"p{n}.txt")
            assert ingest.add_document(data_copy, candidate).status == "added"
        assert client.get("/api/search?q=技师").status_code == 200
        assert len(list((root / "generations").glob("g-*"))) == 3
        assert deleted_files_held(os.getpid(), root) == set()
    finally:
        app.extensions["policykg"].close()


@pytest.mark.slow
def test_ten_adds_leave_no_pruned_generation_open(data_copy, tmp_path):
    root = data_copy.root.resolve()
    server = serve(root, tmp_path / "serve.log", POLICYKG_TOKEN=TOKEN)
    try:
        use(server.base, server.port)
        for n in range(10):
            assert add(server.base, n) == 201
            use(server.base, server.port)
        assert len(list((root / "generations").glob("g-*"))) == 3    # 8 pruned
        workers = descendants(server.process.pid)
        assert workers
        held = {pid: deleted_files_held(pid, root) for pid in workers}
    finally:
        server.stop()
    assert all(not files for files in held.values()), held
