"""Every IRI the project mints or uses, in one place.

Data IRIs are derived from content (a document's 文号 or issuer + date + title, a
provision's path of markers, a department's place + sector, a fact's source span),
never from build order: rebuilding the same corpus gives the same IRIs.
"""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

BASE = "https://w3id.org/policykg/"


class POL(DefinedNamespace):
    """The few terms of our own: closed, exactly those ontology/vocab.ttl declares (a test
    checks both ways), so a misspelt `POL.adminLevle` fails where it is written instead of
    minting a term no query asks for."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # documents and provisions
    adminLevel: URIRef
    docStatus: URIRef
    inDocument: URIRef
    # departments
    CollectiveBody: URIRef
    functionalSuperior: URIRef
    evidenceOf: URIRef
    # targets
    Target: URIRef
    indicator: URIRef
    targetValue: URIRef
    baselineValue: URIRef
    comparator: URIRef
    cumulative: URIRef
    baselineYear: URIRef
    relative: URIRef
    attribute: URIRef
    # alignment across levels
    Alignment: URIRef
    higher: URIRef
    lower: URIRef
    score: URIRef
    evidence: URIRef
    comparison: URIRef
    localises: URIRef
    alignsWithTarget: URIRef


ID = Namespace(BASE + "id/")                 # everything we mint
ELI = Namespace("http://data.europa.eu/eli/ontology#")
SCHEMA = Namespace("https://schema.org/")
CV = Namespace("http://data.europa.eu/m8g/")  # Core Public Organisation / CPSV vocabularies
OA = Namespace("http://www.w3.org/ns/oa#")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES = {
    "pol": POL, "id": ID, "eli": ELI, "schema": SCHEMA, "cv": CV, "oa": OA,
    "dcterms": DCTERMS, "org": ORG, "prov": PROV, "skos": SKOS, "rdf": RDF, "rdfs": RDFS,
    "xsd": XSD, "sh": SH, "owl": OWL,
}

LEVEL_SCHEME = ID["scheme/admin-level"]
STATUS_SCHEME = ID["scheme/doc-status"]
INDICATOR_SCHEME = ID["scheme/indicator"]
SUBDIVISION_SCHEME = ID["scheme/subdivision-type"]
ROLE_SCHEME = ID["scheme/responsibility-role"]
SECTOR_SCHEME = ID["scheme/sector"]
ALIGNMENT_SCHEME = ID["scheme/alignment-kind"]
COMPARATOR_SCHEME = ID["scheme/comparator"]
COMPARISON_SCHEME = ID["scheme/level-comparison"]
ORG_KIND_SCHEME = ID["scheme/organisation-kind"]


def _slug(text: str) -> str:
    return quote(text, safe="")


def _hash(*parts: str, n: int = 12) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


def doc_iri(key: str) -> URIRef:
    return ID[f"doc/{key}"]


def provision_iri(doc_key: str, path: str) -> URIRef:
    return ID[f"doc/{doc_key}/{path}"]


def level_iri(level: str) -> URIRef:
    return ID[f"level/{level}"]


def status_iri(status: str) -> URIRef:
    return ID[f"status/{status}"]


def department_iri(slug: str) -> URIRef:
    """A department from its place + sector slug, e.g. "东莞市/hrss"; each part is quoted."""
    return ID["dept/" + "/".join(_slug(part) for part in slug.split("/"))]


def indicator_iri(slug: str) -> URIRef:
    return ID[f"indicator/{_slug(slug)}"]


# ---- concepts of the small controlled vocabularies -----------------------------------------

def subdivision_type_iri(kind: str) -> URIRef:
    return ID[f"subdivision-type/{kind}"]


def role_iri(role: str) -> URIRef:
    """lead (牵头) or participant (配合 / 按职责分工负责)."""
    return ID[f"role/{role}"]


def sector_iri(sector: str) -> URIRef:
    return ID[f"sector/{_slug(sector)}"]


def org_kind_iri(kind: str) -> URIRef:
    return ID[f"org-kind/{kind}"]


def alignment_kind_iri(kind: str) -> URIRef:
    return ID[f"alignment-kind/{_slug(kind)}"]


def comparator_iri(op: str) -> URIRef:
    names = {">=": "at-least", "<=": "at-most", "=": "equal", "~": "about",
             ">": "more-than", "<": "less-than"}
    return ID[f"comparator/{names.get(op, _slug(op))}"]


def comparison_iri(name: str) -> URIRef:
    """How a lower level's target compares with the higher level's: below / equal / above."""
    return ID[f"level-comparison/{name}"]


def place_iri(name: str) -> URIRef:
    return ID[f"place/{_slug(name)}"]


# ---- extracted facts: derived from where they were read ------------------------------------

def span_iri(doc_key: str, start: int, end: int) -> URIRef:
    """A stretch of a source text (RFC 5147-style character range into the text as received)."""
    return ID[f"doc/{doc_key}/source/char={start},{end}"]


def position_selector_iri(doc_key: str, start: int, end: int) -> URIRef:
    return ID[f"doc/{doc_key}/source/char={start},{end}/position"]


def quote_selector_iri(doc_key: str, start: int, end: int) -> URIRef:
    return ID[f"doc/{doc_key}/source/char={start},{end}/quote"]


def participation_iri(doc_key: str, path: str, dept_slug: str, role: str, start: int) -> URIRef:
    return ID[f"doc/{doc_key}/{path}/participation/{role}-{start}-{_hash(dept_slug, n=10)}"]


def mention_iri(doc_key: str, path: str, dept_slug: str, start: int) -> URIRef:
    return ID[f"doc/{doc_key}/{path}/mention/{start}-{_hash(dept_slug, n=10)}"]


def citation_iri(doc_key: str, path: str, start: int) -> URIRef:
    return ID[f"doc/{doc_key}/{path}/citation/{start}"]


def cited_document_iri(identity: str) -> URIRef:
    """A document cited by the corpus but not in it: one node per cited document.

    `identity` is its normalised 文号 ("no:…") or, without one, its normalised title ("t:…").
    """
    return ID[f"cited/{_hash(identity, n=16)}"]


def target_iri(doc_key: str, path: str, indicator: str, start: int) -> URIRef:
    return ID[f"doc/{doc_key}/{path}/target/{start}-{_hash(indicator, n=10)}"]


def quantity_iri(target: URIRef, which: str) -> URIRef:
    """The target or baseline value of a target: `which` is "target" or "baseline"."""
    return URIRef(f"{target}/{which}")


def alignment_iri(higher: str, lower: str, kind: str) -> URIRef:
    return ID[f"alignment/{_hash(higher, lower, kind, n=20)}"]


def bind_prefixes(graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
