"""Load at a fixed rate against `policykg serve`: a search / provision / SPARQL mix.

Slow (run with ./test.sh -m slow).  It asserts no errors, never a timing; the figures
(requests/s held, p50/p99, errors) are written to bench/out/load.json for BENCHMARKS.md.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from webtools import free_port

ROOT = Path(__file__).resolve().parent.parent
RATE = float(os.environ.get("LOAD_RATE", "60"))         # requests per second offered
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
QUERIES = ["学制技师", "校企双制 东莞", "level:municipal 就业率", '"学籍注册"', "技师学院",
           "dept:省教育厅", "kind:box 智慧校园", "产教融合 -粤菜", "year:2025 在校生", "双导师"]
SPARQL = ["SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
          "SELECT ?d ?name WHERE { ?d a <http://www.w3.org/ns/org#Organization> ; "
          "<http://www.w3.org/2004/02/skos/core#prefLabel> ?name } LIMIT 50"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


@pytest.mark.slow
@pytest.mark.timeout(1800)      # beyond the suite's per-test timeout: a kill loop, a load run
def test_fixed_rate_mix_has_no_errors(built):
    store, gen = built
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "--data", str(store.root),
                               "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        pids = [p["id"] for p in gen.provisions]
        rng = random.Random(8)

        def request_for(i: int) -> tuple[str, str, dict]:
            r = rng.random()
            if r < 0.5:
                return "search", f"/api/search?q={urllib.parse.quote(rng.choice(QUERIES))}", {}
            if r < 0.8:
                return "provision", "/provisions/" + urllib.parse.quote(rng.choice(pids)), {}
            return "sparql", "/sparql?query=" + urllib.parse.quote(rng.choice(SPARQL)), {
                "Accept": "application/sparql-results+json"}

        results: dict[str, list[float]] = {"search": [], "provision": [], "sparql": []}
        errors: list[str] = []
        lock = threading.Lock()

        def fire(kind: str, path: str, headers: dict) -> None:
            t0 = time.perf_counter()
            try:
                req = urllib.request.Request(base + path, headers=headers)
                with urllib.request.urlopen(req, timeout=30) as resp:
                    resp.read()
                    ok = resp.status == 200
            except Exception as exc:        # noqa: BLE001 - every failure is an error here
                ok = False
                with lock:
                    errors.append(f"{path}: {exc}")
            with lock:
                if ok:
                    results[kind].append(time.perf_counter() - t0)

        start = time.perf_counter()
        n = int(RATE * SECONDS)
        with ThreadPoolExecutor(max_workers=64) as pool:
            for i in range(n):
                # Open loop: requests leave on schedule whatever the server's latency.
                delay = start + i / RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(fire, *request_for(i))
        elapsed = time.perf_counter() - start
        done = sum(len(v) for v in results.values())
        report = {
            "offered_rps": RATE, "seconds": round(elapsed, 1), "requests": n,
            "completed_ok": done, "held_rps": round(done / elapsed, 1), "errors": len(errors),
            "by_kind": {k: {"n": len(v), "p50_ms": round(pct(v, .5) * 1000, 1),
                            "p99_ms": round(pct(v, .99) * 1000, 1)} for k, v in results.items()},
            "all": {"p50_ms": round(pct(sum(results.values(), []), .5) * 1000, 1),
                    "p99_ms": round(pct(sum(results.values(), []), .99) * 1000, 1)},
            "documents": gen.meta["documents"], "provisions": gen.meta["provisions"],
            "cpus": os.cpu_count(), "load_avg": os.getloadavg()[0],
        }
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "load.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
        print(json.dumps(report, ensure_ascii=False))
        assert not errors, errors[:5]
        assert done == n
    finally:
        server.terminate()
        server.wait(30)
