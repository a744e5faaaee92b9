"""`policykg add` / `remove`: the corpus changes completely or not at all.

Every refusal is checked for its one-line message, its exit code and an unchanged data
folder (every path, symlink target and file hash compared before and after).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from policykg.corpus.sources import load_sources
from policykg.pipeline import ingest
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir, StoreBusy
from ingest_formats import PLAN, PLAN_OUTLINE, to_docx, to_pdf
from test_reader import BAD
from policykg.web.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 20 * 1024 * 1024


@pytest.fixture
def store(data_copy) -> DataDir:
    return data_copy


def state(root: Path) -> dict[str, str]:
    """Every path under the data folder with its content hash (or link target)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def cli(monkeypatch, capsys, store: DataDir, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in-process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["policykg", "--data", str(store.root), *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def served(store: DataDir) -> Generation:
    return Generation(store.require_current())


def outline_of(gen: Generation, file: str) -> dict:
    provs = [p for p in gen.provisions if p["doc"] == file]
    body = [p for p in provs if not p["annex"]]
    return {"chapters": [p["heading"] for p in body if p["kind"] == "chapter"],
            "sections": sum(p["kind"] == "section" for p in body),
            "items": sum(p["kind"] == "item" for p in body),
            "annexes": sum(p["kind"] == "annex" for p in provs),
            "table_rows": sum(p["kind"] == "table_row" for p in provs)}


# ---- the normal path --------------------------------------------------------------------------

def test_add_readd_duplicate_and_remove(store, tmp_path, monkeypatch, capsys):
    docx = tmp_path / "江门方案.docx"
    docx.write_bytes(to_docx())
    code, out, _ = cli(monkeypatch, capsys, store, "add", str(docx))
    assert code == 0, out
    entry = load_sources(store.sources).entries[0]
    assert entry.file.startswith("005_") and entry.file.endswith(".docx")
    assert entry.file == f"005_{hashlib.sha256(docx.read_bytes()).hexdigest()[:16]}.docx"
    assert f"added 江门方案.docx as {entry.file}" in out and "江人社发〔2023〕15号" in out
    gen = served(store)
    row = gen.document(entry.file)
    assert (row["number"], row["issuer"], row["level"], row["region"], row["date"]) == (
        "江人社发〔2023〕15号", "江门市人力资源和社会保障局", "municipal", "江门市", "2023-03-08")
    assert outline_of(gen, entry.file) == PLAN_OUTLINE
    assert (gen.folder / "sources.json").read_bytes() == (store.sources / "manifest.json").read_bytes()
    ids_before = {p["id"] for p in gen.provisions}

    # The same bytes again: nothing to do, nothing touched.
    before = state(store.root)
    code, out, _ = cli(monkeypatch, capsys, store, "add", str(docx))
    assert code == 0 and f"unchanged: 江门方案.docx: already added as {entry.file}" in out
    assert state(store.root) == before

    # The same document in another format: refused, nothing touched.
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(to_pdf())
    code, _, err = cli(monkeypatch, capsys, store, "add", str(pdf))
    assert code == 1
    assert error_line(err) == (f"error: plan.pdf: the same document (江人社发〔2023〕15号) is already "
                               f"in the corpus as {entry.file}; `policykg remove {entry.file}` "
                               "first to replace it")
    assert state(store.root) == before

    code, out, _ = cli(monkeypatch, capsys, store, "remove", "江人社发〔2023〕15号")
    assert code == 0 and f"removed document {entry.file}" in out
    assert load_sources(store.sources).entries == ()
    assert sorted(p.name for p in store.sources.rglob("*") if p.is_file()) == ["manifest.json"]
    gen = served(store)
    assert gen.document(entry.file) is None and len(gen.documents) == 5
    assert {p["id"] for p in gen.provisions} < ids_before   # the others' ids stay


def test_remove_a_bundled_document_and_put_it_back(store, monkeypatch, capsys):
    file = "004_fc4ac27914a17046.txt"
    code, out, _ = cli(monkeypatch, capsys, store, "remove", file)
    assert code == 0 and "removed bundled document" in out
    assert served(store).document(file) is None
    assert load_sources(store.sources).excluded == (file,)
    code, out, _ = cli(monkeypatch, capsys, store, "add", "--dry-run",
                       str(ROOT / "corpus" / "documents" / file))
    assert code == 0 and f"would restore the bundled {file}" in out
    code, out, _ = cli(monkeypatch, capsys, store, "add",
                       str(ROOT / "corpus" / "documents" / file))
    assert code == 0 and f"restored the bundled {file}" in out
    assert served(store).document(file)["number"] == "人社部发〔2021〕86号"
    # Once it is back, the bundled text is simply already there.
    code, out, _ = cli(monkeypatch, capsys, store, "add", str(ROOT / "corpus" / "documents" / file))
    assert "already in the bundled corpus" in out


def test_dry_run_changes_nothing(store, tmp_path, monkeypatch, capsys):
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    before = state(store.root)
    code, out, _ = cli(monkeypatch, capsys, store, "add", "--dry-run", "--level", "county",
                       str(path))
    assert code == 0 and out.startswith("would add plan.md as 005_")
    assert "level   county   (flag)" in out
    nameless = tmp_path / "公文"                 # a Word file without its extension
    nameless.write_bytes(to_docx())
    code, out, _ = cli(monkeypatch, capsys, store, "add", "--dry-run", str(nameless))
    assert code == 0 and ".docx (docx; " in out.splitlines()[0]
    assert state(store.root) == before


# ---- bad input: one line, exit code 1, nothing changed -------------------------------------------------

@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_changes_nothing(case, store, tmp_path, monkeypatch, capsys):
    make, name, _, message = BAD[case]
    path = tmp_path / name
    path.write_bytes(make())
    if case == "too_large":
        monkeypatch.setenv("POLICYKG_MAX_UPLOAD", "20000")
    before = state(store.root)
    code, _, err = cli(monkeypatch, capsys, store, "add", str(path))
    assert code == 1
    assert error_line(err).startswith(f"error: {message}")
    assert state(store.root) == before


@pytest.mark.parametrize("args,message", [
    (["nowhere.txt"], "nowhere.txt: no such file"),
    (["."], ": not a regular file"),
    (["--date", "明天", "plan.txt"], "--date: not a date: '明天'"),
    (["--number", "15号", "plan.txt"], "not a document number (文号): '15号'"),
])
def test_bad_arguments_change_nothing(args, message, store, tmp_path, monkeypatch, capsys):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = state(store.root)
    code, _, err = cli(monkeypatch, capsys, store, "add", *args)
    assert code == 1 and message in error_line(err)
    assert state(store.root) == before


def test_unknown_document_to_remove(store, monkeypatch, capsys):
    before = state(store.root)
    code, _, err = cli(monkeypatch, capsys, store, "remove", "999_nothing.pdf")
    assert code == 1 and "no document '999_nothing.pdf' in the corpus" in error_line(err)
    assert state(store.root) == before


def test_console_script_prints_one_line(store, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(store.root), "add",
                           str(tmp_path / "missing.docx")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == f"error: {tmp_path / 'missing.docx'}: no such file"
    assert "Traceback" not in proc.stderr


# ---- concurrency and crashes ------------------------------------------------------------------------

def test_add_while_the_store_is_busy_is_refused(store, tmp_path, monkeypatch, capsys):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    before = state(store.root)
    with store.lock():
        code, _, err = cli(monkeypatch, capsys, store, "add", str(path))
    assert code == 1 and "another build or add is running" in error_line(err)
    assert state(store.root) == before


def test_two_adds_at_once(store, tmp_path, monkeypatch):
    """The first add holds the lock while it updates: a second is refused, a third waits."""
    entered, release = threading.Event(), threading.Event()
    real_update = ingest.update

    def paused_update(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(60)
        return real_update(*args, **kwargs)

    monkeypatch.setattr(ingest, "update", paused_update)
    first = ingest.read_candidate(to_docx(), LIMIT, name="plan.docx")
    other_plan = PLAN.replace("江人社发〔2023〕15号", "江人社发〔2023〕16号").replace("江门", "开平")
    second = ingest.read_candidate(other_plan.encode("gbk"), LIMIT, name="kaiping.txt",
                                   given={"level": "county"})
    results: dict[str, object] = {}
    a = threading.Thread(target=lambda: results.update(a=ingest.add_document(store, first)))
    a.start()
    assert entered.wait(60)
    with pytest.raises(StoreBusy):
        ingest.add_document(store, second)
    c = threading.Thread(target=lambda: results.update(
        c=ingest.add_document(store, second, wait=True)))
    c.start()
    release.set()
    a.join(120)
    c.join(120)
    assert results["a"].status == results["c"].status == "added"
    entries = load_sources(store.sources).entries
    assert [e.file[:4] for e in entries] == ["005_", "006_"]
    assert entries[1].encoding == "gbk" and entries[1].given == {"level": "county"}
    gen = served(store)
    assert len(gen.documents) == 7
    assert gen.document(entries[1].file)["level"] == "county"
    assert gen.document(entries[1].file)["region"] == "开平市"


@pytest.mark.parametrize("path", ["incremental", "full"])
def test_a_failed_build_leaves_everything_as_it_was(path, store, tmp_path, monkeypatch, capsys):
    from policykg.pipeline import update as update_mod

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if path == "full":          # a generation without incremental state is built whole
        monkeypatch.setattr(ingest, "usable", lambda folder: False)
        monkeypatch.setattr(ingest, "write_generation", broken)
    else:                       # fails half way, after some of the new files are written
        monkeypatch.setattr(update_mod, "update_search_index", broken)
    path = tmp_path / "plan.html"
    path.write_text(PLAN, encoding="utf-8")
    before = state(store.root)
    code, _, err = cli(monkeypatch, capsys, store, "add", str(path))
    assert code != 0 and "No space left on device" in err
    assert state(store.root) == before


def test_crash_after_the_switch_is_recovered(store, tmp_path, monkeypatch):
    """Killed between the generation switch and the manifest write: the generation wins."""
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    candidate = ingest.read_candidate(PLAN.encode("utf-8"), LIMIT, name="plan.txt")
    monkeypatch.setattr(ingest, "commit_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest.add_document(store, candidate)
    monkeypatch.undo()
    assert load_sources(store.sources).entries == ()           # not committed
    assert len(served(store).documents) == 6                         # but switched
    (store.sources / ".tmp-dead-manifest.json").write_text("{}")       # debris of a crash
    (store.sources / "text" / "099_0000000000000000.txt").write_text("x")
    again = ingest.add_document(store, candidate)
    assert again.status == "unchanged"
    entries = load_sources(store.sources).entries
    assert len(entries) == 1
    assert sorted(p.name for p in store.sources.rglob("*") if p.is_file()) == sorted(
        ["manifest.json", entries[0].file, Path(entries[0].file).stem + ".txt"])
    assert json.loads((served(store).folder / "sources.json").read_text())["documents"][0][
        "file"] == entries[0].file
    # A plain rebuild keeps the added document.
    from policykg.pipeline.build import build
    build(store)
    assert served(store).document(entries[0].file)["number"] == "江人社发〔2023〕15号"


def test_http_status_for_refusals():
    from policykg.corpus.reader import UnreadableDocument
    assert ingest.http_status(UnreadableDocument("a", "file too large", "too_large")) == 413
    assert ingest.http_status(UnreadableDocument("a", "x", "unsupported")) == 415
    assert ingest.http_status(UnreadableDocument("a", "x", "zip_bomb")) == 422
    assert ingest.http_status(ingest.DuplicateDocument("dup")) == 409
    assert ingest.http_status(StoreBusy("busy")) == 409
    assert ingest.http_status(ingest.UnknownDocument("no")) == 404
    assert ingest.http_status(ValueError("--level must be one of")) == 400
    assert ingest.http_status(RuntimeError("bug")) == 500
