"""Serving replicas of one immutable generation: the session's build copied twice (`cp -a`),
one copy read-only, a `policykg serve` on each — the same answer from both to every page
and API call asked (search, a document, a department, the targets, a SPARQL SELECT, a
minted IRI), and neither copy changed by serving it.  README, "Deployment"."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from policykg.web.sparql_routes import EXAMPLES
from tests.webtools import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
QUERY = "技工教育"


def _mount_allowed() -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro / /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def _serve(data: Path, log: Path, read_only: bool) -> tuple[subprocess.Popen, str]:
    """`policykg serve` on `data`; read-only: its write bits taken away (chmod -R a-w) and,
    for root (who writes through permissions), a read-only bind mount where allowed."""
    port = free_port()
    cli = [sys.executable, "-m", "policykg.web.cli", "--data", str(data), "serve",
           "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
    env["POLICYKG_WORKERS"] = "1"
    if read_only:
        subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)
        if os.geteuid() == 0 and shutil.which("unshare") and _mount_allowed():
            cli = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$1" "$1" && shift && '
                   'exec "$@"', "sh", str(data), *cli]
    process = subprocess.Popen(cli, cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@dataclass(frozen=True)
class Replicas:
    bases: list[str]               # each server's http://127.0.0.1:port
    copies: list[Path]             # the data folder each serves


@pytest.fixture(scope="module")
def replicas(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    copies = [root / "node-a", root / "node-b"]
    for copy in copies:
        subprocess.run(["cp", "-a", str(built[0].root), str(copy)], check=True)
    served = [(c / "current").resolve() for c in copies]
    before = [_digest(g) for g in served]
    servers = []
    try:
        for copy, read_only in zip(copies, (False, True)):
            servers.append(_serve(copy, root / f"{copy.name}.log", read_only))
        yield Replicas([base for _, base in servers], copies)
    finally:
        for process, _ in servers:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        subprocess.run(["chmod", "-R", "u+w", str(copies[1])], check=True)
    assert [_digest(g) for g in served] == before          # serving wrote nothing


def _get(url: str, accept: str = "*/*", data: bytes | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _both(replicas, path: str, accept: str = "*/*", data: bytes | None = None) -> bytes:
    """The one answer both replicas give to `path` (200), compared byte for byte."""
    first, second = (_get(base + path, accept, data) for base in replicas.bases)
    assert first[0] == 200, (path, first[2][:300])
    assert first == second, path
    return first[2]


def _json(replicas, path: str, **kw) -> dict:
    return json.loads(_both(replicas, path, **kw))


def q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def test_both_serve_the_same_generation(replicas):
    ready = _json(replicas, "/readyz")
    assert ready["ready"] and ready["documents"] == 5


def test_search_pages_and_api(replicas):
    hits = _json(replicas, f"/api/search?q={q(QUERY)}")
    assert hits["total"] > 10 and hits["hits"]
    _json(replicas, f"/api/search?q={q(QUERY)}&level=provincial&sort=date&page=2")
    assert QUERY.encode() in _both(replicas, f"/search?q={q(QUERY)}")


def test_a_document(replicas):
    docs = _json(replicas, "/api/documents")["documents"]
    doc = docs[0]["doc"]
    assert _json(replicas, f"/api/documents/{q(doc)}")["document"]["title"] == docs[0]["title"]
    assert docs[0]["title"].encode() in _both(replicas, f"/documents/{q(doc)}")


def test_a_department(replicas):
    listed = _json(replicas, "/api/departments?size=200")["departments"]
    dept = next(d for d in listed if d["lead"])
    path = urllib.parse.quote(dept["id"])
    assert _json(replicas, f"/api/departments/{path}")["department"]["name"] == dept["name"]
    assert dept["name"].encode() in _both(replicas, f"/departments/{path}")


def test_targets_and_alignment(replicas):
    targets = _json(replicas, "/api/targets")
    assert targets["total"] > 10 and targets["indicators"]
    key = targets["indicators"][0]["key"]
    assert _json(replicas, f"/api/targets?indicator={q(key)}")
    assert targets["indicators"][0]["label"].encode() in _both(replicas, "/targets")
    _json(replicas, "/api/alignment")


def test_sparql_select_and_a_minted_iri(replicas):
    for example in EXAMPLES[:2]:
        answer = _json(replicas, f"/sparql?query={q(example.query)}",
                       accept="application/sparql-results+json")
        assert answer["results"]["bindings"], example.label
    posted = _both(replicas, "/sparql", accept="text/csv",
                   data=urllib.parse.urlencode({"query": EXAMPLES[0].query}).encode())
    assert posted.count(b"\n") > 1
    doc = _json(replicas, "/api/documents")["documents"][0]
    minted = "/id/" + doc["uri"].split("/id/", 1)[1]        # the graph store, asked
    assert b"dcterms:title" in _both(replicas, minted, accept="text/turtle")


def roll_out(generation: Path, data: Path, read_only: bool) -> None:
    """A new generation onto a web node, as README's Deployment says: its folder copied
    beside the served one, then `current` switched in one rename (the servers read the
    link on every request); a read-only node's write bits given back for the copy only."""
    subprocess.run(["chmod", "u+w", str(data), str(data / "generations")], check=True)
    subprocess.run(["cp", "-a", str(generation), str(data / "generations")], check=True)
    link = data / ".current-rollout"
    os.symlink(os.path.relpath(data / "generations" / generation.name, data), link)
    os.replace(link, data / "current")
    if read_only:
        subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)


def test_a_new_generation_rolled_out_to_both(replicas, built, tmp_path):
    """The build node makes a new generation (a document removed); both web nodes get a
    copy and switch to it, and answer from it alike — last in this module (it changes
    what is served)."""
    node = tmp_path / "build-node"
    subprocess.run(["cp", "-a", str(built[0].root), str(node)], check=True)
    gone = _json(replicas, "/api/documents")["documents"][-1]["doc"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
    done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(node),
                           "remove", gone], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    new = (node / "current").resolve()
    for copy, read_only in zip(replicas.copies, (False, True)):
        roll_out(new, copy, read_only)
    ready = _json(replicas, "/readyz")
    assert ready["generation"] == new.name and ready["documents"] == 4
    assert gone not in [d["doc"] for d in _json(replicas, "/api/documents")["documents"]]
    assert _json(replicas, f"/api/search?q={q(QUERY)}")["total"] > 0
