"""The graph stage's files: what they are called, the build that is written to them
(GraphBuild), a graph read back, and the SHACL check against shapes.ttl.

Separate from the builder so that what names and reads a generation's files
(pipeline.layout, pipeline.catalog) needs rdflib alone, not every extractor.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from rdflib import Graph

from policykg.ontology import namespaces as ns

GRAPH_FILE = "graph.nt"
GRAPH_LIST = "graph.files"      # after an add: the part files whose union is the graph
FACTS_FILE = "facts.json"
ROW_FILES = {"departments": "departments.jsonl", "citations": "citations.jsonl",
             "targets": "targets.jsonl", "alignments": "alignments.jsonl"}


@dataclass
class GraphBuild:
    """The graph, the per-provision facts the index and the exports show, and export rows."""

    graph: Graph
    facts: dict[str, dict]
    rows: dict[str, list[dict]]
    seconds: float = 0.0


def write_graph_build(folder: Path, result: GraphBuild) -> None:
    result.graph.serialize(destination=str(folder / GRAPH_FILE), format="nt", encoding="utf-8")
    (folder / FACTS_FILE).write_text(json.dumps(result.facts, ensure_ascii=False),
                                     encoding="utf-8")
    for name, file in ROW_FILES.items():
        with (folder / file).open("w", encoding="utf-8") as fh:
            for row in result.rows.get(name, []):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def load_graph(path: Path | Sequence[Path]) -> Graph:
    """A graph written by the build (N-Triples: one file, or a list of files whose union
    is the graph), with the project's prefixes bound."""
    g = Graph()
    for one in ([path] if isinstance(path, (str, Path)) else path):
        g.parse(str(one), format="nt")
    ns.bind_prefixes(g)
    return g


def ontology_file(name: str) -> Path:
    """vocab.ttl or shapes.ttl, shipped beside this module."""
    return Path(__file__).resolve().parent / name


def validate_graph(graph: Graph) -> tuple[bool, str]:
    """(conforms, report text) of a graph against shapes.ttl (pyshacl, vocab.ttl as ontology)."""
    from pyshacl import validate
    shapes = Graph().parse(ontology_file("shapes.ttl"))
    vocab = Graph().parse(ontology_file("vocab.ttl"))
    conforms, _, text = validate(graph, shacl_graph=shapes, ont_graph=vocab, inference="none",
                                 advanced=True)
    return bool(conforms), str(text)
