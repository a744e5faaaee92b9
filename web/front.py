"""The gunicorn worker that reads every request whole before a thread serves it.

gunicorn's own gthread worker hands a connection to a thread as soon as it is accepted,
and that thread then reads the request with no deadline: 16 half-sent requests stop a
2-worker server.  Its authors' advice is a buffering front.  This worker is that front,
inside each pre-forked process: waitress's asynchronous channels (one select/poll loop)
read the request line, headers and body — a large body into a temporary file — and only
a complete request is queued for the thread pool, so a slow client costs a socket, never
a thread.  gunicorn's arbiter still forks, watches and restarts the workers and owns the
listening socket; waitress only serves on it.

waitress closes idle connections (`channel_timeout`) but a client that sends one byte now
and then is never idle: the server's periodic maintenance pass here also closes a
connection whose headers took longer than `header_timeout`, or whose body took longer than
`body_timeout` after them.
"""
from __future__ import annotations

import os
import re
import resource
import time
from dataclasses import dataclass
from typing import ClassVar

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

# What every answer of ours carries (web.app adds them to the app's); waitress's own
# error answers (a malformed request line, a body over the limit) get them here.
SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


@dataclass(frozen=True)
class FrontLimits:
    """How long and how much a client may take to send one request."""

    threads: int = 8
    header_timeout: float = 10.0      # request line and headers, from their first byte
    body_timeout: float = 120.0       # the body, from the end of the headers
    idle_timeout: float = 15.0        # a connection with nothing on it, kept alive or mid-request
    max_connections: int = 1000       # open connections per worker process
    max_header_bytes: int = 65536
    max_body_bytes: int = 21 * 1024 * 1024


class _ErrorTask(ErrorTask):
    def execute(self) -> None:
        self.response_headers.extend(SECURITY_HEADERS)
        super().execute()


_NON_ASCII = re.compile(rb"[\x80-\xff]")


class _Parser(HTTPRequestParser):
    """waitress's parser, taking a request target sent as raw UTF-8 (curl sends
    `/search?q=技师` as it is typed; gunicorn took it) by percent-encoding its non-ASCII
    bytes, as a browser would have; waitress alone answers such a request 400 Bad URI."""

    def parse_header(self, header_plus: bytes) -> None:
        line, sep, rest = header_plus.partition(b"\n")
        if not line.isascii():
            line = _NON_ASCII.sub(lambda m: b"%%%02X" % m.group(0)[0], line)
        super().parse_header(line + sep + rest)


class _Channel(HTTPChannel):
    """A connection that remembers when its unfinished request began."""

    parser_class = _Parser
    error_task_class = _ErrorTask
    started: float | None = None        # first byte of the request being read
    headers_done: float | None = None   # when its headers were complete

    def received(self, data: bytes) -> bool:
        now = time.monotonic()
        if self.request is None:
            self.started, self.headers_done = now, None
        result = super().received(data)
        request = self.request
        if request is None:
            self.started = self.headers_done = None
        elif request.headers_finished and self.headers_done is None:
            self.headers_done = now
        return result

    def overdue(self, now: float, limits: FrontLimits) -> bool:
        if self.request is None or self.started is None or self.requests:
            return False                # nothing half-read, or a thread is answering
        if self.headers_done is None:
            return now - self.started > limits.header_timeout
        return now - self.headers_done > limits.body_timeout


class _Server(TcpWSGIServer):
    channel_class = _Channel
    limits: FrontLimits = FrontLimits()

    def maintenance(self, now: float) -> None:
        super().maintenance(now)        # idle connections
        clock = time.monotonic()
        for channel in list(self.active_channels.values()):
            if isinstance(channel, _Channel) and channel.overdue(clock, self.limits):
                channel.will_close = True   # closed by the loop's next write pass


class BufferedWorker(Worker):
    """A gunicorn worker: waitress's channels read requests, its thread pool serves them.

    `limits` is set on a subclass by web.server (gunicorn takes a worker class, not an
    instance)."""

    limits: ClassVar[FrontLimits] = FrontLimits()

    def _adjustments(self) -> Adjustments:
        lim = self.limits
        return Adjustments(
            threads=lim.threads, channel_timeout=max(1, int(lim.idle_timeout)),
            cleanup_interval=1, connection_limit=lim.max_connections,
            max_request_header_size=lim.max_header_bytes,
            max_request_body_size=lim.max_body_bytes,
            asyncore_use_poll=True,       # select() stops at file descriptor 1024
            backlog=self.cfg.backlog, ident="policykg", expose_tracebacks=False)

    def run(self) -> None:
        _raise_open_files(self.limits.max_connections + 256)
        adj = self._adjustments()
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        socket_map: dict = {}
        servers = []
        for listener in self.sockets:
            sock = getattr(listener, "sock", listener)
            server = _Server(self.wsgi, socket_map, _sock=sock, dispatcher=dispatcher, adj=adj,
                             bind_socket=False,
                             sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
            server.limits = self.limits
            servers.append(server)
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():       # the arbiter is gone: stop serving
                break
            wasyncore.loop(timeout=1.0, map=socket_map, use_poll=True, count=1)
            self._drain_wakeups()
        self._stop(servers, dispatcher, socket_map)

    def _drain_wakeups(self) -> None:
        """Empty the pipe gunicorn's signal handlers write to (signal.set_wakeup_fd)."""
        try:
            while os.read(self.PIPE[0], 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _stop(self, servers, dispatcher, socket_map) -> None:
        """Stop accepting; let the requests already read finish and their answers go out,
        up to gunicorn's graceful timeout."""
        for server in servers:
            server.accepting = False
            server.del_channel()
            server.socket.close()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline and _busy(socket_map):
            self.notify()
            wasyncore.loop(timeout=0.2, map=socket_map, use_poll=True, count=1)
        dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(socket_map)


def _busy(socket_map: dict) -> bool:
    return any(isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len)
               for ch in socket_map.values())


def _raise_open_files(wanted: int) -> None:
    """Each connection is a file descriptor; lift the soft limit toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
