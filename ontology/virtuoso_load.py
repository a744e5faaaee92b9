"""Loading a generation's graph into Virtuoso in bulk, and dropping it when the generation goes.

Virtuoso's bulk loader reads files on the server's own disk: `ld_dir` (or `ld_add` per part
file) registers them in DB.DBA.LOAD_LIST for one graph, `rdf_loader_run()` parses them with
the transaction log off, and `checkpoint` makes the result durable — so the files must lie
under the server's DirsAllowed (the managed server allows the data folder; an existing
server must see the data folder at the same path).  The statements go through Virtuoso's
`isql` client to its SQL port as an account that may load (dba).

- **One named graph per generation**, `https://w3id.org/policykg/graph/<generation>`,
  loaded while the generation is still being written: `virtuoso.json` in its folder names
  the graph first (state "loading", so that a crash leaves the graph findable and dropped
  with the folder) and says "loaded" last; readers use the graph only then.
- **Every line must arrive.**  Virtuoso's loader skips a line it cannot parse without a
  word in LOAD_LIST (measured: a file of one bad line "loads" with no error and no
  triple), so the graph's triples are counted after the load and must be as many as the
  files' lines (one triple a line, no two lines alike: ontology.graph writes them so).
- **IRIs Virtuoso would shorten are refused.**  Virtuoso silently cuts an IRI longer than
  1,879 characters (measured: every longer IRI came back as its first 1,879), which would
  merge distinct nodes; a load stops on one with its beginning named.
- **Dropped with its generation**: `retire(folder)`, called for every generation folder the
  data folder prunes (and for a failed build's), clears the graph the folder names.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from policykg.ontology.virtuoso import Loaded, read_manifest, write_manifest

GRAPH_BASE = "https://w3id.org/policykg/graph/"
ISQL = "isql-vt"               # Debian's name for Virtuoso's isql (virtuoso-opensource-7-bin)
MAX_IRI = 1879                 # longer IRIs are cut to this many characters by Virtuoso
_IRI = re.compile(rb"<([^<>]*)>")
_ISQL_OPTIONS = ("VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT")


class SqlFailed(RuntimeError):
    """A statement Virtuoso refused or the isql client could not run."""


class LoadFailed(RuntimeError):
    """A generation's graph could not be loaded into Virtuoso; the build fails with it."""


@dataclass(frozen=True)
class SqlAccess:
    """Virtuoso's SQL port and the account that loads and drops graphs."""
    address: str                       # host:port
    user: str
    password: str = field(repr=False)
    isql: str = ISQL


def quote(text: str) -> str:
    """A Virtuoso SQL string literal (a backslash escapes there, as a doubled quote does)."""
    if any(ord(c) < 32 for c in text):
        raise ValueError(f"control characters in {text!r}")
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def run_sql(access: SqlAccess, script: str, timeout: float | None = None) -> list[str]:
    """Run statements in one isql session; the lines it printed (results, one row a line).
    SqlFailed with Virtuoso's message if any statement failed.

    (isql takes the password as an argument: on a machine shared with other users, the
    process list shows it for the moment the client runs.)"""
    command = [access.isql, access.address, access.user, access.password, *_ISQL_OPTIONS]
    if shutil.which(access.isql) is None:
        raise SqlFailed(f"{access.isql} not found: install Debian's virtuoso-opensource")
    try:
        done = subprocess.run(command, input=script, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SqlFailed(f"Virtuoso did not finish within {timeout:g} s") from None
    lines = done.stdout.splitlines()
    errors = [ln for ln in lines if ln.startswith("*** Error")]
    if errors or done.returncode != 0:
        reason = errors[0] if errors else (done.stderr.strip() or f"isql exit {done.returncode}")
        raise SqlFailed(f"Virtuoso at {access.address}: {reason.removeprefix('*** ')}")
    return [ln.rstrip() for ln in lines if ln.strip()]


def graph_for(folder: Path) -> str:
    """The graph of a generation folder (its temporary name while it is being built)."""
    return GRAPH_BASE + folder.name.removeprefix(".tmp-")


def check_iris(paths: Sequence[Path]) -> None:
    """LoadFailed if any IRI of the files is longer than Virtuoso keeps."""
    for path in paths:
        with open(path, "rb") as fh:
            for line in fh:
                if len(line) <= MAX_IRI:
                    continue              # nothing in it can be that long
                for iri in _IRI.findall(line):
                    if len(iri) > MAX_IRI:
                        raise LoadFailed(
                            f"an IRI of {len(iri):,} characters in {path.name} (Virtuoso keeps "
                            f"{MAX_IRI:,} and would merge longer ones): "
                            f"{iri[:80].decode('utf-8', 'replace')}…")


def load(access: SqlAccess, folder: Path, parts: Sequence[Path]) -> Loaded:
    """Bulk-load the part files (the graph is their union) into the folder's graph."""
    started = time.perf_counter()
    parts = [Path(p) for p in parts if Path(p).stat().st_size]
    check_iris(parts)
    lines = sum(_lines(p) for p in parts)
    graph = graph_for(folder)
    write_manifest(folder, Loaded(graph, "loading"))
    g = quote(graph)
    statements = [f"SPARQL CLEAR GRAPH <{graph}>;",
                  f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_graph = {g};"]
    if len(parts) == 1:
        statements.append(f"ld_dir({quote(str(parts[0].parent.resolve()))}, "
                          f"{quote(parts[0].name)}, {g});")
    else:
        statements += [f"ld_add({quote(str(p.resolve()))}, {g});" for p in parts]
    try:
        run_sql(access, "\n".join(statements) + "\n")
        run_sql(access, "rdf_loader_run();\n")
        _wait_loaded(access, graph)
        run_sql(access, "checkpoint;\n")
        triples = count(access, graph)
        result_rows = server_result_rows(access)
        run_sql(access, f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_graph = {g};\n")
    except SqlFailed as exc:
        raise LoadFailed(f"loading the graph into Virtuoso failed: {exc}") from None
    if triples != lines:
        where = parts[0].name if len(parts) == 1 else f"{len(parts)} files"
        raise LoadFailed(f"Virtuoso holds {triples:,} triples of the {lines:,} lines of "
                         f"{where}: its loader skipped lines it could not parse")
    loaded = Loaded(graph, "loaded", triples, round(time.perf_counter() - started, 3),
                    result_rows)
    write_manifest(folder, loaded)
    return loaded


def _lines(path: Path) -> int:
    """The lines of a file (a last line without its newline counted too)."""
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _wait_loaded(access: SqlAccess, graph: str, timeout: float = 3600) -> None:
    """Until every file of `graph` is loaded (another loader running at the same time may
    have taken some); LoadFailed naming the first file Virtuoso could not read."""
    deadline = time.monotonic() + timeout
    g = quote(graph)
    while True:
        rows = run_sql(access, "SELECT ll_state, ll_file, ll_error FROM DB.DBA.LOAD_LIST "
                               f"WHERE ll_graph = {g} AND (ll_state <> 2 OR ll_error IS NOT NULL);\n")
        failed = [r for r in rows if not r.endswith("NULL")]
        if failed:
            raise LoadFailed(f"Virtuoso could not load {' '.join(failed[0].split()[1:])[:300]}")
        if not rows:
            return
        if time.monotonic() > deadline:
            raise LoadFailed(f"Virtuoso's loader did not finish within {timeout:g} s")
        time.sleep(0.5)


def count(access: SqlAccess, graph: str) -> int:
    rows = run_sql(access, f"SPARQL SELECT COUNT(*) FROM <{graph}> WHERE {{ ?s ?p ?o }};\n")
    return int(rows[-1]) if rows and rows[-1].strip().isdigit() else 0


def server_result_rows(access: SqlAccess) -> int | None:
    """The server's ResultSetMaxRows (None: not set, or not readable): a graph answer
    (CONSTRUCT) that long was cut, and Virtuoso sends no header to say so."""
    try:
        rows = run_sql(access, "SELECT cfg_item_value(virtuoso_ini_path(), 'SPARQL', "
                               "'ResultSetMaxRows');\n")
    except SqlFailed:
        return None
    return int(rows[-1]) if rows and rows[-1].strip().isdigit() else None


def drop(access: SqlAccess, graph: str) -> None:
    """Clear one graph (without the transaction log, then a checkpoint: a generation's
    graph is millions of rows)."""
    g = quote(graph)
    run_sql(access, f"log_enable(3, 1);\nSPARQL CLEAR GRAPH <{graph}>;\n"
                    f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_graph = {g};\ncheckpoint;\n")


def graphs(access: SqlAccess) -> list[str]:
    """The graphs of this project the server holds (for tests and operators)."""
    rows = run_sql(access, "SPARQL SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                           f"FILTER(STRSTARTS(STR(?g), \"{GRAPH_BASE}\")) }};\n")
    return [r for r in rows if r.startswith(GRAPH_BASE)]


# ---- the build's writer: the graph loaded beside the rest of the build ------------------------------

@dataclass(frozen=True)
class VirtuosoWriter:
    """Loads a generation's graph into Virtuoso (the build's graph store writer, as
    ontology.diskstore is the Oxigraph store's): `start` in a thread while the build goes
    on, `finish` before the generation is complete, `abandon` if it fails, `retire` when
    the data folder removes a generation."""
    access: SqlAccess
    _running: dict = field(default_factory=dict, repr=False, compare=False)

    def write(self, folder: Path, parts: Sequence[Path]) -> Loaded:
        return load(self.access, folder, parts)

    def start(self, folder: Path, parts: Sequence[Path]) -> None:
        box: list = []

        def run() -> None:
            try:
                box.append(load(self.access, folder, parts))
            except BaseException as exc:       # handed to finish()
                box.append(exc)
        thread = threading.Thread(target=run, daemon=True, name="policykg-virtuoso-load")
        self._running[Path(folder)] = (thread, box)
        thread.start()

    def finish(self, folder: Path) -> Loaded | None:
        held = self._running.pop(Path(folder), None)
        if held is None:
            return None
        thread, box = held
        thread.join()
        if box and isinstance(box[0], BaseException):
            raise box[0]
        return box[0] if box else None

    def abandon(self, folder: Path) -> None:
        """Wait for a load still running for `folder` (Virtuoso finishes it either way),
        then drop what it loaded."""
        held = self._running.pop(Path(folder), None)
        if held is not None:
            held[0].join()
        self.retire(folder)

    def update(self, previous: Path, folder: Path, parts: Sequence[Path]) -> Loaded:
        """An add's generation: its graph loaded whole from its parts (most of them hard
        links to the previous generation's files; Virtuoso has no cheap copy of a graph)."""
        return load(self.access, folder, parts)

    def retire(self, folder: Path) -> None:
        """Drop the graph a generation folder names (loaded or half-loaded)."""
        got = read_manifest(folder)
        if got is not None:
            try:
                drop(self.access, got.graph)
            except SqlFailed:
                pass       # the server is gone: its graph goes with it, or with the next prune
