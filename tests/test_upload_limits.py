"""What one upload may cost before anything is built: a .docx is budgeted by its parts and
their total unpacked size before any part is read, a text by its length and its longest
provision; and uploads arriving together take turns under the data folder's lock."""
from __future__ import annotations

import io
import threading
import time
import zipfile

import pytest

from policykg.corpus.sources import load_sources
from policykg.pipeline.ingest import MAX_PROVISION_CHARS, MAX_TEXT_CHARS
from ingest_formats import PLAN, to_docx
from test_add import state
from test_upload import AUTH, make_app, one_line, store, upload   # noqa: F401 (fixture)

RELS = "word/_rels/document.xml.rels"


def with_linked_parts(docx: bytes, count: int, size: int) -> bytes:
    """The .docx with `count` more parts of `size` bytes each, every one named by a
    relationship of the main document (python-docx loads each such part)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == RELS:
                links = "".join(
                    f'<Relationship Id="rIdX{i}" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/customXml" Target="../customXml/'
                    f'part{i}.xml"/>' for i in range(count))
                data = data.replace(b"</Relationships>", links.encode() + b"</Relationships>")
            dst.writestr(item, data)
        filler = b"<a>" + b"x" * (size - 7) + b"</a>"
        for i in range(count):
            dst.writestr(f"customXml/part{i}.xml", filler)
    return out.getvalue()


def test_a_docx_of_900_linked_1_mb_parts_is_refused_before_any_is_read(store):
    bomb = with_linked_parts(to_docx(), 900, 1024 * 1024)
    assert len(bomb) < 5 * 1024 * 1024          # small as uploaded: 900 MB once unpacked
    client = make_app(store).test_client()
    before = state(store.root)
    started = time.monotonic()
    resp = upload(client, bomb, "plan.docx", headers=AUTH)
    assert resp.status_code == 422
    assert "its parts would unpack to" in one_line(resp)
    assert time.monotonic() - started < 10
    assert state(store.root) == before


def test_a_docx_of_too_many_parts_is_refused(store):
    crowd = with_linked_parts(to_docx(), 1001, 64)
    resp = upload(make_app(store).test_client(), crowd, "plan.docx", headers=AUTH)
    assert resp.status_code == 422 and "parts in its ZIP" in one_line(resp)


def test_a_docx_with_a_few_hundred_small_parts_is_still_read(store):
    busy = with_linked_parts(to_docx(), 300, 4096)
    resp = upload(make_app(store).test_client(), busy, "plan.docx", headers=AUTH)
    assert resp.status_code == 201, resp.get_json()


def test_a_text_longer_than_a_document_is_refused_before_a_build(store):
    text = PLAN + "技工教育高质量发展。" * (MAX_TEXT_CHARS // 10 + 1)
    client = make_app(store).test_client()
    before = state(store.root)
    resp = upload(client, text.encode("utf-8"), "long.txt", headers=AUTH)
    assert resp.status_code == 422 and one_line(resp).startswith("long.txt: text too long")
    assert state(store.root) == before


def test_one_provision_too_long_for_the_graph_store_is_refused(store):
    line = "技工院校" * (MAX_PROVISION_CHARS // 4 + 10)       # one unbroken line
    text = PLAN.replace("（二）工作目标\n", "（二）工作目标\n" + line + "\n")
    client = make_app(store).test_client()
    before = state(store.root)
    resp = upload(client, text.encode("utf-8"), "line.txt", headers=AUTH)
    assert resp.status_code == 422 and "one provision is" in one_line(resp)
    assert state(store.root) == before


def hold_lock(store, seconds: float) -> threading.Thread:
    """Another thread holds the data folder for `seconds`, as a build would."""
    held = threading.Event()

    def build_for_a_while() -> None:
        with store.lock():
            held.set()
            time.sleep(seconds)
    builder = threading.Thread(target=build_for_a_while)
    builder.start()
    assert held.wait(10)
    return builder


def test_an_upload_waits_for_a_build_already_running(store):
    client = make_app(store).test_client()
    builder = hold_lock(store, 1.5)
    started = time.monotonic()
    resp = upload(client, PLAN.encode(), "plan.txt", headers=AUTH)
    builder.join()
    assert resp.status_code == 201, resp.get_json()
    assert time.monotonic() - started >= 1.0          # it waited its turn
    assert len(load_sources(store.sources).entries) == 1


def test_an_upload_still_waiting_after_upload_wait_is_told_to_come_back(store):
    client = make_app(store, upload_wait=0.5).test_client()
    builder = hold_lock(store, 2)
    started = time.monotonic()
    resp = upload(client, PLAN.encode(), "plan.txt", headers=AUTH)
    builder.join()
    assert time.monotonic() - started >= 0.5
    assert resp.status_code == 409 and resp.headers["Retry-After"] == "30"
    assert one_line(resp).startswith("another build or add is running")
