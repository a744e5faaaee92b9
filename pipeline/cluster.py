"""`policykg build --scheduler`: the per-document stages (read, clean, segment, extract) as
Dask tasks; the corpus-wide ones (dictionary, alignment, citation resolution, index,
catalog) stay in the building process (ontology.extract says why the result is the same).

`local[:N]` starts a `distributed.LocalCluster` of N worker processes (default 2) for the
build and stops it when the documents are read; `tcp://host:8786` uses a running
scheduler, whose workers must have this version of policykg installed and see the corpus
and the data folder at the same paths (they read the documents themselves).

Dask is the optional extra `policykg[dask]`: it is imported only when a build asks for a
scheduler (importing `distributed` costs ~0.5 s and its modules, which no other command and
no web worker needs).
"""
from __future__ import annotations

import logging
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

from policykg.corpus.loader import Source
from policykg.corpus.records import Document
from policykg.ontology.extract import DocumentExtract, extract_document

DEFAULT_WORKERS = 2
# Tasks per worker: enough to even out documents of different lengths, few enough that a
# task's overhead (~ms) stays small beside its documents' reading (~50 ms each).
TASKS_PER_WORKER = 8
MAX_BATCH = 64          # documents per task at most: a task's results are held whole
CONNECT_TIMEOUT = "20s"

_LOCAL = re.compile(r"local(?::(\d+))?")
_REMOTE = re.compile(r"(tcp|tls)://[^\s/]+:\d+")


class SchedulerError(ValueError):
    """The --scheduler value cannot be used: malformed, Dask not installed, unreachable."""


@dataclass(frozen=True)
class Scheduler:
    """Where the per-document tasks run: a scheduler's address, or a local cluster."""

    address: str | None = None      # tcp://host:port of a running scheduler; None: local
    workers: int = DEFAULT_WORKERS  # worker processes of the local cluster


def parse_scheduler(text: str) -> Scheduler | None:
    """`local`, `local:N` or `tcp://host:port` (tls:// too); empty: None, in-process."""
    text = (text or "").strip()
    if not text:
        return None
    local = _LOCAL.fullmatch(text)
    if local:
        n = int(local.group(1) or DEFAULT_WORKERS)
        if n < 1:
            raise SchedulerError(f"--scheduler {text}: at least one worker")
        return Scheduler(workers=n)
    if _REMOTE.fullmatch(text):
        return Scheduler(address=text)
    raise SchedulerError(f"--scheduler takes local, local:N or tcp://host:port, not {text!r}")


def extract_all(scheduler: Scheduler, items: Sequence[Source | Document]
                ) -> list[DocumentExtract]:
    """Each item read (a Source) and extracted on the scheduler's workers, in order."""
    if not items:
        return []
    with _client(scheduler) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = max(1, min(MAX_BATCH, math.ceil(len(items) / (workers * TASKS_PER_WORKER))))
        batches = [list(items[i:i + size]) for i in range(0, len(items), size)]
        futures = client.map(read_and_extract, batches, pure=False)
        out: list[DocumentExtract] = []
        for future in futures:          # in order; each released once taken
            out.extend(future.result())
            future.release()
        return out


def read_and_extract(items: Sequence[Source | Document]) -> list[DocumentExtract]:
    """One task: its documents read and segmented (unless given) and extracted."""
    return [extract_document(item.load() if isinstance(item, Source) else item)
            for item in items]


@contextmanager
def _client(scheduler: Scheduler) -> Iterator[object]:
    try:
        # the optional extra, imported only here (see the module docstring)
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SchedulerError("--scheduler needs Dask: pip install 'policykg[dask]'") from exc
    if scheduler.address is not None:
        try:
            client = Client(scheduler.address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"no Dask scheduler answers at {scheduler.address}: {exc}") \
                from exc
        with client:
            yield client
        return
    # worker processes of one thread each (the extraction holds the GIL); no dashboard
    # (it needs bokeh and a port); the cluster's own logs only when something fails
    with LocalCluster(n_workers=scheduler.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client
