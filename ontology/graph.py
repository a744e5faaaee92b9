"""Everything extracted, as one RDF graph: documents, provisions, departments and their
responsibilities, mentions, citations, targets, alignments — each fact derived from its
provision and its span of the source text.

The model (vocab.ttl declares our own terms, shapes.ttl says what must hold):

- document: eli:LegalResource + schema:Legislation; dcterms:title, eli:id_local (文号),
  eli:passed_by, eli:date_document, eli:jurisdiction, pol:adminLevel, pol:docStatus,
  dcterms:identifier (the corpus file), dcterms:temporal (plan period)
- provision: eli:LegalResourceSubdivision; eli:is_part_of (parent, or the document),
  pol:inDocument, eli:number, eli:type_subdivision, dcterms:title, schema:text (own text),
  schema:position, prov:wasDerivedFrom its span
- span: oa:SpecificResource on the document, with an oa:TextPositionSelector (oa:start,
  oa:end: offsets into the text as received) and, for facts, an oa:TextQuoteSelector
- department: org:Organization + cv:PublicOrganisation (collective parties pol:CollectiveBody);
  skos:prefLabel, skos:altLabel, pol:adminLevel, dcterms:spatial, org:classification (sector),
  org:subOrganizationOf (its government), pol:functionalSuperior (the line upward)
- responsibility: cv:Participation, cv:role lead / participant; provision cv:hasParticipation,
  department cv:playsRole; dcterms:description the phrase as written.  One task, one
  responsibility: a row of an annexed task table that restates a body provision
  (ontology.tasks) keeps its participations as evidence — pol:evidenceOf the body
  provision's, which is prov:wasDerivedFrom them — and only the body provision's count
  as tasks (a department's `tasks`; the row's facts say `evidence_of`)
- mention: oa:Annotation (oa:identifying), oa:hasBody the department; provision schema:mentions
- citation: provision eli:cites the cited document (a corpus document or one external
  eli:LegalResource per cited document); the reading itself an oa:Annotation (oa:linking)
- target: pol:Target, pol:indicator (skos:Concept in the indicator scheme), pol:targetValue /
  pol:baselineValue (schema:QuantitativeValue with schema:value, schema:unitText,
  dcterms:date), pol:comparator, pol:cumulative, pol:attribute, pol:baselineYear and
  pol:relative (a change from a base year, 比2020年提高3个百分点); targets of one indicator
  concept (ontology.indicators) share it, each wording as written an altLabel
- alignment: lower pol:localises higher (provisions), lower pol:alignsWithTarget higher
  (targets); the link itself a pol:Alignment with pol:higher, pol:lower, dcterms:type,
  pol:score, pol:evidence and, for targets, pol:comparison

This module is the builder (Builder): the triples of each kind of fact, and each
provision's facts (empty_facts).  The whole-corpus build is ontology.graph_build, the
graph in parts an add rewrites ontology.graph_lines, the build's files and SHACL check
ontology.graph_files, the terms triples are made of ontology.rdf_terms.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from rdflib import Graph, Literal, URIRef

from policykg.corpus.records import Document, Provision
from policykg.corpus.vocabulary import kind_description, level_label
from policykg.ontology import namespaces as ns
from policykg.ontology.citations import CitationFacts
from policykg.ontology.departments import Department
from policykg.ontology.responsibilities import DepartmentFacts
from policykg.ontology.naming import SECTOR_BY_KEY
from policykg.ontology.places import place_of
from policykg.ontology.rdf_terms import (CV, DCTERMS, ELI, OA, ORG, POL, PROV, RDF, RDFS,
                                         SCHEMA, SKOS, XSD, lit, zh)


def empty_facts() -> dict:
    """A provision's entry in facts.json, before anything is found: the one place its keys
    are made.  departments: canonical names by role ("lead", "participants"); mentions:
    names of bodies the provision only mentions; targets: target rows (pipeline.exports'
    form: indicator, unit, target {value, comparator, year}, …); cites: citations
    {title, number, target, resolves_to}; aligned: {provision, doc, direction, kind,
    score}; and, on a task-table row, evidence_of: the body provision it restates."""
    return {"departments": {"lead": [], "participants": []}, "targets": [], "cites": [],
            "aligned": [], "mentions": []}


STATUS_LABELS = {"issued": "已印发", "draft": "征求意见稿"}
ROLE_LABELS = {"lead": "牵头", "participant": "配合 / 按职责分工负责"}
COMPARATOR_LABELS = {">=": "不低于（≥）", "<=": "不高于（≤）", "=": "等于", "~": "左右（≈）"}
COMPARISON_LABELS = {"below": "低于上级目标", "equal": "等于上级目标", "above": "高于上级目标",
                     "n/a": "数量随辖区规模而异，不比较"}
ORG_KIND_LABELS = {"department": "政府工作部门", "government": "人民政府", "party": "党委",
                   "collective": "集合主体", "other": "其他机构"}


@dataclass(frozen=True)
class _SpanTerms:
    """The terms of a span's triples, looked up once (rdflib namespace attributes are
    method calls)."""

    a: URIRef = RDF.type
    specific: URIRef = OA.SpecificResource
    source: URIRef = OA.hasSource
    selector: URIRef = OA.hasSelector
    position: URIRef = OA.TextPositionSelector
    start: URIRef = OA.start
    end: URIRef = OA.end
    quote: URIRef = OA.TextQuoteSelector
    exact: URIRef = OA.exact


_SPAN_TERMS = _SpanTerms()


class Builder:
    def __init__(self, docs: Sequence[Document]):
        self.docs = docs
        self.g = self.new_graph()
        self.spans: set[URIRef] = set()
        self.add = self.g.add
        self.by_id: dict[str, Provision] = {}
        self.doc_of: dict[str, Document] = {}
        for d in docs:
            for p in d.provisions:
                self.by_id[p.id] = p
                self.doc_of[p.id] = d
        self.by_file = {d.file: d for d in docs}
        self.keys = {d.file: d.meta.key for d in docs}     # doc_key hashes: computed once
        self.concepts: set[URIRef] = set()
        self.places: set[str] = set()
        self.facts: dict[str, dict] = {}

    @staticmethod
    def new_graph():
        g = Graph()
        ns.bind_prefixes(g)
        return g

    # ---- small helpers -----------------------------------------------------------------------
    def prov_iri(self, pid: str) -> URIRef:
        p, d = self.by_id[pid], self.doc_of[pid]
        return ns.provision_iri(self.keys[d.file], p.path)

    def concept(self, iri: URIRef, scheme: URIRef, label: str, notation: str | None = None) -> URIRef:
        if iri not in self.concepts:
            self.concepts.add(iri)
            self.add((iri, RDF.type, SKOS.Concept))
            self.add((iri, SKOS.inScheme, scheme))
            self.add((iri, SKOS.prefLabel, zh(label)))
            if notation:
                self.add((iri, SKOS.notation, Literal(notation)))
            if scheme not in self.concepts:
                self.concepts.add(scheme)
                self.add((scheme, RDF.type, SKOS.ConceptScheme))
        return iri

    def level(self, level: str | None) -> URIRef | None:
        if not level:
            return None
        return self.concept(ns.level_iri(level), ns.LEVEL_SCHEME, level_label(level),
                            level)

    def place(self, name: str | None, level: str | None = None,
              within: str | None = None) -> URIRef | None:
        if not name:
            return None
        iri = ns.place_iri(name)
        if name not in self.places:
            self.places.add(name)
            self.add((iri, RDF.type, DCTERMS.Location))
            self.add((iri, RDF.type, SCHEMA.AdministrativeArea))
            self.add((iri, SKOS.prefLabel, zh(name)))
            if level:
                self.add((iri, POL.adminLevel, self.level(level)))
        if within and within != name:
            self.add((iri, SCHEMA.containedInPlace, self.place(within, "provincial"
                                                               if within != "全国" else "national")))
        return iri

    def alignment_node(self, higher_key: str, lower_key: str, higher: URIRef,
                       lower: URIRef, kind: str, row: dict) -> URIRef:
        """One pol:Alignment (text reuse between provisions, or target to target)."""
        link = ns.alignment_iri(higher_key, lower_key, kind)
        self.add((link, RDF.type, POL.Alignment))
        self.add((link, POL["higher"], higher))
        self.add((link, POL["lower"], lower))
        self.add((link, DCTERMS.type, self.concept(ns.alignment_kind_iri(kind),
                                                   ns.ALIGNMENT_SCHEME, kind, kind)))
        if row.get("score") is not None:
            self.add((link, POL.score, lit(float(row["score"]))))
        if row.get("evidence"):
            self.add((link, POL.evidence, zh(str(row["evidence"]))))
        return link

    def span(self, doc: Document, start: int, end: int, quote: bool = True) -> URIRef:
        key = self.keys[doc.file]
        iri = ns.span_iri(key, start, end)
        if iri in self.spans:
            return iri
        self.spans.add(iri)
        add, t = self.add, _SPAN_TERMS      # a span per fact: the hottest method here
        add((iri, t.a, t.specific))
        add((iri, t.source, ns.doc_iri(key)))
        pos = ns.position_selector_iri(key, start, end)
        add((iri, t.selector, pos))
        add((pos, t.a, t.position))
        add((pos, t.start, lit(start)))
        add((pos, t.end, lit(end)))
        if quote:
            q = ns.quote_selector_iri(key, start, end)
            add((iri, t.selector, q))
            add((q, t.a, t.quote))
            add((q, t.exact, Literal(doc.source[start:end])))
        return iri

    def derived(self, fact: URIRef, pid: str, start: int, end: int) -> None:
        """Provenance: the fact comes from this provision and this stretch of the source."""
        doc = self.doc_of[pid]
        self.add((fact, PROV.wasDerivedFrom, self.prov_iri(pid)))
        self.add((fact, PROV.wasDerivedFrom, self.span(doc, start, end)))

    def fact_slot(self, pid: str) -> dict:
        if pid not in self.facts:
            self.facts[pid] = empty_facts()
        return self.facts[pid]

    # ---- documents and provisions -------------------------------------------------------------
    def documents(self, issuers: dict[str, Sequence[str]]) -> None:
        for doc in self.docs:
            meta = doc.meta
            d = ns.doc_iri(self.keys[doc.file])
            self.add((d, RDF.type, ELI.LegalResource))
            self.add((d, RDF.type, SCHEMA.Legislation))
            self.add((d, DCTERMS.title, zh(meta.title)))
            self.add((d, DCTERMS.identifier, Literal(meta.file)))
            if meta.number:
                self.add((d, ELI.id_local, Literal(meta.number)))
            for slug in issuers.get(meta.file, ()):
                self.add((d, ELI.passed_by, ns.department_iri(slug)))
            if meta.date:
                self.add((d, ELI.date_document, Literal(meta.date, datatype=XSD.date)))
            if meta.region:
                self.add((d, ELI.jurisdiction, self.place(meta.region, meta.level)))
            if meta.level:
                self.add((d, POL.adminLevel, self.level(meta.level)))
            self.add((d, POL.docStatus, self.concept(
                ns.status_iri(meta.status), ns.STATUS_SCHEME,
                STATUS_LABELS.get(meta.status, meta.status), meta.status)))
            if meta.period:
                self.add((d, DCTERMS.temporal, Literal(meta.period)))
            for p in doc.provisions:
                self.provision(doc, p, d)

    def provision(self, doc: Document, p: Provision, d: URIRef) -> None:
        key = self.keys[doc.file]
        iri = ns.provision_iri(key, p.path)
        self.add((iri, RDF.type, ELI.LegalResourceSubdivision))
        parent = ns.provision_iri(key, self.by_id[p.parent].path) if p.parent else d
        self.add((iri, ELI.is_part_of, parent))
        self.add((iri, POL.inDocument, d))
        self.add((iri, DCTERMS.identifier, Literal(p.id)))
        self.add((iri, ELI.type_subdivision, self.concept(
            ns.subdivision_type_iri(p.kind), ns.SUBDIVISION_SCHEME, kind_description(p.kind),
            p.kind)))
        if p.number:
            self.add((iri, ELI.number, Literal(p.number)))
        if p.heading:
            self.add((iri, DCTERMS.title, zh(p.heading)))
        if p.own_text:
            self.add((iri, SCHEMA.text, zh(p.own_text)))
        self.add((iri, SCHEMA.position, lit(p.order)))
        self.add((iri, PROV.wasDerivedFrom, self.span(doc, p.start, p.end, quote=False)))

    # ---- departments ----------------------------------------------------------------------------
    def departments(self, facts: DepartmentFacts) -> list[dict]:
        tasks, mentioned = self.responsibilities(facts)
        return self.department_nodes(facts.resolver, tasks, mentioned)

    def responsibilities(self, facts: DepartmentFacts
                         ) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
        """Who does what and who is named where; (tasks, provisions mentioning) by slug.

        One task, one responsibility: a task-table row's reading of a body provision's task
        (Responsibility.evidence_of) stays a participation of the row — its facts, its
        span — marked pol:evidenceOf the body provision's participation, which is derived
        from it; only the body provision's is a task of the department."""
        carried = {(r.provision, r.department): r for r in facts.responsibilities
                   if r.evidence_of is None}
        evidence = {(r.evidence_of, r.department): r.provision for r in facts.responsibilities
                    if (r.evidence_of, r.department) in carried}
        tasks: dict[str, list[dict]] = defaultdict(list)
        mentioned: dict[str, list[str]] = defaultdict(list)
        for r in facts.responsibilities:
            part = self.participation(r)
            self.add((part, RDF.type, CV.Participation))
            self.add((part, CV.role, self.concept(ns.role_iri(r.role), ns.ROLE_SCHEME,
                                                  ROLE_LABELS[r.role], r.role)))
            self.add((part, DCTERMS.description, zh(r.phrase)))
            self.add((self.prov_iri(r.provision), CV.hasParticipation, part))
            self.add((ns.department_iri(r.department), CV.playsRole, part))
            self.derived(part, r.source, r.start, r.end)
            slot = self.fact_slot(r.provision)
            key = "lead" if r.role == "lead" else "participants"
            if r.name not in slot["departments"][key]:
                slot["departments"][key].append(r.name)
            task = carried.get((r.evidence_of, r.department)) if r.evidence_of else None
            if task is not None:
                # the row is the evidence of the body provision's task, not a second task
                self.add((part, POL.evidenceOf, self.participation(task)))
                self.add((self.participation(task), PROV.wasDerivedFrom, part))
                slot["evidence_of"] = r.evidence_of
                continue
            p = self.by_id[r.provision]
            tasks[r.department].append({"provision": r.provision, "doc": p.doc, "role": r.role,
                                        "heading": p.heading, "written": r.written,
                                        "form": r.form,
                                        "evidence": evidence.get((r.provision, r.department))})
        for m in facts.mentions:
            ann = ns.mention_iri(self.keys[self.doc_of[m.provision].file], self.by_id[m.provision].path,
                                 m.department, m.start)
            dept = ns.department_iri(m.department)
            self.add((ann, RDF.type, OA.Annotation))
            self.add((ann, OA.motivatedBy, OA.identifying))
            self.add((ann, OA.hasBody, dept))
            doc = self.doc_of[m.provision]
            self.add((ann, OA.hasTarget, self.span(doc, m.start, m.end)))
            self.derived(ann, m.provision, m.start, m.end)
            self.add((self.prov_iri(m.provision), SCHEMA.mentions, dept))
            slot = self.fact_slot(m.provision)["mentions"]
            if m.name not in slot:
                slot.append(m.name)
            if m.provision not in mentioned[m.department]:
                mentioned[m.department].append(m.provision)
        return tasks, mentioned

    def participation(self, r) -> URIRef:
        """The IRI of a responsibility's cv:Participation."""
        return ns.participation_iri(self.keys[self.doc_of[r.provision].file],
                                    self.by_id[r.provision].path, r.department, r.role, r.start)

    def department_nodes(self, resolver, tasks: dict[str, list[dict]],
                         mentioned: dict[str, list[str]]) -> list[dict]:
        """Every department the resolver knows, with its line upward; the export rows."""
        rows = []
        for slug in sorted(resolver.departments):
            dept = resolver.departments[slug]
            aliases = resolver.alias_list(slug)
            self.department(dept, aliases)
            line, seen, up = [], {slug}, dept.superior
            while up and up not in seen and up in resolver.departments:
                seen.add(up)
                line.append(resolver.departments[up].name)
                up = resolver.departments[up].superior
            gov = resolver.departments.get(dept.government) if dept.government else None
            rows.append({
                "id": slug, "uri": str(ns.department_iri(slug)), "name": dept.name,
                "aliases": aliases, "level": dept.level, "region": dept.region,
                "parent": dept.government, "parent_name": gov.name if gov else None,
                "superior": dept.superior, "line": line, "kind": dept.kind,
                "sector": dept.sector, "resolved": dept.resolved, "tasks": tasks.get(slug, []),
                "mentions": mentioned.get(slug, [])})
        return rows

    def department(self, dept: Department, aliases: Iterable[str]) -> None:
        iri = ns.department_iri(dept.slug)
        self.add((iri, RDF.type, ORG.Organization))
        if dept.kind == "collective":
            self.add((iri, RDF.type, POL.CollectiveBody))
        else:
            self.add((iri, RDF.type, CV.PublicOrganisation))
        self.add((iri, SKOS.prefLabel, zh(dept.name)))
        self.add((iri, DCTERMS.identifier, Literal(dept.slug)))
        for alias in aliases:
            self.add((iri, SKOS.altLabel, zh(alias)))
        if dept.level:
            self.add((iri, POL.adminLevel, self.level(dept.level)))
        if dept.region:
            within = None
            if dept.level == "municipal" and dept.kind != "collective":
                place = place_of(dept.region, "municipal")
                within = place.province if place else None
            elif dept.level == "provincial":
                within = "全国"
            self.add((iri, DCTERMS.spatial, self.place(
                dept.region, dept.level if dept.kind != "collective" else None, within)))
        self.add((iri, ORG.classification, self.concept(
            ns.org_kind_iri(dept.kind), ns.ORG_KIND_SCHEME, ORG_KIND_LABELS[dept.kind], dept.kind)))
        if dept.sector:
            self.add((iri, ORG.classification, self.concept(
                ns.sector_iri(dept.sector), ns.SECTOR_SCHEME, SECTOR_BY_KEY[dept.sector].label,
                dept.sector)))
        if dept.government:
            self.add((iri, ORG.subOrganizationOf, ns.department_iri(dept.government)))
        if dept.superior:
            self.add((iri, POL.functionalSuperior, ns.department_iri(dept.superior)))

    # ---- citations -------------------------------------------------------------------------------
    def citations(self, facts: CitationFacts) -> list[dict]:
        targets: dict[str, URIRef] = {}
        for identity, cited in sorted(facts.cited.items()):
            if cited.resolves_to and cited.resolves_to in self.by_file:
                doc_node = ns.doc_iri(self.keys[cited.resolves_to])
                targets[identity] = doc_node
                if cited.number and not self.by_file[cited.resolves_to].meta.number:
                    # a 文号 the document does not print, known from those who cite it
                    self.add((doc_node, ELI.id_local, Literal(cited.number)))
                continue
            iri = ns.cited_document_iri(identity)
            targets[identity] = iri
            self.add((iri, RDF.type, ELI.LegalResource))
            self.add((iri, RDF.type, SCHEMA.Legislation))
            if cited.title:
                self.add((iri, DCTERMS.title, zh(cited.title)))
            if cited.number:
                self.add((iri, ELI.id_local, Literal(cited.number)))
        rows = []
        for c in facts.citations:
            target = targets[c.target]
            p_iri = self.prov_iri(c.provision)
            self.add((p_iri, ELI.cites, target))
            doc = self.doc_of[c.provision]
            ann = ns.citation_iri(self.keys[doc.file], self.by_id[c.provision].path, c.start)
            self.add((ann, RDF.type, OA.Annotation))
            self.add((ann, OA.motivatedBy, OA.linking))
            self.add((ann, OA.hasBody, target))
            self.add((ann, OA.hasTarget, self.span(doc, c.start, c.end)))
            if c.title:
                self.add((ann, DCTERMS.title, zh(c.title)))
            if c.number:
                self.add((ann, ELI.id_local, Literal(c.number)))
            self.derived(ann, c.provision, c.start, c.end)
            row = {"doc": c.doc, "provision": c.provision, "title": c.title,
                   "number": c.target_number, "target": str(target),
                   "resolves_to": c.resolves_to,
                   "cited_title": facts.cited[c.target].title, "start": c.start, "end": c.end}
            rows.append(row)
            self.fact_slot(c.provision)["cites"].append(
                {"title": c.title, "number": c.target_number, "target": str(target),
                 "resolves_to": c.resolves_to})
        return rows

    # ---- targets -------------------------------------------------------------------------------------
    def targets(self, targets: Sequence[Any]) -> tuple[list[dict], dict[int, URIRef]]:
        rows, iris = [], {}
        labelled: set[URIRef] = set()
        for t in targets:
            if t.provision not in self.by_id:
                continue
            doc = self.doc_of[t.provision]
            p = self.by_id[t.provision]
            iri = ns.target_iri(self.keys[doc.file], p.path, t.indicator_key, t.start)
            if (iri, RDF.type, POL.Target) in self.g:       # two figures in one passage
                iri = URIRef(f"{iri}-{_unit_slug(t.unit)}-{t.value}")
            iris[id(t)] = iri
            self.add((iri, RDF.type, POL.Target))
            self.add((iri, RDFS.label, zh(t.indicator)))
            concept = self.indicator(t, labelled)
            self.add((iri, POL.indicator, concept))
            value = ns.quantity_iri(iri, "target")
            self.quantity(value, t.value, t.unit, t.year, getattr(t, "upper", None))
            self.add((iri, POL.targetValue, value))
            if t.baseline_value is not None:
                base = ns.quantity_iri(iri, "baseline")
                self.quantity(base, t.baseline_value, t.unit, t.baseline_year)
                self.add((iri, POL.baselineValue, base))
            if t.baseline_year:
                # the year a change is measured from, also when no base value is written
                # ("比2020年提高3个百分点")
                self.add((iri, POL.baselineYear, Literal(str(t.baseline_year),
                                                         datatype=XSD.gYear)))
            if getattr(t, "relative", False):
                self.add((iri, POL.relative, Literal(True)))
            self.add((iri, POL.comparator, self.concept(
                ns.comparator_iri(t.comparator), ns.COMPARATOR_SCHEME,
                COMPARATOR_LABELS.get(t.comparator, t.comparator), t.comparator)))
            self.add((iri, POL.cumulative, Literal(bool(t.cumulative))))
            if t.attribute:
                self.add((iri, POL.attribute, zh(t.attribute)))
            self.derived(iri, t.provision, t.start, t.end)
            row = t.to_export()
            row.update(indicator_key=t.indicator_key, uri=str(iri),
                       indicator_uri=str(concept))
            rows.append(row)
            export = {k: v for k, v in t.to_export().items() if k not in ("doc", "provision")}
            self.fact_slot(t.provision)["targets"].append(export)
        return rows, iris

    def indicator(self, t: Any, labelled: set[URIRef]) -> URIRef:
        """The indicator concept: labelled as first written, other wordings as altLabel."""
        concept = ns.indicator_iri(t.indicator_key)
        if concept not in labelled:
            labelled.add(concept)
            self.concept(concept, ns.INDICATOR_SCHEME, t.indicator)
        elif (concept, SKOS.prefLabel, zh(t.indicator)) not in self.g:
            self.add((concept, SKOS.altLabel, zh(t.indicator)))
        return concept

    def quantity(self, iri: URIRef, value: float, unit: str | None, year: int | None,
                 upper: float | None = None) -> None:
        self.add((iri, RDF.type, SCHEMA.QuantitativeValue))
        self.add((iri, SCHEMA.value, lit(float(value))))
        if upper is not None:
            self.add((iri, SCHEMA.maxValue, lit(float(upper))))
        if unit:
            self.add((iri, SCHEMA.unitText, Literal(unit)))
        if year:
            self.add((iri, DCTERMS.date, Literal(str(year), datatype=XSD.gYear)))

    # ---- alignments -------------------------------------------------------------------------------------
    def alignments(self, alignments: Sequence[Any], target_alignments: Sequence[Any],
                   target_iris: dict[int, URIRef]) -> list[dict]:
        rows = []
        for a in alignments:
            row = _alignment_row(a)
            higher, lower = row["higher"], row["lower"]
            if higher not in self.by_id or lower not in self.by_id:
                continue
            kind = row.get("kind") or "text"
            h, l = self.prov_iri(higher), self.prov_iri(lower)
            link = self.alignment_node(higher, lower, h, l, kind, row)
            self.add((l, POL.localises, h))
            for side, pid in (("higher", higher), ("lower", lower)):
                span = _span_of(a, side) or (self.by_id[pid].start, self.by_id[pid].end)
                self.derived(link, pid, *span)
            row.update(higher_doc=self.by_id[higher].doc, lower_doc=self.by_id[lower].doc)
            rows.append(row)
            self._aligned(higher, lower, kind, row.get("score"))
        for ta in target_alignments:
            ht, lt = ta.higher, ta.lower
            hi, li = target_iris.get(id(ht)), target_iris.get(id(lt))
            if hi is None or li is None:
                continue
            row = ta.to_export()
            kind = row.get("kind") or "target"
            link = self.alignment_node(str(hi), str(li), hi, li, kind, row)
            self.add((li, POL.alignsWithTarget, hi))
            comparison = getattr(ta, "comparison", None)
            if comparison:
                self.add((link, POL.comparison, self.concept(
                    ns.comparison_iri(comparison), ns.COMPARISON_SCHEME,
                    COMPARISON_LABELS.get(comparison, comparison), comparison)))
            self.derived(link, ht.provision, ht.start, ht.end)
            self.derived(link, lt.provision, lt.start, lt.end)
            row.setdefault("higher_target", str(hi))
            row.setdefault("lower_target", str(li))
            row.update(higher_doc=ht.doc, lower_doc=lt.doc)
            rows.append(row)
            self._aligned(ht.provision, lt.provision, kind, row.get("score"))
        return rows

    def _aligned(self, higher: str, lower: str, kind: str, score) -> None:
        for me, other, direction in ((lower, higher, "higher"), (higher, lower, "lower")):
            slot = self.fact_slot(me)["aligned"]
            entry = {"provision": other, "doc": self.by_id[other].doc, "direction": direction,
                     "kind": kind, "score": score}
            if entry not in slot:
                slot.append(entry)


def _unit_slug(unit: str | None) -> str:
    from urllib.parse import quote
    return quote(unit or "n", safe="")


def _alignment_row(a: Any) -> dict:
    """An alignment record (ontology.alignment) as an export row: higher, lower, kind, score,
    evidence."""
    if hasattr(a, "to_export"):
        row = dict(a.to_export())
    elif isinstance(a, dict):
        row = dict(a)
    else:
        row = {k: getattr(a, k, None) for k in ("higher", "lower", "kind", "score", "evidence")}
    for side in ("higher", "lower"):
        v = row.get(side)
        if not isinstance(v, str) and v is not None:
            row[side] = getattr(v, "id", None) or getattr(v, "provision", None) or v
    return row


def _span_of(a: Any, side: str) -> tuple[int, int] | None:
    """The source span of one side of an alignment, where the record gives one."""
    for name in (f"{side}_span", f"{side}_source_span"):
        v = getattr(a, name, None)
        if v and len(v) == 2 and all(isinstance(x, int) for x in v):
            return int(v[0]), int(v[1])
    spans = getattr(a, "spans", None)
    if isinstance(spans, dict) and spans.get(side):
        v = spans[side]
        if len(v) == 2 and all(isinstance(x, int) for x in v):
            return int(v[0]), int(v[1])
    if isinstance(spans, (tuple, list)) and len(spans) == 2:
        v = spans[0 if side == "higher" else 1]
        if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(x, int) for x in v):
            return int(v[0]), int(v[1])
    return None
