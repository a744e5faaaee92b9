"""A compiled query as engine-neutral nodes: what indexer.compiler makes of a query and
each engine runs its own way (indexer.whoosh_query builds whoosh's query objects from them,
indexer.tantivy_engine tantivy's).  Frozen and hashable, so a compiled query can be kept
in a cache and compared.

Fields are the index's (indexer.analysis): `grams`/`hgrams`/`context` hold character
bigrams (a Phrase over them is "these characters in a row"), `words`/`hwords` jieba words,
`doc`/`level`/`kind`/`year`/`dept`/`lead` plain keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator


class Node:
    """A query node; `children()` its sub-queries (none for a leaf)."""

    def children(self) -> tuple["Node", ...]:
        return ()

    def is_leaf(self) -> bool:
        return not self.children()

    def leaves(self) -> Iterator["Node"]:
        for child in self.children():
            if child.is_leaf():
                yield child
            else:
                yield from child.leaves()


@dataclass(frozen=True)
class Nothing(Node):
    """Matches nothing."""


@dataclass(frozen=True)
class Every(Node):
    """Matches every provision."""


@dataclass(frozen=True)
class Term(Node):
    """One indexed term of a field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase(Node):
    """Terms of a field at consecutive positions."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix(Node):
    """Any term of a field that begins with `text`."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class All(Node):
    """Every sub-query matches; the scores add up."""

    subs: tuple[Node, ...]
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return self.subs


@dataclass(frozen=True)
class Any(Node):
    """Some sub-query matches; the matching ones' scores add up."""

    subs: tuple[Node, ...]
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return self.subs


@dataclass(frozen=True)
class Maybe(Node):
    """`required` matches; `optional` only adds to the score where it matches too."""

    required: Node
    optional: Node

    def children(self) -> tuple[Node, ...]:
        return (self.required, self.optional)


@dataclass(frozen=True)
class Constant(Node):
    """What `child` matches, each scoring `score` (0: a condition, not a ranking)."""

    child: Node
    score: float

    def children(self) -> tuple[Node, ...]:
        return (self.child,)


@dataclass(frozen=True)
class Documents(Node):
    """Every provision of some documents, each scoring `score`."""

    files: tuple[str, ...]
    score: float = 1.0


NOTHING = Nothing()
