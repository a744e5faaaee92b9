"""One task, one place: an annexed task table's row and the body provision it restates.

A plan often states each task twice — in its body (（三）扩大招生规模。推行……) and again as a
row of an annexed 重点任务分工表 (3 | 扩大招生规模 | 市人社局（牵头）、市教育局).  It is one
task and one responsibility: the body provision carries it; the row is its evidence (the
explicit division of labour that names who does it).  This module holds the one rule that
pairs them, used by

- the department reading (ontology.responsibilities): the row's departments reach the body
  provision, and the row's own reading is marked as evidence of it, so the graph and every
  page count the task once (ontology.graph);
- search ranking (indexer.standing): the row ranks as evidence, after the body provision.

The rule.  A *task table* is a table whose header names a responsibility column (责任单位,
牵头单位, 配合单位 …), or a table without a header (its last cell may list departments).  A
row's *task* is the cell under the header's task column (重点任务, 工作内容, 事项 …), else
its first cell that is not a bare number.  Inside an annex, each task-table row is paired
with the body provision (a chapter, section, item, subitem or box with a heading) whose
heading is most like its task (heading_similarity ≥ SIMILAR), best pairs first, each row
with one body provision and each body provision with one row; ties go to the earlier body
provision.  A row left unpaired — its task has no body provision — is a task of its own.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from policykg.corpus.records import Provision
from policykg.corpus.text import match_key

# Header cells of a column that names who is responsible, and of the task column.
RESP_COLUMN = re.compile(r"(责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门|参与单位|负责单位|"
                         r"实施单位|实施主体|责任主体|主责单位|协同单位)")
TASK_COLUMN = re.compile(r"(任务|内容|事项|措施|工作|项目|名称)")
# A row's number cell (1, 2., 3、).
_NUMBER_CELL = re.compile(r"\d{1,3}[.．、]?")
# Body provisions a row can restate.
BODY_KINDS = ("chapter", "section", "item", "subitem", "box")
# How alike a row's task and a body heading must be to be one task.  "实施助力大国外交
# 职业教育国际化提升专项行动" restates "实施助力大国外交专项行动" (0.73); two different
# 专项行动 share only their frame (0.42).
SIMILAR = 0.6


def heading_key(text: str) -> str:
    """A heading compared without punctuation, quotes, spaces or width."""
    return re.sub(r"[\W_]", "", match_key(text))


def heading_similarity(a: str, b: str) -> float:
    """How alike two headings are after normalising (0…1); containment counts high."""
    ka, kb = heading_key(a), heading_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    ratio = SequenceMatcher(None, ka, kb, autojunk=False).ratio()
    short, long_ = sorted((ka, kb), key=len)
    if short in long_ and len(short) >= 4:
        ratio = max(ratio, 0.75 + 0.25 * len(short) / len(long_))
    return ratio


def responsibility_columns(cols: Sequence[str], cells: Sequence[str]) -> list[int]:
    """The columns of a task table that name departments: by the header, else (no header)
    the last cell of a row of two or more."""
    if cols:
        return [i for i, c in enumerate(cols) if RESP_COLUMN.search(c)]
    return [len(cells) - 1] if len(cells) >= 2 else []


def is_task_table(cols: Sequence[str]) -> bool:
    """A table with a responsibility column, or one without a header (it may have one)."""
    return not cols or any(RESP_COLUMN.search(c) for c in cols)


def task_index(cols: Sequence[str], cells: Sequence[str], resp: Sequence[int]) -> int:
    """The column of a row's task: the header's task column, else the first cell that is
    neither a responsibility cell nor a bare number."""
    found = next((i for i, c in enumerate(cols) if TASK_COLUMN.search(c) and i not in resp),
                 None)
    if found is not None:
        return found
    return next((i for i in range(len(cells)) if i not in resp
                 and not _NUMBER_CELL.fullmatch(cells[i].strip())), 0)


def task_text(cell: str) -> str:
    """A task as a row writes it, without its number and closing stop."""
    return re.sub(r"^\d{1,3}\s*[.．、]\s*", "", cell.strip()).rstrip("。；;")


def row_task(row: Provision, cols: Sequence[str]) -> str:
    """The task a task-table row names (its heading when the cell is missing)."""
    cells, cols = list(row.cells), [match_key(c) for c in cols]
    i = task_index(cols, cells, responsibility_columns(cols, cells))
    return task_text(cells[i]) if i < len(cells) else row.heading


def restatements(provisions: Iterable[Provision]) -> dict[str, str]:
    """Each annexed task-table row that restates a body provision → that body provision's
    id (the rule in the module docstring)."""
    provisions = list(provisions)
    by_id = {p.id: p for p in provisions}
    body = [p for p in provisions if not p.annex and p.kind in BODY_KINDS and p.heading]
    pairs: list[tuple[float, int, str, str]] = []
    for row in provisions:
        if row.kind != "table_row" or not row.annex or not row.cells:
            continue
        table = by_id.get(row.parent or "")
        cols = table.columns if table is not None else ()
        if not is_task_table([match_key(c) for c in cols]):
            continue
        task = row_task(row, cols)
        for i, cand in enumerate(body):
            sim = heading_similarity(task, cand.heading)
            if sim >= SIMILAR:
                pairs.append((sim, -i, row.id, cand.id))
    out: dict[str, str] = {}
    used: set[str] = set()
    for _, _, row_id, cand_id in sorted(pairs, reverse=True):
        if row_id in out or cand_id in used:
            continue
        out[row_id] = cand_id
        used.add(cand_id)
    return out

