"""The on-disk Oxigraph store (ontology.diskstore): written by a build, updated by an add,
opened read-only by every reader; generations without one are still served."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.pipeline import ingest
from policykg.pipeline.build import build
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import DataDir
from policykg.ontology import diskstore, graphstore
from policykg.ontology.sparql import Limits, SparqlRunner

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ROOT = Path(__file__).resolve().parent.parent


def triples(store: ox.Store) -> set[str]:
    return {str(q) for q in store}


def loaded(paths) -> set[str]:
    """The triples of the N-Triples files, bulk-loaded into memory (the reference)."""
    return triples(graphstore.load_native(paths))


@pytest.fixture
def data(data_copy) -> DataDir:
    return data_copy


def test_a_build_writes_a_store_equal_to_graph_nt(built):
    _, gen = built
    assert diskstore.present(gen.folder) and gen.store_folder == gen.folder
    info = diskstore.read_info(gen.folder)
    assert info.mode == "bulk" and info.parts
    on_disk = triples(diskstore.open_read_only(gen.folder))
    assert on_disk == loaded(gen.folder / "graph.nt")
    # The generation's Graph reads the store: the same triples, nothing loaded.
    assert graphstore.native(gen.graph) is not None and len(gen.graph) == len(on_disk)


def test_the_oxigraph_memory_store_loads_the_files_instead(built):
    _, gen = built
    loaded_gen = Generation(gen.folder, store="oxigraph-memory")
    assert loaded_gen.store_folder is None
    store = graphstore.native(loaded_gen.graph)
    assert store is not None and triples(store) == loaded(gen.folder / "graph.nt")


def test_the_writer_closes_the_store(tmp_path):
    """RocksDB refuses a second read-write open in one process while the first is open."""
    part = tmp_path / "a.nt"
    part.write_text("<http://e/s> <http://e/p> \"1\" .\n", encoding="utf-8")
    diskstore.write(tmp_path, [part])
    store = ox.Store(str(diskstore.store_path(tmp_path)))
    assert len(store) == 1


def test_a_remove_and_an_add_apply_the_delta(data):
    name = Generation(data.require_current()).documents[-1]["doc"]
    ingest.remove_document(data, name)
    first = Generation(data.require_current())
    info = diskstore.read_info(first.folder)
    assert info.mode == "delta" and info.removed > 0
    assert triples(diskstore.open_read_only(first.folder)) == loaded(first.graph_files)
    # Put it back: the second delta starts from the first one's store (a checkpoint).
    bundled = Path(__file__).resolve().parent.parent / "corpus" / "documents" / name
    ingest.add_document(data, ingest.read_candidate(bundled, 20 * 1024 * 1024))
    second = Generation(data.require_current())
    info = diskstore.read_info(second.folder)
    assert info.mode == "delta" and info.added > 0
    assert name in {d["doc"] for d in second.documents}
    assert triples(diskstore.open_read_only(second.folder)) == loaded(second.graph_files)
    # The previous generation's store was only read: it still holds its own graph.
    assert triples(diskstore.open_read_only(first.folder)) == loaded(first.graph_files)


def _drop_store(folder: Path) -> None:
    """Make `folder` look built by older code, without an on-disk store."""
    shutil.rmtree(diskstore.store_path(folder))
    (folder / diskstore.MANIFEST).unlink()


def test_a_generation_without_a_store_still_serves_and_an_add_bulk_loads(data):
    folder = data.require_current()
    _drop_store(folder)
    gen = Generation(folder)
    assert gen.store_folder is None
    assert triples(graphstore.native(gen.graph)) == loaded(gen.graph_files)
    name = gen.documents[-1]["doc"]
    ingest.remove_document(data, name)
    after = data.require_current()
    assert diskstore.read_info(after).mode == "bulk"
    assert triples(diskstore.open_read_only(after)) == loaded(Generation(after).graph_files)


def test_a_store_without_its_manifest_is_never_opened(data):
    """The manifest is written after the store is closed: without it the store may be half
    written, and the graph files are read instead."""
    folder = data.require_current()
    (folder / diskstore.MANIFEST).unlink()
    gen = Generation(folder)
    assert gen.store_folder is None and len(gen.graph) > 0
    assert Generation(folder, store="memory").store_folder is None


def _child(code: str) -> list[str]:
    """A stand-in for the build's loading child: reads its request, then runs `code`."""
    return [sys.executable, "-c", "import sys, time; sys.stdin.buffer.read()\n" + code]


def test_a_failed_store_write_leaves_the_current_generation(data, monkeypatch):
    before = data.require_current()

    def broken(*args):
        raise OSError("disk full")
    # Mid-write: an add's delta after the checkpoint (in this process); a build's bulk load
    # in its child process, failing as main() reports it.
    monkeypatch.setattr(diskstore, "quads", broken)
    monkeypatch.setattr(diskstore, "child_command", lambda folder: _child(
        "print('OSError: disk full', file=sys.stderr); sys.exit(1)"))
    name = Generation(before).documents[-1]["doc"]
    with pytest.raises(OSError):
        ingest.remove_document(data, name)
    with pytest.raises(diskstore.StoreWriteFailed, match="graph store failed: OSError: disk full"):
        build(data)
    assert data.require_current() == before and diskstore.present(before)
    assert not list(data.generations.glob(".tmp-*"))


def test_the_loading_child_reports_a_failure_in_one_line(tmp_path, monkeypatch, capsys):
    part = tmp_path / "a.nt"
    part.write_text("<http://e/s> <http://e/p> \"1\" .\n", encoding="utf-8")

    def broken(*args):
        raise OSError("disk full")
    monkeypatch.setattr(diskstore.Chain, "readinto", broken)
    request = json.dumps({"parent": os.getppid(), "parts": [str(part)]}).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(request)))
    assert diskstore.main([str(tmp_path)]) == 1
    assert capsys.readouterr().err == "OSError: disk full\n"
    assert not diskstore.present(tmp_path)


def test_the_build_loads_the_store_in_a_child_and_reports_it(data, monkeypatch):
    started = []
    real_start = diskstore.start
    monkeypatch.setattr(diskstore, "start", lambda *a: started.append(real_start(*a)) or started[-1])
    steps = []
    build(data, step=steps.append)
    assert steps[-2:] == ["store", "done"] and steps.index("graph") < steps.index("store")
    assert len(started) == 1 and started[0].process.returncode == 0
    folder = data.require_current()
    assert diskstore.read_info(folder).mode == "bulk"
    assert triples(diskstore.open_read_only(folder)) == loaded(folder / "graph.nt")


def test_a_failed_build_stops_the_store_load_first(data, monkeypatch):
    """The build fails while its store is loading: the child is stopped before the
    generation's folder is removed (it would write into it meanwhile)."""
    import policykg.pipeline.build as b
    before = data.require_current()
    started = []
    real_start = diskstore.start
    monkeypatch.setattr(diskstore, "child_command", lambda folder: _child("time.sleep(60)"))
    monkeypatch.setattr(diskstore, "start", lambda *a: started.append(real_start(*a)) or started[-1])

    def boom(ctx):
        assert started and started[0].process.poll() is None     # still loading
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(b, "EXTRA_STAGES", [*b.EXTRA_STAGES, ("boom", boom)])
    with pytest.raises(RuntimeError, match="disk on fire"):
        build(data)
    assert started[0].process.returncode is not None                # killed and waited for
    assert data.require_current() == before
    assert not list(data.generations.glob(".tmp-*"))


def test_the_loading_child_dies_with_its_build(tmp_path):
    """kill -9 of the build: its loading child must not go on writing into the folder the
    next build removes (PR_SET_PDEATHSIG)."""
    # The real child: reads the request and arms the death signal, then sleeps.
    script = textwrap.dedent(f"""
        import os, sys
        from policykg.ontology import diskstore
        child = (
            "import json, sys, time\\n"
            "from ontology import diskstore\\n"
            "diskstore.die_with_parent(json.loads(sys.stdin.buffer.read())['parent'])\\n"
            "open(sys.argv[1] + '/armed', 'w').close()\\n"
            "time.sleep(60)")
        diskstore.child_command = lambda folder: [sys.executable, "-c", child, str(folder)]
        loading = diskstore.start({str(tmp_path)!r}, [])
        print(loading.process.pid, flush=True)
        sys.stdin.read()                 # until the test kills this process
        """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not (tmp_path / "armed").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "armed").exists() and _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_endpoint_answers_from_the_store_and_the_zygote_holds_none(built, tmp_path):
    _, gen = built
    expected = len(loaded(gen.folder / "graph.nt"))
    # No graph file to load: every answer comes from the store each child opens.
    runner = SparqlRunner(tmp_path / "absent.nt", Limits(timeout=30), store_folder=gen.folder)
    try:
        assert runner.wait_ready(60)
        for _ in range(3):
            res = runner.run(COUNT)
            assert int(res.rows[0][0]) == expected
        assert runner.run("ASK { ?s a org:Organization }").boolean is True
        # The zygote never opened RocksDB (whose threads would make fork unsafe).
        assert len(os.listdir(f"/proc/{runner._proc.pid}/task")) == 1
    finally:
        runner.close()


@pytest.mark.parametrize("sparql_store, opens_disk", [("oxigraph-memory", False),
                                                      ("oxigraph", True)])
def test_the_server_s_sparql_store_is_its_own_setting(built, monkeypatch, sparql_store,
                                                      opens_disk):
    """Workers keep the disk store; the endpoint's zygote opens it per query too, or loads
    the graph in memory when POLICYKG_SPARQL_STORE says so."""
    from policykg.web.app import State
    from policykg.web.settings import Settings
    data, gen = built
    monkeypatch.setenv("POLICYKG_SPARQL_STORE", sparql_store)
    settings = Settings.from_env(data_dir=data.root)
    assert settings.graph_store == "oxigraph" and settings.sparql_store == sparql_store
    state = State(settings)
    try:
        runner = state.sparql()
        assert runner.wait_ready(60)
        assert int(runner.run(COUNT).rows[0][0]) == len(loaded(gen.folder / "graph.nt"))
        # the zygote holds a counted graph only when it loaded one
        assert (runner.triples is None) is opens_disk
        assert state.generation().store_folder == gen.folder     # workers: on disk
    finally:
        state.close()


def test_a_misspelt_sparql_store_fails_at_start(monkeypatch):
    from policykg.web.settings import Settings
    monkeypatch.setenv("POLICYKG_SPARQL_STORE", "oxigraf")
    with pytest.raises(ValueError, match="oxigraf"):
        Settings.from_env(data_dir=None)


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_the_bulk_load_reads_whole_lines_in_blocks(tmp_path, size):
    """Blocks end at line ends (a line is one triple), whatever the block size and the
    part files' boundaries, and together they are the parts' bytes in order."""
    texts = ["<http://e/a> <http://e/p> \"1\" .\n<http://e/b> <http://e/p> \"2\" .\n",
             "", "<http://e/c> <http://e/p> \"três\" .\n", "<http://e/d> <http://e/p> <http://e/e> ."]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"{i}.nt")
        paths[-1].write_text(text, encoding="utf-8")
    blocks = list(diskstore.blocks(diskstore.Chain(paths), size))
    assert b"".join(blocks) == "".join(texts).encode("utf-8")
    assert all(b.endswith(b"\n") for b in blocks[:-1]) and all(blocks)
    diskstore.write(tmp_path, paths)
    assert len(diskstore.open_read_only(tmp_path)) == 4
