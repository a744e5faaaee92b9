"""Writing what a generation serves after an add or a remove: the graph's part list, facts,
export rows, documents.json and provisions.jsonl spliced, the catalog and the index deltas."""
from __future__ import annotations


import dataclasses
import json
import marshal
import os
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable, Sequence


from policykg.corpus.records import Document
from policykg.pipeline.rows import provision_rows
from policykg.corpus.tokenize import Tokenizer
from policykg.ontology import diskstore
from policykg.ontology.citations import (CitedDocument)
from policykg.ontology.graph_files import FACTS_FILE, GRAPH_FILE, GRAPH_LIST, ROW_FILES
from policykg.ontology.graph_lines import global_lines
from policykg.pipeline.datadir import write_json
from policykg.ontology.graph_lines import DepartmentLines
from policykg.ontology.namespaces import doc_iri
from policykg.pipeline.catalog import update_catalog
from policykg.pipeline.catalog import CatalogChange
from policykg.indexer.engines import update_index
from policykg.corpus.files import write_fresh, write_fresh_lines
from policykg.pipeline.state import Change, Corpus, Indicator, document_facts, fact_entries, facts_of_document, row_line, state_dir, target_positions
from policykg.pipeline import layout

DEPARTMENT_LINES = "global.lines"


def global_part(root: Path, corpus: "Corpus", resolver, cited: dict[str, CitedDocument]
                 ) -> tuple[list[str], list[dict]]:
    """global_lines of the corpus with the department nodes' lines of the previous generation
    (incr/global.lines, ontology.graph_lines.DepartmentLines; an absent or unreadable file is an
    empty cache), written again only when a department node changed.  marshal, not JSON:
    the file is ~28 MB at 2,000 documents and a cache (a file another Python cannot read
    is only a miss), and marshal reads it in a third of the time."""
    path = root / DEPARTMENT_LINES
    try:
        cache = DepartmentLines.from_data(marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError):
        cache = DepartmentLines.empty()
    order = corpus.order
    tasks, mentioned = task_rows(corpus)
    targets = [Indicator(t["indicator_key"], t["indicator"])
               for f in order for t in corpus.docs[f].targets]
    out = global_lines([corpus.metas[f] for f in order], resolver, tasks, mentioned, cited,
                       targets, cache=cache)
    if cache.changed or not path.is_file():
        write_fresh(path, marshal.dumps(cache.to_data()))
    return out


def task_rows(corpus: Corpus) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    tasks: dict[str, list[dict]] = defaultdict(list)
    mentioned: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order:
        for slug, rows in corpus.docs[f].tasks.items():
            tasks[slug].extend(rows)
        for slug, pids in corpus.docs[f].mentioned.items():
            mentioned[slug].extend(pids)
    return tasks, mentioned


def _concat(out: Path, files: Iterable[Path], head: Iterable[str] = (), tail: Iterable[str] = ()
            ) -> None:
    with open(out, "wb") as fh:
        fh.write("".join(head).encode("utf-8"))
        fh.flush()
        for path in files:
            with open(path, "rb") as part:
                _copy_into(part, fh)
        fh.write("".join(tail).encode("utf-8"))


def _copy_into(src, dst) -> None:
    """Append file `src` to `dst` inside the kernel (copy_file_range): graph.nt is hundreds
    of megabytes, and copying it through Python buffers was most of writing it."""
    size = os.fstat(src.fileno()).st_size
    try:
        done = 0
        while done < size:
            n = os.copy_file_range(src.fileno(), dst.fileno(), size - done)
            if n == 0:
                break
            done += n
        if done == size:
            return
        src.seek(done)
    except (AttributeError, OSError):
        src.seek(0)
        dst.seek(0, os.SEEK_END)
    shutil.copyfileobj(src, dst, 1 << 20)


def write_graph(new: Path, root: Path, corpus: Corpus, global_part: list[str],
                 one_file: bool = True, previous: Path | None = None) -> None:
    """The graph: the global part and the shared vocabulary once, then every part's own
    lines (the parts never share a triple).  A full build writes them into graph.nt; an
    add lists the part files in graph.files instead (GRAPH_LIST), so that the parts it did
    not change stay hard links and an add never copies the whole graph (see
    pipeline.generation.Generation.graph_files).  Either way the on-disk Oxigraph store
    the servers open (ontology.diskstore) is written too: the `previous` generation's
    store plus the delta of the parts by an add; by a full build, bulk-loaded in a child
    process started here, which the build joins (diskstore.finish) before it is done."""
    seen = dict.fromkeys(global_part)
    for state in (*corpus.docs.values(), *corpus.cites.values(), *corpus.pairs.values()):
        for line in state.shared:
            seen.setdefault(line)
    write_fresh_lines(root / "global.nt", seen)
    files = [root / "global.nt"]
    for f in corpus.order:
        files += [root / "doc" / f"{f}.nt", root / "cite" / f"{f}.nt", root / "span" / f"{f}.nt"]
    owners = sorted({s.owner for s in corpus.pairs.values()})
    files += [root / "pair" / f"{owner}.nt" for owner in owners]
    if previous is None:
        # Every part is written: the load runs beside the rest of the build from here.
        diskstore.start(new, files)
    if one_file:
        _concat(new / GRAPH_FILE, files)
    else:
        # Cut as strings (every part sits under `new`): Path.relative_to for thousands of
        # files cost more than their stats.
        head = str(new) + os.sep
        paths = [str(f) for f in files]
        if all(p.startswith(head) for p in paths):
            listed = [p[len(head):] for p in paths if os.stat(p).st_size]
        else:                                 # e.g. `new` given as "."
            listed = [str(f.relative_to(new)) for f in files if f.stat().st_size]
        (new / GRAPH_LIST).write_text(json.dumps(listed, indent=0), encoding="utf-8")
    if previous is not None:
        diskstore.update(previous, new, files)


def write_outputs(new: Path, root: Path, corpus: Corpus, dept_rows: list[dict],
                   facts_file: bool = True, dept_lines: list[str] | None = None
                   ) -> list[tuple[str, str, str]]:
    """facts.json from the documents' facts (a full build only: after an add the reader
    joins the per-document fragments, pipeline.generation), the export rows (alignments in
    the order a full build writes them: text links as find_alignments sorts them, then
    target links in align_targets' order).  Returns the alignment rows as the catalog
    keeps them: (higher, lower, line), in that order.  `dept_lines`: the department rows
    already as lines (row_line), when the caller has them."""
    if facts_file:
        fragments = [(root / "doc" / f"{f}.facts").read_text(encoding="utf-8")
                     for f in corpus.order]
        with open(new / FACTS_FILE, "w", encoding="utf-8") as fh:
            fh.write("{" + ",".join(x for x in fragments if x) + "}")
    with open(new / ROW_FILES["departments"], "w", encoding="utf-8") as fh:
        fh.writelines(dept_lines if dept_lines is not None else map(row_line, dept_rows))
    _concat(new / ROW_FILES["citations"], [root / "cite" / f"{f}.rows" for f in corpus.order])
    _concat(new / ROW_FILES["targets"], [root / "doc" / f"{f}.rows" for f in corpus.order])
    positions = target_positions(corpus)
    rows: list[tuple[tuple, str, str, str]] = []
    by_owner: dict[str, list[str]] = {}
    for name, pair in corpus.pairs.items():
        owner = pair.owner
        if owner not in by_owner:
            # One JSON row per "\n" (json escapes newlines); kept without it, as the
            # catalog stores them.
            by_owner[owner] = (root / "pair" / f"{owner}.rows").read_bytes().decode(
                "utf-8").split("\n")[:-1]
        mine = by_owner[owner][slice(*pair.rows)]
        rows += [(key, line, entry[0], entry[1])
                 for (key, entry, _, _), line in zip(fact_entries([pair], positions), mine)]
    rows.sort(key=lambda r: r[0])
    with open(new / ROW_FILES["alignments"], "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for _, line, _, _ in rows)
    # entry[0], entry[1] are the row's "higher" and "lower" (pair_part_of): the catalog
    # need not parse the file again.
    return [(higher, lower, line) for _, line, higher, lower in rows]


def write_corpus_files(old: Path, new: Path, corpus: Corpus, change: Change) -> None:
    """documents.json, provisions.jsonl (the old lines kept, the document's put in or
    left out) and the frozen dictionary."""
    rows = []
    for f in corpus.order:
        meta, state = corpus.metas[f], corpus.docs[f]
        row = meta.to_dict()
        row.update(key=meta.key, uri=str(doc_iri(meta.key)), provisions=state.provisions,
                   chars=state.chars)
        rows.append(row)
    write_json(new / layout.DOCUMENTS, rows)
    counts = [(d["doc"], d["provisions"]) for d in
              json.loads((old / layout.DOCUMENTS).read_text(encoding="utf-8"))]
    added = ("".join(row_line(r) for r in provision_rows(change.add)).encode("utf-8")
             if change.add is not None else b"")
    pieces = provision_pieces(counts, change.add.file if change.add is not None else None,
                               change.remove)
    with open(old / layout.PROVISIONS, "rb") as src, \
            open(new / layout.PROVISIONS, "wb") as out:
        splice_lines(src, out, pieces, added)
    os.link(old / layout.DICTIONARY, new / layout.DICTIONARY)


def provision_pieces(counts: Sequence[tuple[str, int]], added: str | None,
                      removed: str | None) -> list[tuple[int, int] | None]:
    """provisions.jsonl of the new generation as line ranges of the old one to keep, in
    order, with None where the added document's rows go (documents in file-name order)."""
    pieces: list[tuple[int, int] | None] = []
    line = 0
    for file, n in counts:
        if added is not None and added < file:
            pieces.append(None)
            added = None
        if file != removed and n:
            if pieces and pieces[-1] is not None and pieces[-1][1] == line:
                pieces[-1] = (pieces[-1][0], line + n)
            else:
                pieces.append((line, line + n))
        line += n
    if added is not None:
        pieces.append(None)
    return pieces


def splice_lines(src, out, pieces: Sequence[tuple[int, int] | None], added: bytes) -> None:
    """Write line ranges of `src` (binary files) and `added` into `out`: the ranges are
    found by counting newlines and copied inside the kernel — provisions.jsonl is hundreds
    of megabytes, and reading it line by line was a second of an add at 2,000 documents."""
    at = _line_offsets(src, [n for piece in pieces if piece is not None for n in piece])
    for piece in pieces:
        if piece is None:
            out.write(added)
        else:
            out.flush()
            _copy_range(src, out, at[piece[0]], at[piece[1]])


def _line_offsets(fh, lines: Sequence[int]) -> dict[int, int]:
    """The byte offset where each of `lines` (0-based line numbers) starts; a line past
    the end starts at the end."""
    wanted = sorted(set(lines))
    out: dict[int, int] = {}
    i, seen, pos = 0, 0, 0           # newlines and bytes before the current chunk
    while i < len(wanted) and wanted[i] == 0:
        out[0] = 0
        i += 1
    fh.seek(0)
    while i < len(wanted):
        chunk = fh.read(1 << 22)
        if not chunk:
            break
        n = chunk.count(b"\n")
        while i < len(wanted) and wanted[i] <= seen + n:
            cut = -1
            for _ in range(wanted[i] - seen):
                cut = chunk.index(b"\n", cut + 1)
            out[wanted[i]] = pos + cut + 1
            i += 1
        seen += n
        pos += len(chunk)
    for line in wanted[i:]:
        out[line] = pos
    return out


def _copy_range(src, dst, start: int, end: int) -> None:
    """Bytes [start, end) of file `src` appended to `dst` (copy_file_range, else read)."""
    done = start
    try:
        while done < end:
            n = os.copy_file_range(src.fileno(), dst.fileno(), end - done, done)
            if n == 0:
                break
            done += n
    except (AttributeError, OSError):
        pass
    src.seek(done)
    while done < end:
        block = src.read(min(1 << 20, end - done))
        if not block:
            break
        dst.write(block)
        done += len(block)


def write_catalog_delta(old: Path, new: Path, corpus: Corpus, change: Change,
                   alignment_rows: list[tuple[str, str, str]] | None = None,
                   department_rows: list[tuple[dict, str]] | None = None) -> None:
    """catalog.sqlite: the previous one with what this change rewrote put in (pipeline.catalog)."""
    update_catalog(old, new, dataclasses.replace(
        _catalog_change(state_dir(old), state_dir(new), corpus, change),
        alignments=alignment_rows, departments=department_rows))


def _catalog_change(old_root: Path, root: Path, corpus: Corpus, change: Change):
    """Each document's facts, target rows and citation rows this change wrote anew: the
    state files it did not rewrite are hard links to the previous generation's (the
    catalog already holds what they say)."""

    # Plain strings, not Paths: three pairs of stats for each of thousands of documents,
    # where building the Path objects cost more than the system calls.
    old_dir, new_dir = str(old_root), str(root)

    def rewritten(rel: str) -> bool:
        try:
            before = os.stat(f"{old_dir}/{rel}")
        except FileNotFoundError:
            return True
        now = os.stat(f"{new_dir}/{rel}")
        return (before.st_ino, before.st_dev) != (now.st_ino, now.st_dev)

    def lines(rel: str) -> list[str]:
        return [x for x in (root / rel).read_text(encoding="utf-8").splitlines() if x.strip()]

    facts, targets, citations = {}, {}, {}
    for f in corpus.order:
        if rewritten(f"doc/{f}.facts"):
            facts[f] = document_facts(root, f)
        if rewritten(f"doc/{f}.rows"):
            targets[f] = lines(f"doc/{f}.rows")
        if rewritten(f"cite/{f}.rows"):
            citations[f] = lines(f"cite/{f}.rows")
    added = {change.add.file: provision_rows(change.add)} if change.add is not None else {}
    return CatalogChange(removed=frozenset([change.remove] if change.remove else []),
                         provisions=added, facts=facts, targets=targets, citations=citations)


def update_search_index(old: Path, new: Path, corpus: Corpus, change: Change, old_aliases: dict,
                  aliases: dict, document: Callable[[str], Document]) -> None:
    """The whoosh index: the new document's provisions in, the removed one's out, and the
    provisions whose departments' aliases changed written again."""
    changed = {name for name in set(old_aliases) | set(aliases)
               if sorted(old_aliases.get(name, [])) != sorted(aliases.get(name, []))}
    again: dict[str, list[str]] = defaultdict(list)
    for f in corpus.order if changed else ():        # (every provision's facts: skip if none)
        if change.add is not None and f == change.add.file:
            continue
        for pid, slot in corpus.docs[f].facts.items():
            names = set(slot["departments"]["lead"]) | set(slot["departments"]["participants"])
            if names & changed:
                again[f].append(pid)
    write = [(document(f), set(pids)) for f, pids in again.items()]
    if change.add is not None:
        write.append((change.add, {p.id for p in change.add.provisions}))
    facts = {}
    for doc, pids in write:
        facts.update(facts_of_document(doc.file, corpus, (), ([], {}, corpus.docs)))
    tally: dict[str, dict] = defaultdict(lambda: {"aliases": set(), "docs": Counter(),
                                                  "lead": 0, "participant": 0})
    for f in corpus.order:
        for name, (lead, participant) in corpus.docs[f].tally.items():
            row = tally[name]
            row["lead"] += lead
            row["participant"] += participant
            row["docs"][f] += lead + participant
            row["aliases"].update(aliases.get(name, ()))
    update_index(old / "index", new / "index", Tokenizer.from_file(new / layout.DICTIONARY),
                 delete_docs=[change.remove] if change.remove else [],
                 delete_ids=[pid for pids in again.values() for pid in pids],
                 write=write, facts=facts, aliases=aliases, departments=tally,
                 count=sum(corpus.docs[f].provisions for f in corpus.order))
