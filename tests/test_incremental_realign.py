"""An add or remove that changes which plan is an old document's source (alignment: one
claim per level among the few best candidates; targets: the nearest counterpart): the
old documents' links at that level are made again, equal to a full build."""
from __future__ import annotations

from pathlib import Path

from policykg.pipeline import ingest
from policykg.pipeline.generation import Generation
from test_incremental import add_text, assert_same, copy_store, frozen, reference

ROOT = Path(__file__).resolve().parent.parent / "corpus" / "documents"
MUNICIPAL = "001_6af77d3d95a7bf94.txt"


def provincial_copy() -> str:
    """The Guangdong plan issued again under another number, its goals raised: a second
    provincial source for the Dongguan plan, as good as the first."""
    text = (ROOT / "000_bd834acddea3b7b4.txt").read_text(encoding="utf-8")
    return (text.replace("粤人社函〔2021〕360号", "粤人社函〔2022〕12号")
            .replace("2021年12月24日", "2022年1月10日").replace("55%", "60%"))


def sources(folder: Path) -> dict[str, set[str]]:
    """Per kind, the documents the municipal plan's provisions link to."""
    gen = Generation(folder)
    docs = {p["id"]: p["doc"] for p in gen.provisions}
    out: dict[str, set[str]] = {}
    for row in gen.graph_rows("alignments"):
        if docs.get(row["lower"]) == MUNICIPAL:
            out.setdefault(row["kind"], set()).add(docs[row["higher"]])
    return out


def test_a_second_source_realigns_the_lower_plan_and_a_remove_restores_it(built, tmp_path):
    store = copy_store(built, tmp_path / "data")
    base = store.require_current()
    stats = frozen(base)
    before = sources(base)
    added = add_text(store, provincial_copy(), "copy.txt", level="provincial",
                     region="广东省", date="2022-01-10")
    assert added.status == "added"
    now = store.require_current()
    assert Generation(now).meta["update"]["incremental"]
    assert_same(now, reference(store, stats, tmp_path / "ref1"))
    after = sources(now)
    # the nearest provincial counterpart of a Dongguan goal is now the later plan
    assert added.file in after["target"] and "000_bd834acddea3b7b4.txt" not in after["target"]
    assert len(after["text_reuse"]) <= len(before["text_reuse"]) + 1
    ingest.remove_document(store, added.file)
    back = store.require_current()
    assert_same(back, reference(store, stats, tmp_path / "ref2"), ranking=False)
    assert sources(back) == before
