"""Serving the app in production: gunicorn, several worker processes of threads.

Why gunicorn and processes: search and the pages are Python code, so one process
uses one core however many threads it has (the GIL).  A pre-forked worker per core is what
lets a 2-core machine answer twice the searches; threads inside each worker keep slow
requests (a SPARQL query, an upload) from blocking quick ones.  Each worker loads the
current generation itself, before it takes its first request (so no request pays for the
load), and follows a rebuild on its own (web.app.State).

Why not gunicorn's own gthread worker: it gives a connection to a thread before the
request has arrived, so slow clients hold every thread.  Each worker here is
web.front.BufferedWorker: waitress's asynchronous channels read every request whole, with
header and body deadlines, and only then does a thread serve it.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from typing import Callable

from gunicorn.app.base import BaseApplication

from policykg.pipeline.generation import Generation
from policykg.web import alignment_views, department_views, document_views, target_views
from policykg.web.front import BufferedWorker, FrontLimits
from policykg.web.settings import Settings


def default_workers() -> int:
    """One worker per core, at most 4: past that the memory (a graph per worker) costs
    more than the throughput gained on the machines this runs on."""
    return max(1, min(4, os.cpu_count() or 1))


class _Server(BaseApplication):
    def __init__(self, make_app: Callable[[], object], options: dict):
        self._make_app = make_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._make_app()


def warm(gen: Generation) -> None:
    """Make what the list pages read once per generation — the document lists, the
    departments, the indicators' counts, the alignment's roots (~2 s of CPU at 2,000
    documents) — before a worker serves: otherwise its first requests each make them at
    once (lru_cache does not wait for a computation under way)."""
    document_views.documents(gen)
    document_views.documents(gen, sort="date")
    department_views.department_haystacks(gen)
    target_views.indicator_summaries(gen)
    alignment_views.alignment_roots(gen)


def _warm(worker) -> None:
    """Load the generation (index, graph, facts) in a new worker before it serves, and
    the summaries its list pages read (warm): made by the first requests instead,
    eight at once each made them (seconds under load at 2,000 documents)."""
    state = worker.wsgi.extensions.get("policykg")
    try:
        gen = state.generation()
        gen.check_ready()
        warm(gen)
    except Exception as exc:    # nothing built, or broken: /readyz says why, per request
        worker.log.warning("not ready: %s", exc)


def _close(worker) -> None:
    state = worker.wsgi.extensions.get("policykg")
    if state is not None:
        state.close()


def configure_logging(request_log: str = "") -> None:
    """Give the app's loggers somewhere to write before gunicorn forks its workers (they
    inherit the handlers): the request log, one JSON line per request as web.app writes
    it, to `request_log` (a file, reopened when logrotate moves it) or stderr; and the
    app's errors, with their tracebacks, to stderr.  Without this, Python drops every
    INFO line for want of a handler."""
    handler: logging.Handler = (logging.handlers.WatchedFileHandler(request_log, encoding="utf-8")
                                if request_log else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests = logging.getLogger("policykg.requests")
    requests.handlers[:] = [handler]
    requests.setLevel(logging.INFO)
    requests.propagate = False
    errors = logging.StreamHandler(sys.stderr)
    errors.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    web = logging.getLogger("policykg.web")
    web.handlers[:] = [errors]
    web.setLevel(logging.WARNING)
    web.propagate = False


# Room for the multipart framing and the form fields around an upload of the largest size.
FORM_OVERHEAD = 1024 * 1024


def front_limits(settings: Settings) -> FrontLimits:
    return FrontLimits(threads=settings.threads, header_timeout=settings.header_timeout,
                       body_timeout=settings.body_timeout, idle_timeout=settings.idle_timeout,
                       max_connections=settings.max_connections,
                       max_body_bytes=settings.max_upload_bytes + FORM_OVERHEAD)


def worker_class(limits: FrontLimits) -> type[BufferedWorker]:
    """gunicorn takes a worker class, not an instance: one carrying these limits."""
    return type("PolicykgWorker", (BufferedWorker,), {"limits": limits})


def serve(settings: Settings, make_app: Callable[[], object],
          on_ready: Callable[[], None] = lambda: None) -> None:
    """Run until stopped (SIGINT/SIGTERM): `settings.workers` processes on host:port."""
    settings.check_capacity()
    configure_logging(settings.request_log)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": worker_class(front_limits(settings)),
        # A build or an upload runs inside a request: give it time before the arbiter
        # decides the worker hangs (the worker's loop beats while threads serve, so this
        # only catches a truly stuck worker).
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": None,          # web.app logs every request as one JSON line
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "policykg",
        "post_worker_init": _warm,
        "worker_exit": lambda arbiter, worker: _close(worker),
        "when_ready": lambda arbiter: on_ready(),
    }
    _Server(make_app, options).run()
