"""The README's screenshots: the bundled corpus built into a scratch data folder, the app
served in-process on a loopback port, and Debian's chromium (driven by Playwright, as the
browser tests drive it) photographing three pages an official uses, cropped to what each
shows, into docs/:

  docs/coverage.png    东莞's plan: what it takes up of 广东's 十四五 plan, and what not
  docs/department.png  东莞市人社局: its tasks, counts and the 分工台账 download links
  docs/targets.png     one indicator across levels: the 对比表 links, the table, the chart

Run from the repository root with the project's venv and its test extras (waitress,
playwright; ./test.sh installs them and chromium with fonts-noto-cjk):

    .venv/bin/python scripts/screenshots.py            # → docs/*.png
    .venv/bin/python scripts/screenshots.py --data /tmp/x-data --out /tmp/shots

A data folder that already holds a build is used as it is (no rebuild).
"""
from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, sync_playwright
from waitress.server import create_server

from policykg.pipeline.build import build
from policykg.pipeline.datadir import DataDir
from policykg.web.app import create_app
from policykg.web.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1280                   # the README shows them at the page's width
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags a root process needs for headless chromium on a machine with no network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEPARTMENT = "东莞市人力资源和社会保障局"
INDICATOR = "高级工班"          # the indicator list's link holding these words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="a data folder (built if it holds no build)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="where the PNGs go")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykg-shots-") as scratch:
        data = DataDir(args.data or Path(scratch))
        if data.current() is None:
            print("building the bundled corpus into", data.root)
            build(data)
        args.out.mkdir(parents=True, exist_ok=True)
        app = create_app(Settings(data_dir=data.root))
        try:
            with serving(app) as url:
                for path in take(url, args.out):
                    print(f"{path}  {path.stat().st_size // 1024} KB")
        finally:
            app.extensions["policykg"].close()


class serving:
    """The app under waitress in a thread on a free loopback port: `with serving(app) as url`."""

    def __init__(self, app) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.server = create_server(app, host="127.0.0.1", port=port, threads=4)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.run, daemon=True).start()
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return self.url
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.server.close()


def take(url: str, out: Path) -> list[Path]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        ctx = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="zh-CN",
                                  device_scale_factor=1)
        page = ctx.new_page()
        try:
            return [coverage(page, url, out / "coverage.png"),
                    department(page, url, out / "department.png"),
                    targets(page, url, out / "targets.png")]
        finally:
            browser.close()


def crop(page: Page, path: Path, top_selector: str, height: int,
         bottom_selector: str | None = None) -> Path:
    """The page's full width from a little above `top_selector`, `height` px tall (or to
    the bottom of `bottom_selector`, if that is shorter)."""
    top = _page_y(page, top_selector) - 12
    if bottom_selector:
        box = page.locator(bottom_selector).first.bounding_box()
        height = min(height, int(_page_y(page, bottom_selector) + box["height"] + 16 - top))
    page.screenshot(path=str(path), full_page=True,
                    clip={"x": 0, "y": max(top, 0), "width": WIDTH, "height": height})
    return path


def _page_y(page: Page, selector: str) -> float:
    """Where an element starts on the page (a bounding box is relative to the scrolled
    viewport; a full-page clip is relative to the page)."""
    return page.locator(selector).first.evaluate(
        "el => el.getBoundingClientRect().top + window.scrollY")


def coverage(page: Page, url: str, path: Path) -> Path:
    """The document page of 东莞's plan, scrolled to 落实上级规划情况, the block for 广东's
    plan open with its taken-up list expanded."""
    docs = page.request.get(url + "/api/documents?size=100").json()["documents"]
    doc = next(d for d in docs if d.get("region") == "东莞市" and d.get("level") == "municipal")
    view = page.request.get(url + f"/api/documents/{doc['key']}").json()
    plan = next(c for c in view["coverage"] if c["higher_level"] == "provincial")
    page.goto(url + f"/documents/{doc['key']}?plan={plan['higher_key']}")
    block = page.locator(f"details.coverage[data-higher='{plan['higher_key']}']")
    if block.get_attribute("open") is None:
        block.locator("summary").first.click()
    block.locator("details.taken-up > summary").click()
    page.mouse.move(0, 0)              # no hover colour on a link
    return crop(page, path, "h2#coverage", 1000,      # to the end of the first chapter's list
                bottom_selector="details.coverage[open] details.taken-up ul")


def department(page: Page, url: str, path: Path) -> Path:
    """东莞市人社局's page: its line up, its tasks and the 分工台账 download links."""
    found = page.request.get(url + "/api/departments?size=100&q=" + quote(DEPARTMENT)).json()
    did = next(d["id"] for d in found["departments"] if d["name"] == DEPARTMENT)
    page.goto(url + "/departments/" + quote(did, safe=""))
    page.wait_for_selector("#tasks li")
    return crop(page, path, "main h1", 1000, bottom_selector="#tasks")


def targets(page: Page, url: str, path: Path) -> Path:
    """One indicator across levels: comparators kept, the lower target below the higher
    one flagged, the chart drawn."""
    page.goto(url + "/targets")
    page.click(f"#indicators a:has-text('{INDICATOR}')")
    page.wait_for_selector(".chart[data-rendered=true]")
    page.wait_for_timeout(800)         # the chart's entry animation
    return crop(page, path, "main h1", 900, bottom_selector="section.indicator")


if __name__ == "__main__":
    main()
