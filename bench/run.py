"""Every benchmark in one run: build, tokenize floor, rjieba, search, add, server.

    python -m bench.run [--quick] [--sizes 5,200,2000] [--only build,search,...] [--profile]

--quick measures the bundled corpus (5) and 200 documents; the default also 2,000.
Each measurement runs in its own process (so memory is its own) and is bounded in
time; a stage that does not finish in time is reported as such, with how far it got.
Results go to bench/out/results.json (and a timestamped copy), the figures into
BENCHMARKS.md between its `bench:begin` / `bench:end` marks (the text around them is
kept), and the plot into bench/latency.png.

Timings are wall-clock and CPU seconds: the machine is shared, so CPU seconds (and the
load average, recorded beside every figure) are what to compare between runs.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote
from urllib.request import Request, urlopen

from bench.stats import run_wrk

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PNG = ROOT / "bench" / "latency.png"
MD = ROOT / "BENCHMARKS.md"
SEED = 7
BENCH_DEPS = ("psutil", "pyinstrument", "rjieba", "oxrdflib", "matplotlib")
MEASUREMENTS = ("build", "tokenize", "rjieba", "search", "add", "server")
GB = 1024 ** 3



def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _at(d: dict) -> dict:
    """The measurement, stamped with when it was taken."""
    d["at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return d


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- set-up ------------------------------------------------------------------------------------

def ensure_deps(install: bool) -> None:
    missing = [m for m in BENCH_DEPS if importlib.util.find_spec(m) is None]
    if missing and install:
        log(f"installing the bench extra ({', '.join(missing)} missing)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[bench]"],
                       check=True)
    if shutil.which("wrk") is None and install:
        log("installing wrk (Debian)")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env,
                       stdout=subprocess.DEVNULL)


def machine() -> dict:
    info: dict = {"python": platform.python_version(), "kernel": platform.release(),
                  "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                info["os"] = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    from importlib import metadata
    versions = {}
    for pkg in ("jieba", "rjieba", "whoosh-reloaded", "rdflib", "oxrdflib", "pyoxigraph",
                "flask", "gunicorn", "pyshacl"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        versions["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True
                                         ).stdout.split("\n")[0].split(" [")[0]
    except OSError:
        versions["wrk"] = None
    info["versions"] = versions
    try:   # read-only git queries: which code was measured
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                        capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip().splitlines()
        info["uncommitted_files"] = len(dirty)
    except OSError:
        pass
    return info


def corpus_folder(n: int, seed: int) -> Path:
    from policykg.corpus.manifest import bundled_dir
    if n <= 5:
        return bundled_dir()
    from bench.generate import generate
    folder = OUT / f"corpus-{n}"
    gen_src = (ROOT / "bench" / "generate.py").read_bytes()
    stamp = hashlib.sha256(gen_src + f"{seed}:{n}".encode()).hexdigest()
    stamp_file = OUT / f"corpus-{n}.stamp"
    if not (folder / "manifest.toml").is_file() or \
            not stamp_file.is_file() or stamp_file.read_text() != stamp:
        log(f"generating {n} documents into {folder}")
        generate(folder, n, seed)
        stamp_file.write_text(stamp)
    return folder


def corpus_texts(folder: Path) -> list[str]:
    from policykg.corpus.manifest import load_manifest
    return [(folder / m.file).read_text(encoding="utf-8") for m in load_manifest(folder)]


# ---- running a worker process ----------------------------------------------------------------------

def _hwm(pid: int, field: str = "VmHWM") -> int:
    """The high-water mark of a process's resident memory (VmHWM), or VmRSS, bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# A worker past this much resident memory is stopped (the machine is shared).
RSS_LIMIT = 8 * GB


def run_worker(args: list[str], timeout: float, name: str) -> dict:
    """Run `python -m <args>`; its last stdout line is JSON.  Bounded by `timeout`.

    Returns the JSON (or {"error": …}) plus: wall and CPU seconds of the process, its peak
    RSS (VmHWM, polled — also known when it had to be killed), its stderr's last lines.
    """
    OUT.mkdir(parents=True, exist_ok=True)
    err_path = OUT / f"{name}.log"
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with err_path.open("w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=err, text=True, start_new_session=True)
        peak = [0]
        stop = threading.Event()
        over = [False]

        def poll() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _hwm(proc.pid))
                if _hwm(proc.pid, "VmRSS") > RSS_LIMIT:
                    over[0] = True
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                stop.wait(0.5)
        th = threading.Thread(target=poll, daemon=True)
        th.start()
        timed_out = False
        try:
            stdout, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            peak[0] = max(peak[0], _hwm(proc.pid))
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, _ = proc.communicate()
        stop.set()
        th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out: dict = {}
    lines = [ln for ln in (stdout or "").splitlines() if ln.strip()]
    if lines:
        try:
            out = json.loads(lines[-1])
        except json.JSONDecodeError:
            out = {"error": f"unreadable output: {lines[-1][:300]}"}
    stderr_tail = err_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
    if over[0]:
        out["error"] = f"stopped at {RSS_LIMIT / GB:.0f} GB resident memory"
    elif timed_out:
        out["error"] = f"did not finish within {timeout:.0f} s"
    elif proc.returncode and not out.get("error"):
        out["error"] = f"exit code {proc.returncode}: " + " | ".join(stderr_tail[-3:])[:500]
    out["process"] = {"wall_s": round(time.perf_counter() - started, 2),
                      "cpu_s": round((after.ru_utime + after.ru_stime)
                                     - (before.ru_utime + before.ru_stime), 2),
                      "peak_rss": peak[0], "timed_out": timed_out, "log": str(err_path)}
    out["stderr_tail"] = stderr_tail[-12:]
    return out


# ---- measurements ------------------------------------------------------------------------------------

def measure_build(n: int, folder: Path, args) -> dict:
    data = OUT / f"data-{n}"
    shutil.rmtree(data, ignore_errors=True)
    cmd = ["bench.build_worker", str(folder), str(data)]
    if args.profile:
        cmd += ["--profile", str(OUT / "profiles" / f"build-{n}.html")]
    timeout = args.build_timeout.get(n, args.build_timeout.get(0, 3600))
    # The worker stops itself a little before the hard limit, so that it still reports
    # how far it got (and writes its profile).
    cmd += ["--time-limit", str(max(30.0, timeout - 60))]
    log(f"build {n}: started (limit {timeout:.0f} s)")
    res = run_worker(cmd, timeout, f"build-{n}")
    res["load"] = _load()
    if res.get("error"):
        # How far it got: the stage marks the worker printed as it went.
        marks = [ln for ln in res.get("stderr_tail", []) if ln.startswith("[build_worker]")]
        log_text = Path(res["process"]["log"]).read_text(encoding="utf-8", errors="replace")
        res["reached"] = re.findall(r"\[build_worker\] (\w+) ([\d.]+)s", log_text)
        res["marks"] = marks
    log(f"build {n}: {res.get('error') or 'ok'} in {res['process']['wall_s']} s")
    return res


def measure_tokenize(folder: Path, repeats: int) -> dict:
    from bench.tokenize_bench import floor
    return floor(corpus_texts(folder), repeats=repeats)


def measure_rjieba(folder: Path, dict_path: Path | None) -> dict:
    from bench.tokenize_bench import compare_rjieba
    from policykg.corpus.tokenize import Tokenizer
    terms = list(Tokenizer.from_file(dict_path).terms) if dict_path and dict_path.is_file() else []
    return compare_rjieba(corpus_texts(folder), terms)


def measure_search(n: int, args, engine: str = "tantivy") -> dict:
    data = OUT / f"data-{n}"
    cmd = ["bench.search_worker", str(data), "--rounds", str(args.rounds), "--engine", engine]
    if args.profile:
        cmd += ["--profile", str(OUT / "profiles" / f"search-{engine}-{n}.txt")]
    return run_worker(cmd, args.worker_timeout, f"search-{engine}-{n}")


def measure_add(n: int, folder: Path, args) -> dict:
    from bench.generate import extra_document
    name, text, fields = extra_document(n, SEED)
    extra_dir = OUT / f"extra-{n}"
    shutil.rmtree(extra_dir, ignore_errors=True)
    extra_dir.mkdir(parents=True)
    extra = extra_dir / name
    extra.write_text(text, encoding="utf-8")
    data = OUT / f"add-data-{n}"
    shutil.rmtree(data, ignore_errors=True)
    built = OUT / f"data-{n}"
    cmd = ["bench.add_worker", str(folder), str(data), str(extra)]
    if (built / "current").exists():
        # Into the build just measured: a hard-linked copy (generations are written once
        # and never modified, so the copy costs no disk and the original stays as it was).
        subprocess.run(["cp", "-al", str(built), str(data)], check=True)
        cmd.append("--prebuilt")
    for k in ("title", "level", "region", "issuer", "number", "date", "status"):
        if fields.get(k):
            cmd += [f"--{k}", str(fields[k])]
    timeout = args.build_timeout.get(n, args.build_timeout.get(0, 3600))
    res = run_worker(cmd, timeout, f"add-{n}")
    shutil.rmtree(data, ignore_errors=True)
    return res


def _wrk(port: int, name: str, paths: list[str], accept: str, args, concurrency: int) -> dict:
    res = run_wrk(OUT / f"wrk-{name}.lua", port, paths, accept, args.server_duration,
                  concurrency, min(args.wrk_threads, concurrency))
    if "error" in res:
        return res
    return {**res, "concurrency": concurrency, "paths": len(paths)}


def _get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urlopen(Request(url), timeout=timeout) as resp:
            return resp.status, resp.read()
    except Exception as exc:     # noqa: BLE001 — any failure means "not yet"
        return getattr(exc, "code", 0) or 0, b""


def _pss(pid: int) -> int:
    """Proportional set size: a page shared by k processes counts 1/k in each (bytes)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(pid: int) -> dict:
    """Memory of a process and its children: summed PSS (shared pages split, the honest
    total) and summed RSS (shared pages counted in every process)."""
    try:
        import psutil
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except Exception:   # noqa: BLE001
        return {}
    rss = pss = 0
    for x in procs:     # a forked query worker may be gone by now
        try:
            rss += x.memory_info().rss
            pss += _pss(x.pid)
        except Exception:   # noqa: BLE001
            pass
    return {"processes": len(procs), "pss": pss, "rss": rss}


def measure_server(n: int, args) -> dict:
    if shutil.which("wrk") is None:
        return {"error": "wrk is not installed"}
    from bench.search_worker import QUERY_MIX
    data = OUT / f"data-{n}"
    out: dict = {"load_before": _load()}
    # What to ask: the query mix, provision pages, the UI's SPARQL examples.
    searches = [f"/api/search?q={quote(q)}" for _, q in QUERY_MIX]
    with (data / "current" / "provisions.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line)["id"] for line in fh]
    rng = random.Random(5)
    provisions = [f"/provisions/{quote(pid)}" for pid in rng.sample(rows, min(200, len(rows)))]
    # The SPARQL page's examples (web.sparql_routes.Example: label, query, limit), asked
    # over HTTP as the page asks them: what a user of the endpoint gets.
    from policykg.web.sparql_routes import EXAMPLES
    sparql = [f"/sparql?query={quote(e.query)}" for e in EXAMPLES]
    with _server(data, n, args, out, {}) as pid:
        if pid is None:
            return out
        # One request of each first: the SPARQL worker forks on first use.
        out["warm_up"] = _warm(args.port, searches[:3] + provisions[:3] + sparql)
        for name, paths, accept in (("search", searches, "application/json"),
                                    ("provision", provisions, "text/html")):
            out[name] = _wrk_pass(n, name, paths, accept, args)
        # The endpoint admits `sparql_parallel + sparql_queue` queries per web process and
        # answers the next 429 at once (by design); wrk's percentiles would then mix those
        # sub-millisecond refusals with the answers.  So SPARQL traffic runs at a concurrency
        # the endpoint admits, and its latencies are those of answered queries.
        out["sparql"] = _wrk_pass(n, "sparql", sparql, "application/sparql-results+json",
                                  args, args.sparql_concurrency)
        out["server_rss"] = _tree_rss(pid)
    # The mix repeats 27 query strings, so after its first round every search above is a
    # hit of the workers' request cache.  The same mix again with the cache off
    # (POLICYKG_SEARCH_CACHE=0): every search compiled, matched and counted afresh.
    fresh: dict = {}
    with _server(data, n, args, fresh, {"POLICYKG_SEARCH_CACHE": "0"}) as pid:
        if pid is not None:
            _warm(args.port, searches[:3])
            out["search_fresh"] = _wrk_pass(n, "search_fresh", searches, "application/json", args)
        else:
            out["search_fresh"] = {"error": fresh["error"]}
    return out


def _wrk_pass(n: int, name: str, paths: list[str], accept: str, args,
              concurrency: int | None = None) -> dict:
    concurrency = concurrency or args.concurrency
    log(f"server {n}: wrk {name} ({concurrency} connections, {args.server_duration} s)")
    res = _wrk(args.port, f"{name}-{n}", paths, accept, args, concurrency)
    res["load"] = _load()
    return res


def _warm(port: int, paths: list[str]) -> dict:
    warm = {}
    for path in paths:
        t1 = time.perf_counter()
        code, _ = _get(f"http://127.0.0.1:{port}{path}", timeout=120)
        warm[path[:60]] = [code, round((time.perf_counter() - t1) * 1000, 1)]
    return warm


@contextlib.contextmanager
def _server(data: Path, n: int, args, out: dict, extra_env: dict):
    """`policykg serve` on `data` until ready (yields its pid, or None if it did not become
    ready: out["error"] says why; its time to ready in out["ready_s"]); stopped on leaving."""
    env = dict(os.environ, POLICYKG_DATA=str(data), **extra_env)
    suffix = "-fresh" if extra_env else ""
    with (OUT / f"server-{n}{suffix}.log").open("w") as log_fh:
        server = subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "--data", str(data), "serve",
                                   "--host", "127.0.0.1", "--port", str(args.port)], cwd=ROOT,
                                  stdout=log_fh, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
        try:
            t = time.perf_counter()
            ready = False
            while time.perf_counter() - t < args.worker_timeout:
                if server.poll() is not None:
                    break
                code, _ = _get(f"http://127.0.0.1:{args.port}/readyz", timeout=30)
                if code == 200:
                    ready = True
                    break
                time.sleep(1)
            out["ready_s"] = round(time.perf_counter() - t, 1)
            if not ready:
                out["error"] = "the server did not become ready" + (
                    f" (exit {server.returncode})" if server.poll() is not None else "")
            yield server.pid if ready else None
        finally:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=20)
            except Exception:   # noqa: BLE001
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


# ---- the run -------------------------------------------------------------------------------------

def parse_timeouts(text: str) -> dict[int, float]:
    """"2000:1200,3600" → {2000: 1200, 0: 3600} (0 = every other size)."""
    out: dict[int, float] = {}
    for part in text.split(","):
        if ":" in part:
            k, v = part.split(":")
            out[int(k)] = float(v)
        elif part:
            out[0] = float(part)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 and 200 documents only")
    ap.add_argument("--sizes", default=None, help="comma-separated corpus sizes")
    ap.add_argument("--only", default=",".join(MEASUREMENTS),
                    help=f"measurements to take (default all: {','.join(MEASUREMENTS)})")
    ap.add_argument("--rounds", type=int, default=None, help="latency rounds per query")
    ap.add_argument("--build-timeout", default="2000:1200,3600",
                    help="seconds per build, per size (default 2000:1200,3600)")
    ap.add_argument("--worker-timeout", type=float, default=1800)
    ap.add_argument("--server-duration", type=int, default=None)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--sparql-concurrency", type=int, default=2,
                    help="connections of the SPARQL traffic (default 2: within what one web "
                         "process admits, sparql_parallel + sparql_queue = 4, so none is "
                         "refused 429)")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=5077)
    ap.add_argument("--add-sizes", default=None,
                    help="sizes to measure `add` at (default: every size whose build finished)")
    ap.add_argument("--profile", action="store_true", help="pyinstrument profiles into bench/out/profiles")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--no-render", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else \
        ([5, 200] if args.quick else [5, 200, 2000])
    only = set(args.only.split(","))
    args.rounds = args.rounds or (5 if args.quick else 10)
    args.server_duration = args.server_duration or (10 if args.quick else 20)
    args.build_timeout = parse_timeouts(args.build_timeout)
    add_sizes = {int(s) for s in args.add_sizes.split(",")} if args.add_sizes else None

    ensure_deps(not args.no_install)
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                     "argv": sys.argv[1:], "seed": SEED, "load_start": _load(),
                     "sizes": {}}
    prev = OUT / "results.json"
    previous = json.loads(prev.read_text(encoding="utf-8")) if prev.is_file() else {}

    def save() -> None:
        (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                          encoding="utf-8")

    partial = only != set(MEASUREMENTS) or args.sizes is not None
    if partial:
        # Measuring again only some things: keep the other figures of the last run.
        results["sizes"] = {k: dict(v) for k, v in previous.get("sizes", {}).items()}
        results["partial_rerun"] = {"only": sorted(only), "sizes": sizes,
                                    "previous_started": previous.get("started")}
    for n in sizes:
        r: dict = results["sizes"].get(str(n), {}) if partial else {}
        results["sizes"][str(n)] = r
        folder = corpus_folder(n, SEED)
        texts = corpus_texts(folder)
        r["corpus"] = {"documents": len(texts), "bytes": sum(len(t.encode()) for t in texts),
                       "chars": sum(len(t) for t in texts), "folder": str(folder)}
        if "tokenize" in only:
            log(f"tokenize floor {n}")
            r["tokenize"] = _at(measure_tokenize(folder, repeats=3 if n <= 200 else 1))
        if "build" in only:
            r["build"] = _at(measure_build(n, folder, args))
            save()
        built = (OUT / f"data-{n}" / "current" / "meta.json").is_file()
        if "rjieba" in only:
            log(f"rjieba {n}")
            r["rjieba"] = _at(measure_rjieba(folder, OUT / f"data-{n}" / "current" / "dict.txt"
                                             if built else None))
        if built and "search" in only:
            # tantivy under "search", whoosh (the default engine) under "search_whoosh".
            log(f"search {n} tantivy")
            r["search"] = _at(measure_search(n, args, "tantivy"))
            save()
            # whoosh only when the build indexed for it (POLICYKG_INDEX_ENGINES=whoosh,tantivy)
            from policykg.indexer.engines import engines_of
            if "whoosh" in engines_of((OUT / f"data-{n}" / "current").resolve()):
                log(f"search {n} whoosh")
                r["search_whoosh"] = _at(measure_search(n, args, "whoosh"))
                save()
        if "add" in only:
            ok = not (r.get("build") or {}).get("error")
            if (add_sizes is not None and n in add_sizes) or (add_sizes is None and ok):
                log(f"add into {n}")
                r["add"] = _at(measure_add(n, folder, args))
            else:
                r["add"] = {"skipped": "the build of this size did not finish, so there is "
                                       "no build to add into"}
            save()
    if "server" in only:
        for n in sizes:
            if (OUT / f"data-{n}" / "current" / "meta.json").is_file():
                log(f"server {n}")
                results["sizes"][str(n)]["server"] = _at(measure_server(n, args))
                save()
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["load_end"] = _load()
    save()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    shutil.copyfile(OUT / "results.json", OUT / f"results-{stamp}.json")
    if not args.no_render:
        from bench.report import render
        render(results, MD, PNG)
        log(f"wrote {MD} and {PNG}")


if __name__ == "__main__":
    main()
