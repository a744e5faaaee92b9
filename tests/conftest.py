"""Shared fixtures: the fixture texts, and one build of the bundled corpus per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from policykg.corpus.records import DocumentMeta
from policykg.corpus.segment import segment_document

FIXTURES = Path(__file__).parent / "fixtures"


def segment_fixture(name: str, title: str = "", level: str | None = None):
    path = FIXTURES / "segment" / name
    return segment_document(path.read_text(encoding="utf-8"),
                            DocumentMeta(file=name, title=title, level=level))


@pytest.fixture(scope="session")
def bundled_docs():
    from policykg.corpus import load_corpus
    return load_corpus()


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The bundled corpus built once into a data folder: (DataDir, Generation)."""
    from policykg.pipeline.build import build
    from policykg.pipeline.generation import Generation
    from policykg.pipeline.datadir import DataDir
    store = DataDir(tmp_path_factory.mktemp("data"))
    build(store, engines=("whoosh", "tantivy"))    # both: the tests compare the engines
    return store, Generation(store.require_current())


@pytest.fixture
def data_copy(built, tmp_path):
    """A private copy of the session's built data folder (a test may add, remove, break)."""
    import shutil
    from policykg.pipeline.datadir import DataDir
    root = tmp_path / "data"
    shutil.copytree(built[0].root, root, symlinks=True)
    return DataDir(root)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright, one per test module."""
    from playwright.sync_api import sync_playwright
    from webtools import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run ./test.sh, which installs it")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page of a fresh context (downloads allowed); the test fails on any
    script error the page raised."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                              accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def app(built):
    """The app over the bundled build, one per test module (closed at its end)."""
    from policykg.web.app import create_app
    from policykg.web.settings import Settings
    store, _ = built
    application = create_app(Settings(data_dir=store.root))
    yield application
    application.extensions["policykg"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()
