"""Where the served graph lives, from the settings: in each generation's folder (the
Oxigraph store, by default) or in a Virtuoso server (`graph_store = virtuoso`), and what
the commands and the app need for it.

With Virtuoso:
- the data folder seals each new generation by loading its graph into the server before
  the generation is switched in, and drops a generation's graph when it prunes the
  generation (pipeline.datadir hooks; ontology.virtuoso_load);
- a generation's graph and the SPARQL endpoint ask the server over HTTP
  (ontology.virtuoso), with the generation's graph as the default graph;
- the commands that read or write the graph (`build`, `add`, `remove`, `serve`, `sparql`,
  `export graph`) hold the server while they run (`graph_server`): policykg's own one is
  started by the first and stopped by the last (ontology.virtuoso_server).
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from policykg.ontology.sparql import Result as SparqlResult, SparqlRunner
from policykg.ontology import diskstore, virtuoso, virtuoso_server
from policykg.ontology.virtuoso_load import VirtuosoWriter
from policykg.pipeline.datadir import DataDir
from policykg.pipeline.generation import Generation
from policykg.web.settings import Settings


def uses_virtuoso(settings: Settings) -> bool:
    return settings.graph_store == virtuoso.STORE


def data_dir(settings: Settings) -> DataDir:
    """The data folder, with the hooks that keep Virtuoso's graphs in step with its
    generations when the graph store is Virtuoso."""
    if not uses_virtuoso(settings):
        return DataDir(settings.data_dir)
    config, root = settings.virtuoso_config(), settings.data_dir

    def writer() -> VirtuosoWriter:
        # read when needed: policykg's own server has its password after its first start
        return VirtuosoWriter(virtuoso_server.access(config, root))

    def seal(folder: Path) -> None:
        writer().write(folder, Generation(folder).graph_paths())

    def retire(folder: Path) -> None:
        if virtuoso.read_manifest(folder) is None:
            return
        try:
            writer().retire(folder)
        except virtuoso_server.VirtuosoFailed:
            pass             # no server set up: nothing was loaded into one
    return DataDir(root, seal=seal, retire=retire)


def generation(settings: Settings, folder: Path) -> Generation:
    """A generation as the settings read it (its graph store and search engine)."""
    endpoint = virtuoso_server.endpoint(settings.virtuoso_config()) \
        if uses_virtuoso(settings) else None
    return Generation(folder, settings.graph_store, settings.search_engine,
                      settings.search_cache, virtuoso_endpoint=endpoint)


def sparql_runner(settings: Settings, gen: Generation) -> SparqlRunner | virtuoso.VirtuosoRunner:
    """The SPARQL endpoint's runner for one generation: Virtuoso's graph when that is the
    store, else query processes over the Oxigraph (or memory) store."""
    if uses_virtuoso(settings):
        return virtuoso.VirtuosoRunner(gen.virtuoso_endpoint, gen.virtuoso_target(),
                                       settings.sparql_limits())
    # only the disk store is opened per query; the others are loaded
    on_disk = settings.sparql_store == "oxigraph" and diskstore.present(gen.folder)
    return SparqlRunner(gen.graph_paths(), settings.sparql_limits(), store=settings.sparql_store,
                        store_folder=gen.folder if on_disk else None)


def run_query(settings: Settings, gen: Generation, text: str) -> SparqlResult:
    """One query on `gen` by the endpoint's runner (sparql_runner), which is then closed:
    what `policykg sparql` answers is what /sparql answers."""
    runner = sparql_runner(settings, gen)
    try:
        return runner.run(text)
    finally:
        runner.close()


@contextlib.contextmanager
def graph_server(settings: Settings) -> Iterator[None]:
    """The graph's server for as long as the block runs (nothing without Virtuoso)."""
    if not uses_virtuoso(settings):
        yield
        return
    with virtuoso_server.session(settings.virtuoso_config(), settings.data_dir):
        yield
