"""A generation's graph as an on-disk Oxigraph store (RocksDB), opened read-only by readers.

Loading the whole graph into every server process cost each one the graph's size again
(~2.5 GB per process at 2,000 documents, in every gunicorn worker and every SPARQL zygote).
So the build writes the graph once into `oxigraph/` inside the generation folder, and
readers open it with `Store.read_only` (milliseconds; the pages are the kernel's, shared).

- **Written before the generation is current.**  The store is made in the generation's
  temporary folder (pipeline.datadir.DataDir.new_generation) and closed before the folder is
  renamed; `oxigraph.json`, written last, names the part files it holds.  A reader uses
  the store only when that file is there, so a half-written store is never opened.
- **An add does not reload everything.**  The new store starts as a RocksDB checkpoint of
  the previous one (`Store.backup`: its immutable SST files hard-linked, never written)
  and gets the delta: the triples of the part files that went or changed are removed, the
  triples of new or changed parts added.  A part the add did not touch is a hard link to
  the previous generation's file (same inode); the parts never share a triple, so the
  delta of a changed part is the difference of its lines.  A previous generation without
  a store (older code) gets a full bulk load instead.
- **Flushed before closing.**  A checkpoint of a read-only store carries no write-ahead
  log, so every write is flushed into SST files before the store is closed.
- **A build loads it beside the index.**  The bulk load is native code that needs nothing
  but the part files, so a full build runs it in a child process (`start`, then `finish`
  before meta.json is written) while the index and the catalog are made in the parent:
  on two cores its minutes of CPU no longer add to the build's wall time.  The child dies
  with its parent (PR_SET_PDEATHSIG), a failure in it fails the build (StoreWriteFailed),
  and a failed build stops it before the generation's folder is removed (`abandon`).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pyoxigraph as ox

STORE_DIR = "oxigraph"
MANIFEST = "oxigraph.json"    # written last: the store beside it is whole
_NT = ox.RdfFormat.N_TRIPLES


@dataclass(frozen=True)
class StoreInfo:
    parts: tuple[str, ...]    # the N-Triples part files, relative to the generation folder
    mode: str                 # "bulk" (loaded from every part) or "delta" (from the previous)
    seconds: float            # time spent writing the store
    removed: int = 0          # triples removed and added by a delta
    added: int = 0


# Bytes of N-Triples per bulk-load call, cut at a line end (a line is one triple): about
# 25,000 triples.  The loader holds its input's sorted indexes until it writes them, so this
# bounds its memory: 115 MB for the loading process at 2,000 documents (170 MB with 10 MB
# calls, 310 MB with 40 MB) for the same CPU; it runs beside the build's index stage.
BULK_BYTES = 5 << 20
# Our own N-Triples (ontology.graph writes every line): IRIs need no second validation, and
# skipping it is ~15 % of the load's CPU.
LENIENT = True


class StoreWriteFailed(OSError):
    """The child process loading a build's store failed; the build fails with it."""


def store_path(folder: Path) -> Path:
    return folder / STORE_DIR


def present(folder: Path) -> bool:
    """Whether `folder` holds a whole store (its manifest is written after it is closed)."""
    return store_path(folder).is_dir() and (folder / MANIFEST).is_file()


def read_info(folder: Path) -> StoreInfo | None:
    if not present(folder):
        return None
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return StoreInfo(parts=tuple(data["parts"]), mode=data["mode"], seconds=data["seconds"],
                     removed=data.get("removed", 0), added=data.get("added", 0))


def open_read_only(folder: Path) -> ox.Store:
    """The generation's store, read-only: any number of processes may hold it open."""
    return ox.Store.read_only(str(store_path(folder)))


def write(folder: Path, parts: Sequence[Path]) -> StoreInfo:
    """Bulk-load the part files (the graph is their union) into a new store in `folder`."""
    started = time.perf_counter()
    rels = _relative(folder, parts)
    _discard(folder)
    store = ox.Store(str(store_path(folder)))
    # Oxigraph's bulk loader holds its input's sorted indexes in memory until it writes
    # them: one call over the whole graph was the build's peak (+500 MB at 200 documents,
    # +1.8 GB at 2,000).  Calls of BULK_BYTES keep it near 100 MB and load as fast;
    # optimize() then compacts the many small files they leave, so lookups stay as fast
    # as after one call.
    for chunk in blocks(Chain([folder / r for r in rels]), BULK_BYTES):
        store.bulk_load(input=chunk, format=_NT, lenient=LENIENT)
    store.flush()
    store.optimize()
    del store              # the last reference: RocksDB closes before the folder is renamed
    return _commit(folder, StoreInfo(rels, "bulk", round(time.perf_counter() - started, 3)))


def blocks(raw: io.RawIOBase, size: int) -> Iterable[bytes]:
    """The stream in pieces of about `size` bytes, each ending at a line end (the last one
    as it ends): whole lines without splitting millions of them in Python."""
    rest = b""
    with io.BufferedReader(raw, 1 << 20) as reader:
        while block := reader.read(size):        # `size` bytes unless the stream ends
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
    if rest:
        yield rest


# ---- the build's load, in a child process ---------------------------------------------------

_RUNNING: dict[Path, "Loading"] = {}


@dataclass(frozen=True)
class Loading:
    """A bulk load running in a child process (`python -m ontology.diskstore FOLDER`)."""
    folder: Path
    process: subprocess.Popen
    errors: io.BufferedRandom        # the child's stderr: its one-line reason if it fails


def child_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "policykg.ontology.diskstore", str(folder)]


def start(folder: Path, parts: Sequence[Path]) -> Loading:
    """Start writing `folder`'s store from the part files in a child process; the build
    goes on and calls `finish(folder)` before the generation is complete.  The files must
    be whole and stay unchanged until then."""
    abandon(folder)
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(child_command(folder), stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=errors)
    request = {"parent": os.getpid(), "parts": [str(p) for p in parts]}
    try:
        process.stdin.write(json.dumps(request).encode("utf-8"))
        process.stdin.close()
    except OSError:         # it died already: finish() reports why
        pass
    loading = _RUNNING[Path(folder)] = Loading(Path(folder), process, errors)
    return loading


def finish(folder: Path) -> StoreInfo | None:
    """Wait for the load `start` began for `folder` (None if there is none); a failed one
    raises StoreWriteFailed with the child's reason."""
    loading = _RUNNING.pop(Path(folder), None)
    if loading is None:
        return None
    code = loading.process.wait()
    loading.errors.seek(0)
    lines = loading.errors.read().decode("utf-8", "replace").strip().splitlines()
    loading.errors.close()
    if code != 0 or not present(folder):
        # Its own one-line reason, else how it ended (-9: killed, e.g. out of memory).
        reason = lines[-1] if lines else (f"killed by signal {-code}" if code < 0
                                          else f"exit code {code}")
        raise StoreWriteFailed(f"writing the graph store failed: {reason}")
    return read_info(folder)


def abandon(folder: Path) -> None:
    """Stop a load still running for `folder` (its build failed) and wait for it: the
    folder is removed next, and the child must not write into it meanwhile."""
    loading = _RUNNING.pop(Path(folder), None)
    if loading is None:
        return
    if loading.process.poll() is None:
        loading.process.kill()
    loading.process.wait()
    loading.errors.close()


def die_with_parent(parent: int) -> None:
    """A child whose build is killed (kill -9 included) must not go on writing into the
    folder the next build removes: the kernel kills it when its parent dies."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)           # PR_SET_PDEATHSIG
    except (OSError, AttributeError):           # not Linux: the parent check below only
        pass
    if os.getppid() != parent:                  # it died before prctl took effect
        os._exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    """The child: `python -m ontology.diskstore FOLDER`, the parts (and the parent's pid)
    as JSON on stdin.  A failure is one line on stderr and exit code 1."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        request = json.loads(sys.stdin.buffer.read())
        die_with_parent(request["parent"])
        write(Path(args[0]), [Path(p) for p in request["parts"]])
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def update(previous: Path, folder: Path, parts: Sequence[Path]) -> StoreInfo:
    """The store of `folder` from the previous generation's, with the delta of the parts
    (a full bulk load when the previous generation has no store).  `previous` is only read."""
    old = read_info(previous)
    if old is None:
        return write(folder, parts)
    started = time.perf_counter()
    rels = _relative(folder, parts)
    removed, added = part_delta(previous, folder, old.parts, rels)
    _discard(folder)
    source = open_read_only(previous)
    source.backup(str(store_path(folder)))
    del source
    store = ox.Store(str(store_path(folder)))
    for quad in quads(removed):
        store.remove(quad)
    store.extend(quads(added))
    store.flush()
    del store
    info = StoreInfo(rels, "delta", round(time.perf_counter() - started, 3),
                     removed=len(removed), added=len(added))
    return _commit(folder, info)


def part_delta(previous: Path, folder: Path, old_parts: Sequence[str], new_parts: Sequence[str]
               ) -> tuple[list[bytes], list[bytes]]:
    """The N-Triples lines to remove from the previous store and to add to it.

    A part under the same name and inode is unchanged (a hard link, never written); a
    changed part contributes the difference of its lines; a part gone or new, all of them."""
    new_set, old_set = set(new_parts), set(old_parts)
    removed: set[bytes] = set()
    added: set[bytes] = set()
    for rel in old_parts:
        if rel not in new_set:
            removed |= _lines(previous / rel)
        elif not os.path.samefile(previous / rel, folder / rel):
            before, after = _lines(previous / rel), _lines(folder / rel)
            removed |= before - after
            added |= after - before
    for rel in new_parts:
        if rel not in old_set:
            added |= _lines(folder / rel)
    # A line that only moved between parts is removed and added again: removing first
    # keeps it (the parts never share a triple, so nothing else is lost).
    return sorted(removed), sorted(added)


def _lines(path: Path) -> set[bytes]:
    return {line for line in path.read_bytes().split(b"\n") if line.strip()}


def quads(lines: Iterable[bytes]) -> Iterable[ox.Quad]:
    data = b"\n".join(lines)
    if not data:
        return iter(())
    return (ox.Quad(t.subject, t.predicate, t.object)
            for t in ox.parse(data + b"\n", format=_NT))


def _relative(folder: Path, parts: Sequence[Path]) -> tuple[str, ...]:
    """The non-empty parts, by their path relative to the generation folder."""
    return tuple(str(Path(p).relative_to(folder)) for p in parts if Path(p).stat().st_size)


def _discard(folder: Path) -> None:
    """Remove what an earlier attempt in this (not yet current) folder left."""
    (folder / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(store_path(folder), ignore_errors=True)


def _commit(folder: Path, info: StoreInfo) -> StoreInfo:
    data = {"parts": list(info.parts), "mode": info.mode, "seconds": info.seconds,
            "removed": info.removed, "added": info.added}
    (folder / MANIFEST).write_text(json.dumps(data, indent=0), encoding="utf-8")
    return info


class Chain(io.RawIOBase):
    """The files read one after another, as one stream of lines: the bulk load takes it
    in even chunks whatever the parts' sizes (one call per part would make a small file
    per document, and one call for them all holds the whole graph's indexes)."""

    def __init__(self, paths: Sequence[Path]):
        self._paths = list(paths)
        self._fh = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self._fh is None:
                if not self._paths:
                    return 0
                self._fh = open(self._paths.pop(0), "rb")
            n = self._fh.readinto(buffer)
            if n:
                return n
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        super().close()


if __name__ == "__main__":
    sys.exit(main())
