"""Every IRI the project mints or uses, in one place.

Data IRIs are derived from content (a document's 文号 or issuer + date + title, a
provision's path of markers, a department's place + name), never from build order.
"""
from __future__ import annotations

from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/policykg/"
POL = Namespace(BASE + "ontology#")          # the few terms of our own
ID = Namespace(BASE + "id/")                 # everything we mint
ELI = Namespace("http://data.europa.eu/eli/ontology#")
SCHEMA = Namespace("https://schema.org/")
CV = Namespace("http://data.europa.eu/m8g/")  # Core Public Organisation / CPSV vocabularies
OA = Namespace("http://www.w3.org/ns/oa#")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = {
    "pol": POL, "id": ID, "eli": ELI, "schema": SCHEMA, "cv": CV, "oa": OA,
    "dcterms": DCTERMS, "org": ORG, "prov": PROV, "skos": SKOS, "rdf": RDF, "rdfs": RDFS,
    "xsd": XSD, "sh": SH,
}

LEVEL_SCHEME = ID["scheme/admin-level"]
STATUS_SCHEME = ID["scheme/doc-status"]
INDICATOR_SCHEME = ID["scheme/indicator"]


def _slug(text: str) -> str:
    return quote(text, safe="")


def doc_iri(key: str) -> URIRef:
    return ID[f"doc/{key}"]


def provision_iri(doc_key: str, path: str) -> URIRef:
    return ID[f"doc/{doc_key}/{path}"]


def level_iri(level: str) -> URIRef:
    return ID[f"level/{level}"]


def status_iri(status: str) -> URIRef:
    return ID[f"status/{status}"]


def department_iri(slug: str) -> URIRef:
    return ID[f"dept/{_slug(slug)}"]


def indicator_iri(slug: str) -> URIRef:
    return ID[f"indicator/{_slug(slug)}"]


def bind_prefixes(graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
