"""The terms and literals the graph's triples are made of, each made once.

rdflib makes and validates a new URIRef on every namespace attribute access and its
Literal constructor is slow; a large corpus asks for the same few predicates and numbers
millions of times.  Separate from the builder (ontology.graph) because the graph in parts
(ontology.graph_lines) writes with the same terms.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, XSD

from policykg.ontology.namespaces import CV, ELI, OA, POL, SCHEMA


class _Terms:
    """A namespace whose terms are made once.  rdflib makes and validates a new URIRef on
    every attribute access (`POL.inDocument`), and the parts of a large corpus ask for
    their predicates millions of times: here the first access stores the term as an
    ordinary attribute of the wrapper."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace
        self._items: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        if name not in self._items:
            self._items[name] = self._namespace[name]
        return self._items[name]


DCTERMS, ORG, PROV, RDF, RDFS, SKOS, XSD, CV, ELI, OA, POL, SCHEMA = map(
    _Terms, (DCTERMS, ORG, PROV, RDF, RDFS, SKOS, XSD, CV, ELI, OA, POL, SCHEMA))

ZH = "zh"


def lit(value: Any) -> Literal:
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return Literal(Decimal(repr(value)), datatype=XSD.decimal)
    return Literal(value)


@lru_cache(maxsize=1 << 16)
def _integer(value: int) -> Literal:
    """An xsd:integer literal, made once per value (positions and offsets recur; rdflib's
    Literal constructor is slow) — never a bool: lit takes those first (True == 1)."""
    return Literal(value, datatype=XSD.integer)


def zh(text: str) -> Literal:
    return Literal(text, lang=ZH)

