"""The build, export and eval commands, and what a build leaves on disk."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policykg.pipeline.build import build
from policykg.pipeline.datadir import DataDir, StoreBusy
from policykg.web.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def run(data: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def test_build_writes_a_generation_and_switches_current(built):
    store, gen = built
    assert store.current() == gen.folder
    for name in ("documents.json", "provisions.jsonl", "dict.txt", "meta.json"):
        assert (gen.folder / name).is_file()
    assert gen.meta["documents"] == 5


def test_export_documents_fields(built):
    store, _ = built
    rows = [json.loads(line) for line in run(store.root, "export", "documents").output.splitlines()]
    assert {r["doc"] for r in rows} == {p.name for p in (ROOT / "corpus/documents").glob("*.txt")}
    for r in rows:
        assert set(r) >= {"doc", "uri", "title", "number", "issuer", "level", "region", "date",
                          "status"}
        assert r["level"] in ("national", "provincial", "municipal")


def test_export_provisions_fields_jsonl_and_csv(built):
    store, gen = built
    out = run(store.root, "export", "provisions").output.splitlines()
    rows = [json.loads(line) for line in out]
    assert len(rows) == len(gen.provisions)
    ids = {r["id"] for r in rows}
    for r in rows:
        assert set(r) >= {"id", "uri", "doc", "level", "kind", "number", "heading", "text",
                          "parent", "departments", "targets", "cites", "aligned"}
        assert r["parent"] is None or r["parent"] in ids
        assert r["kind"] in ("chapter", "section", "item", "subitem", "point", "box", "table",
                             "table_row", "annex", "paragraph")
        assert set(r["departments"]) == {"lead", "participants"}
    csv_out = run(store.root, "export", "provisions", "--format", "csv").output
    assert csv_out.splitlines()[0].startswith("id,uri,doc,level,kind,number,heading,text")


def test_ids_are_stable_across_rebuilds(built, tmp_path):
    _, gen = built
    other = DataDir(tmp_path)
    build(other)
    from policykg.pipeline.generation import Generation
    again = Generation(other.require_current())
    assert [p["id"] for p in again.provisions] == [p["id"] for p in gen.provisions]
    assert [p["uri"] for p in again.provisions] == [p["uri"] for p in gen.provisions]


def test_failed_build_leaves_the_previous_generation(built, tmp_path, monkeypatch):
    store = DataDir(tmp_path)
    build(store)
    before = store.current()
    import policykg.pipeline.build as b

    def boom(ctx):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(b, "EXTRA_STAGES", [*b.EXTRA_STAGES, ("boom", boom)])
    with pytest.raises(RuntimeError):
        build(store)
    assert store.current() == before
    assert not list(store.generations.glob(".tmp-*"))


def test_second_build_while_one_runs_is_refused_clearly(tmp_path):
    store = DataDir(tmp_path)
    with store.lock():
        with pytest.raises(StoreBusy, match="another build or add is running"):
            build(store)


def test_eval_prints_outline_score(built):
    store, _ = built
    eval_dir = ROOT.parent / "shared" / "eval"
    if not eval_dir.is_dir():
        pytest.skip("no shared/eval beside the checkout")
    out = run(store.root, "eval", "--eval-dir", str(eval_dir)).output
    assert "outline" in out


def test_eval_without_eval_data_says_so_quietly(built, tmp_path, monkeypatch):
    store, _ = built
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICYKG_EVAL", str(tmp_path / "nowhere"))
    import policykg.pipeline.evaluate as ev
    monkeypatch.setattr(ev, "find_eval_dir", lambda explicit=None: None)
    import policykg.web.cli as wc
    monkeypatch.setattr(wc, "find_eval_dir", lambda explicit=None: None)
    result = run(store.root, "eval")
    assert result.exit_code == 0 and "no evaluation data" in result.output


def test_commands_on_an_empty_data_folder_fail_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(tmp_path / "empty"),
                           "export", "documents"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: nothing is built")
    assert "Traceback" not in proc.stderr


def test_build_indexes_for_the_configured_engine_only(tmp_path, monkeypatch):
    """`policykg build` writes the index the server will search (tantivy unless told), and
    asking a generation for an engine it was not indexed for is one line, not a traceback."""
    from policykg.indexer.engines import engines_of, index_engines
    monkeypatch.delenv("POLICYKG_ENGINE", raising=False)
    monkeypatch.delenv("POLICYKG_INDEX_ENGINES", raising=False)
    data = tmp_path / "data"
    assert run(data, "build").exit_code == 0
    current = DataDir(data).require_current()
    assert engines_of(current) == index_engines(["tantivy"])
    if engines_of(current) != ("tantivy",):
        return                                   # no tantivy here: whoosh serves anyway
    proc = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(data), "search", "技师"],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, POLICYKG_ENGINE="whoosh"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "indexed for tantivy only" in proc.stderr and "policykg build" in proc.stderr
    hits = json.loads(run(data, "search", "技师", "--json").output)
    assert hits["total"] > 0
