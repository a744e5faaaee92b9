"""Small helpers the workers share: percentiles, memory, load, timing."""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Callable, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), nearest-rank on the sorted values."""
    if not values:
        return None
    xs = sorted(values)
    k = max(0, min(len(xs) - 1, math.ceil(q / 100 * len(xs)) - 1))
    return xs[k]


def summary(ms: Sequence[float]) -> dict:
    """p50 / p95 / p99 / max / mean / n of a list of milliseconds."""
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": round(percentile(ms, 50), 2), "p95": round(percentile(ms, 95), 2),
            "p99": round(percentile(ms, 99), 2), "max": round(max(ms), 2),
            "mean": round(sum(ms) / len(ms), 2)}


def rss() -> int:
    """Resident memory of this process, bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """(milliseconds, result) of one call."""
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000, result


# wrk's Lua hooks: each request takes the next address of `paths` (cycled) with the
# `Accept` header; at the end one line "WRKJSON {...}" carries the counts and percentiles.
WRK_LUA = """
paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Accept"] = "%(accept)s"})
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "p50": %%d, "p90": %%d, ' ..
    '"p95": %%d, "p99": %%d, "max": %%d, "mean": %%f}\\n', summary.requests, summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
"""


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(script: Path, port: int, paths: list[str], accept: str, seconds: int,
            concurrency: int, threads: int = 2) -> dict:
    """One wrk run over `paths` on 127.0.0.1:`port` (the Lua script written to `script`):
    requests, rate, p50/p90/p95/p99/max in ms and the error counts, or {"error": …}."""
    script.write_text(WRK_LUA % {"paths": ", ".join(map(_lua_string, paths)),
                                 "accept": accept}, encoding="utf-8")
    cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s",
           "-s", str(script), f"http://127.0.0.1:{port}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"WRKJSON (\{.*\})", proc.stdout)
    if not m:
        return {"error": (proc.stdout + proc.stderr)[-500:]}
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    out = {"requests": r["requests"], "rps": round(r["requests"] / secs, 1),
           **{f"{k}_ms": round(r[k] / 1000, 1) for k in ("p50", "p90", "p95", "p99", "max")},
           "errors": r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"],
           "non_2xx": r["status"], "timeouts": r["timeout"], "seconds": round(secs, 1)}
    return out
