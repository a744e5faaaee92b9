"""Helpers for the web tests: a real server on a free loopback port, and a crawl of the
pages a person can reach from the home page."""
from __future__ import annotations

import csv
import html as html_mod
import io
import random
import re
import shutil
import socket
import threading
import time
import urllib.request
from collections import deque
from pathlib import Path

import docx
import openpyxl
from waitress.server import create_server


# Below Linux's ephemeral range (32768-60999): a port the kernel hands out for port 0 is
# also handed to outgoing connections, which can take it before the server binds it.
_PORTS = range(20000, 32000)


def free_port() -> int:
    """A port free now, for a server in another process (`policykg serve`, virtuoso-t),
    chosen outside the ephemeral range so no outgoing connection takes it meanwhile."""
    rng = random.Random()
    for _ in range(200):
        port = rng.choice(_PORTS)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_ready(base: str, server, seconds: float = 60) -> None:
    """Until `policykg serve` (the subprocess `server`) answers /readyz with 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited before it was ready"
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=10) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("not ready in time")


class LiveServer:
    """The app under waitress in a background thread, as `policykg serve` runs it."""

    def __init__(self, app):
        # port 0: the kernel's free port, bound at once (no window for a parallel test
        # worker to take it between choosing and binding, as free_port has)
        self.server = create_server(app, host="127.0.0.1", port=0, threads=8)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.server.close()


# ---- crawling the pages -------------------------------------------------------------------------

def page_links(html: str) -> set[str]:
    """The site-relative links of a page, static files left out."""
    return {html_mod.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', html)
            if not h.startswith("/static/")}


def route_shape(url: str) -> str:
    """/provisions/abc__ch_1 → /provisions; /search?q=… → /search: one name per kind of page."""
    return "/" + url.split("?")[0].split("/")[1]


def crawl(client, start: str = "/") -> dict[str, str]:
    """Every HTML page reachable by links from `start` (the API and downloads left out):
    url → body.  A search page's own links to other searches are not followed (the facet
    and paging variants of every query are many and show the same kinds of thing)."""
    seen, queue, pages = {start}, deque([start]), {}
    while queue:
        url = queue.popleft()
        resp = client.get(url, headers={"Accept": "text/html"})
        assert resp.status_code == 200, (url, resp.status_code)
        if resp.mimetype != "text/html":
            continue
        body = resp.get_data(as_text=True)
        pages[url] = body
        for link in page_links(body):
            if link in seen or link.startswith(("/api/", "/id/")) \
                    or (link.startswith("/search?") and url.startswith("/search?")):
                continue
            seen.add(link)
            queue.append(link)
    return pages


# Debian's chromium, driven by Playwright (its own browser download is never used), with
# the flags a root process needs for headless chromium on a machine with no network.
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


# An .xlsx export opens with its title and a note; the header is its third row.
XLSX_HEADER_ROW = 3


def read_table(data: bytes, fmt: str) -> tuple[list, list[list]]:
    """(header, rows) of a downloaded table, opened the way an official's program opens it."""
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")          # the BOM: Excel reads UTF-8
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return rows[0], rows[1:]
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=XLSX_HEADER_ROW)]
        return rows[0], rows[1:]
    [table] = docx.Document(io.BytesIO(data)).tables
    rows = [[c.text for c in r.cells] for r in table.rows]
    return rows[0], rows[1:]
