"""Serving when things are not as they should be: a generation on read-only media, a disk
too full for the next build, a damaged catalog, a missing index — each said with its own
status and reason, never the generic 500, and the generation being served stays served."""
from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ingest_formats import PLAN
from test_add import state
from policykg.pipeline import ingest
from policykg.pipeline.datadir import DataDir, NoSpace
from policykg.web.app import create_app
from policykg.web.settings import Settings
from tests.test_serve import ROOT
from tests.test_generation_release import _multipart
from tests.test_slow_clients import search
from tests.webtools import free_port, wait_ready

TOKEN = "read-only-test-token-51aa"
MB = 1024 * 1024


def get(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _mount_allowed() -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro / /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def serve_read_only(src: Path, mount: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`policykg serve` over `src` as read-only media: a read-only bind mount in a mount
    namespace of its own when run as root (root writes through permissions), else the
    folder with its write permissions taken away."""
    port = free_port()
    cli = [sys.executable, "-m", "policykg.web.cli"]
    env = {**os.environ, "POLICYKG_WORKERS": "1", "POLICYKG_TOKEN": TOKEN}
    if os.geteuid() == 0:
        if shutil.which("unshare") is None or not _mount_allowed():
            pytest.skip("read-only media need a bind mount here (unshare -m, mount rights)")
        mount.mkdir()
        command = ["unshare", "-m", "sh", "-c",
                   'mount --bind -o ro "$1" "$2" && shift 2 && exec "$@"', "sh", str(src),
                   str(mount), *cli, "--data", str(mount), "serve", "--port", str(port)]
    else:
        subprocess.run(["chmod", "-R", "a-w", str(src)], check=True)
        command = [*cli, "--data", str(src), "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


def test_a_generation_on_read_only_media_is_served(data_copy, tmp_path):
    before = state(data_copy.root)
    process, base = serve_read_only(data_copy.root, tmp_path / "ro", tmp_path / "serve.log")
    try:
        status, body = get(base + "/readyz")
        assert status == 200, body
        assert search(int(base.rsplit(":", 1)[1]))[0]
        assert get(base + "/documents")[0] == 200
        query = urllib.parse.quote("ASK { ?s ?p ?o }")
        status, body = get(base + f"/sparql?query={query}")
        assert status == 200 and '"boolean": true' in body.replace('":true', '": true')
        # Writing is what it cannot do: said as such, not as a 500.
        body, ctype = _multipart("plan.txt", PLAN.encode("utf-8"))
        status, answer = get(base + "/api/documents", data=body, headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": ctype})
        assert status == 503 and ("Read-only" in answer or "Permission denied" in answer), answer
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        subprocess.run(["chmod", "-R", "u+w", str(data_copy.root)], check=True)
    assert state(data_copy.root) == before


def test_a_build_the_disk_cannot_hold_is_refused_up_front(data_copy):
    before = state(data_copy.root)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data",
                           str(data_copy.root), "build"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "POLICYKG_MIN_FREE": str(1 << 40)})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: not enough free space for a new generation in "), last
    assert "MB needed" in last and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60
    assert state(data_copy.root) == before          # the old generation, still served


def test_an_upload_the_disk_cannot_hold_is_a_507(data_copy):
    app = create_app(Settings(data_dir=data_copy.root, upload_token=TOKEN,
                              min_free_mb=1 << 40))
    before = state(data_copy.root)
    resp = app.test_client().post(
        "/api/documents", headers={"Authorization": f"Bearer {TOKEN}"},
        data={"file": (io.BytesIO(PLAN.encode()), "plan.txt")},
        content_type="multipart/form-data")
    assert resp.status_code == 507
    assert resp.get_json()["message"].startswith("not enough free space for a new generation")
    assert state(data_copy.root) == before


def test_old_generations_go_first_when_space_is_short(data_copy):
    root = data_copy.root
    current = data_copy.require_current()
    old = root / "generations" / "g-00000000T000000-000000"     # sorts first: the oldest
    shutil.copytree(current, old, copy_function=os.link)
    (old / "ballast.bin").write_bytes(os.urandom(256 * MB))
    free = shutil.disk_usage(root).free
    size = sum(p.stat().st_size for p in current.rglob("*") if p.is_file())
    # Short by 128 MB while the old generation is there; 128 MB to spare once it goes.
    short = DataDir(root, min_free=free - size + 128 * MB)
    candidate = ingest.read_candidate(PLAN.encode(), MB, name="plan.txt")
    assert ingest.add_document(short, candidate).status == "added"
    assert not old.exists()


def test_too_short_even_after_pruning_is_refused_and_changes_nothing(data_copy):
    before = state(data_copy.root)
    candidate = ingest.read_candidate(PLAN.encode(), MB, name="plan.txt")
    with pytest.raises(NoSpace, match="MB needed"):
        ingest.add_document(DataDir(data_copy.root, min_free=1 << 60), candidate)
    assert state(data_copy.root) == before
    assert ingest.http_status(NoSpace("x")) == 507


def _damage(path: Path) -> None:
    """Overwrite an SQLite file from its provisions table on: it still opens, says its
    schema and lists its documents (the tables before it)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        page = con.execute("PRAGMA page_size").fetchone()[0]
        first = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'provisions'"
                            ).fetchone()[0]
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek((first - 1) * page)
        fh.write(b"\xde\xad" * ((size - (first - 1) * page) // 2))


def test_a_damaged_catalog_fails_readyz_and_pages_say_why(data_copy):
    _damage(data_copy.require_current() / "catalog.sqlite")
    app = create_app(Settings(data_dir=data_copy.root))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "catalog" in ready.get_json()["reason"]
    pid = next(iter(client.get("/api/search?q=技师").get_json()["hits"]), {}).get("id", "x")
    answers = [client.get(url).status_code for url in
               ("/api/search?q=技师", "/documents", "/departments", f"/api/provisions/{pid}")]
    assert 500 not in answers and 503 in answers, answers
    page = client.get("/documents", headers={"Accept": "text/html"})
    assert page.status_code in (200, 503)
    app.extensions["policykg"].close()


def test_a_generation_without_its_index_names_the_problem(data_copy):
    gen = data_copy.require_current()
    shutil.rmtree(gen / "tindex")
    shutil.rmtree(gen / "index", ignore_errors=True)
    app = create_app(Settings(data_dir=data_copy.root))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "has no search index" in ready.get_json()["reason"]
    assert client.get("/api/search?q=技师").status_code == 503
    app.extensions["policykg"].close()
