"""The on-disk Oxigraph store (ontology.diskstore): written by a build, updated by an add,
opened read-only by every reader; generations without one are still served."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from indexer import ingest
from indexer.build import build
from indexer.generation import Generation
from indexer.store import DataDir
from ontology import diskstore, graphstore
from ontology.sparql import Limits, SparqlRunner

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


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


def test_a_failed_store_write_leaves_the_current_generation(data, monkeypatch):
    before = data.require_current()

    def broken(*args):
        raise OSError("disk full")
    # Mid-write: a build's bulk load reading the parts; an add's delta after the checkpoint.
    monkeypatch.setattr(diskstore._Chain, "readinto", broken)
    monkeypatch.setattr(diskstore, "_quads", broken)
    name = Generation(before).documents[-1]["doc"]
    with pytest.raises(OSError):
        ingest.remove_document(data, name)
    with pytest.raises(OSError):
        build(data)
    assert data.require_current() == before and diskstore.present(before)
    assert not list(data.generations.glob(".tmp-*"))


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
    from web.app import State
    from web.settings import Settings
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
    from web.settings import Settings
    monkeypatch.setenv("POLICYKG_SPARQL_STORE", "oxigraf")
    with pytest.raises(ValueError, match="oxigraf"):
        Settings.from_env(data_dir=None)
