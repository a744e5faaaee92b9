"""The data folder: builds are written as generations and switched in atomically.

Layout::

    DATA/
      current -> generations/g-…      the generation being served (a symlink)
      generations/g-…/                 documents.json, provisions.jsonl, dict.txt,
                                       graph.nt, index/, catalog.sqlite (what the
                                       pages look up: pipeline.catalog), meta.json
      sources/                         documents added with `policykg add`
      .lock                            held while a build or add runs

A build writes a new generation in a temporary folder beside the others, fsyncs it,
renames it into place and only then swaps the `current` link (rename of a new link over
the old one, which POSIX makes atomic).  A crash at any moment leaves either the old or
the new generation current, never a half-written one.

A graph kept outside the folder (a Virtuoso server, ontology.virtuoso_load) follows the
generations through two hooks: `seal(folder)` runs on a generation that is whole but not
yet current (the graph is loaded then; if it fails, the generation is not switched in), and
`retire(folder)` on every generation folder before it is removed (its graph is dropped).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from policykg.corpus.files import NotBuilt, fsync_dir, link_tree, read_jsonl, write_json, write_jsonl

__all__ = ["DataDir", "StoreBusy", "NotBuilt", "NoSpace", "link_tree", "read_jsonl",
           "write_json", "write_jsonl", "KEEP_GENERATIONS", "DEFAULT_MIN_FREE"]

KEEP_GENERATIONS = 3


class StoreBusy(RuntimeError):
    """Another build or add holds the data folder."""


class NoSpace(RuntimeError):
    """The data folder's disk cannot hold another generation, old ones pruned or not."""


# Bytes a build or add leaves free beyond the size of the generation it writes
# (Settings.min_free_mb): a disk filled to the last byte fails everything else on it too.
DEFAULT_MIN_FREE = 64 * 1024 * 1024
MB = 1024 * 1024


def _size(folder: Path) -> int:
    """Bytes the files under `folder` take, a file hard-linked twice counted once."""
    seen, total = set(), 0
    for root, _, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def _fsync_tree(path: Path) -> None:
    for root, dirs, files in os.walk(path):
        for name in files:
            file = os.path.join(root, name)
            if os.stat(file).st_nlink > 1:
                continue      # hard-linked from a committed generation: already on disk
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(Path(root))


def _flock(fh, wait: bool, timeout: float | None) -> bool:
    """Take the lock; False if it is held (still, after `timeout` s when waiting)."""
    blocking = wait and timeout is None
    deadline = time.monotonic() + (timeout or 0)
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if not wait or time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


Hook = Callable[[Path], None]


@dataclass(frozen=True)
class DataDir:
    root: Path
    min_free: int = DEFAULT_MIN_FREE
    # A generation folder whole but not yet current: the graph kept outside it is made.
    seal: Hook | None = field(default=None, compare=False, repr=False)
    # A generation folder about to be removed (pruned, or a failed build's).
    retire: Hook | None = field(default=None, compare=False, repr=False)

    @property
    def generations(self) -> Path:
        return self.root / "generations"

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def link(self) -> Path:
        return self.root / "current"

    def current(self) -> Path | None:
        """The folder of the generation being served, or None before the first build."""
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        path = (self.root / target).resolve()
        return path if (path / "meta.json").is_file() else None

    def require_current(self) -> Path:
        cur = self.current()
        if cur is None:
            raise NotBuilt(f"nothing is built in {self.root}: run `policykg build` first")
        return cur

    @contextlib.contextmanager
    def lock(self, wait: bool = False, timeout: float | None = None) -> Iterator[None]:
        """Exclusive hold on the data folder for one build or add at a time; `wait`: until
        the one running has finished, for `timeout` seconds at most when given."""
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".lock", "w")
        try:
            if not _flock(fh, wait, timeout):
                raise StoreBusy(f"another build or add is running on {self.root}; "
                                "try again when it has finished")
            yield
        finally:
            fh.close()

    @contextlib.contextmanager
    def new_generation(self) -> Iterator[Path]:
        """A fresh folder to build into; on success it becomes current, on error it goes."""
        self.generations.mkdir(parents=True, exist_ok=True)
        self.make_room()
        gen_id = time.strftime("g-%Y%m%dT%H%M%S-", time.gmtime()) + secrets.token_hex(3)
        tmp = self.generations / f".tmp-{gen_id}"
        tmp.mkdir()
        try:
            yield tmp
            if self.seal is not None:
                self.seal(tmp)
            _fsync_tree(tmp)
            final = self.generations / gen_id
            os.rename(tmp, final)
            fsync_dir(self.generations)
            self._switch(final)
        except BaseException:
            self._remove(tmp)
            raise
        self.prune()

    def _switch(self, target: Path) -> None:
        tmp_link = self.root / f".current-{secrets.token_hex(4)}"
        os.symlink(os.path.relpath(target, self.root), tmp_link)
        os.replace(tmp_link, self.link)
        fsync_dir(self.root)

    def make_room(self) -> None:
        """Refuse at once (NoSpace) a generation the disk cannot hold — about the size of
        the current one, plus `min_free` — rather than fail mid-build; when old
        generations are in the way, they are pruned first (all but the current one)."""
        current = self.current()
        need = (_size(current) if current is not None else 0) + self.min_free
        if shutil.disk_usage(self.root).free >= need:
            return
        self.prune(keep=1)
        free = shutil.disk_usage(self.root).free
        if free < need:
            raise NoSpace(f"not enough free space for a new generation in {self.root}: about "
                          f"{need // MB + 1} MB needed (the current generation's size and "
                          f"{self.min_free // MB} MB to spare), {free // MB} MB free")

    def prune(self, keep: int = KEEP_GENERATIONS) -> None:
        """Drop old generations and leftovers of interrupted builds, keeping a few."""
        current = self.current()
        gens = sorted(p for p in self.generations.iterdir() if p.name.startswith("g-"))
        for old in gens[:-keep]:
            if current is None or old.resolve() != current:
                self._remove(old)
        for leftover in self.generations.glob(".tmp-*"):
            # A leftover whose builder is gone (we hold the lock, so it is).
            self._remove(leftover)
        for stale in self.root.glob(".current-*"):
            stale.unlink(missing_ok=True)

    def _remove(self, folder: Path) -> None:
        if self.retire is not None:
            self.retire(folder)
        shutil.rmtree(folder, ignore_errors=True)
