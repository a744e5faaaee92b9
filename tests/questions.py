"""The questions officials ask of the graph, written as the SPARQL a person would send to
/sparql, with names from the bundled corpus: which department owns which task (lead or
participating) and its line upward, one indicator's targets at every level, which lower
provisions take up a national one (directly or through the province), and one
provision's facts.  The store tests ask each of every graph store and compare answers
(labels are ordered by STR(): Virtuoso orders long language-tagged strings by a prefix)."""
from __future__ import annotations

from policykg.ontology.namespaces import department_iri

DONGGUAN_HRSS = department_iri("东莞市/hrss")
GUANGDONG_EDU = department_iri("广东省/education")

# A department's tasks: every provision it leads or joins, a task once (a task-table row's
# participation that is evidence of a body provision's is not a task of its own).
TASKS = """SELECT ?provision ?id ?role ?doc ?level WHERE {
  <%s> cv:playsRole ?part . ?part cv:role/skos:notation ?role .
  FILTER NOT EXISTS { ?part pol:evidenceOf ?task }
  ?provision cv:hasParticipation ?part ; dcterms:identifier ?id ; pol:inDocument ?d .
  ?d dcterms:identifier ?doc . OPTIONAL { ?d pol:adminLevel/skos:notation ?level }
} ORDER BY ?doc ?id ?role"""

QUESTIONS = [
    TASKS % DONGGUAN_HRSS,
    TASKS % GUANGDONG_EDU,
    # a department found by any of its names
    """SELECT ?d ?how WHERE { ?d a org:Organization .
  { ?d skos:prefLabel ?n . BIND("name" AS ?how) } UNION { ?d skos:altLabel ?n . BIND("alias" AS ?how) }
  FILTER(STR(?n) = "东莞市人社局" || STR(?n) = "广东省教育厅") } ORDER BY ?d ?how""",
    # its functional line upward
    """SELECT ?up ?name ?level WHERE { <%s> pol:functionalSuperior+ ?up .
  ?up skos:prefLabel ?name . OPTIONAL { ?up pol:adminLevel/skos:notation ?level } }
  ORDER BY ?level ?up""" % DONGGUAN_HRSS,
    # one indicator at every level, each lower target with the higher one it compares to
    """SELECT ?target ?level ?value ?unit ?comparator ?higher ?comparison WHERE {
  ?c skos:prefLabel ?label . FILTER(STR(?label) = "高级工班以上在校生比例")
  ?target pol:indicator ?c ; pol:targetValue ?q ; pol:comparator/skos:notation ?comparator ;
          prov:wasDerivedFrom/pol:inDocument/pol:adminLevel/skos:notation ?level .
  ?q schema:value ?value . OPTIONAL { ?q schema:unitText ?unit }
  OPTIONAL { ?a a pol:Alignment ; pol:lower ?target ; pol:higher ?higher .
             OPTIONAL { ?a pol:comparison/skos:notation ?comparison } }
} ORDER BY ?target ?higher""",
    # every lower provision that takes up a national one, directly or through the province
    """SELECT DISTINCT ?national ?lower ?level WHERE {
  ?national pol:inDocument/pol:adminLevel/skos:notation "national" .
  ?lower pol:localises+ ?national ; pol:inDocument/pol:adminLevel/skos:notation ?level .
} ORDER BY ?national ?lower""",
    # one provision's facts: departments, targets, citations, alignments, mentions
    """SELECT ?id ?name ?role WHERE { ?p dcterms:identifier ?id ; cv:hasParticipation ?part .
  ?part cv:role/skos:notation ?role . ?d cv:playsRole ?part ; skos:prefLabel ?name }
  ORDER BY ?id STR(?name) ?role""",
    """SELECT ?p ?target ?value ?year ?comparator WHERE { ?target a pol:Target ;
  prov:wasDerivedFrom ?p ; pol:targetValue ?q ; pol:comparator/skos:notation ?comparator .
  ?q schema:value ?value . OPTIONAL { ?q dcterms:date ?year } } ORDER BY ?target ?p""",
    """SELECT ?p ?cited ?title ?number WHERE { ?p eli:cites ?cited .
  OPTIONAL { ?cited dcterms:title ?title } OPTIONAL { ?cited eli:id_local ?number } }
  ORDER BY ?p ?cited""",
    """SELECT ?higher ?lower ?score WHERE { ?a a pol:Alignment ; pol:higher ?higher ;
  pol:lower ?lower . OPTIONAL { ?a pol:score ?score } } ORDER BY ?higher ?lower""",
    """SELECT ?p ?name WHERE { ?p schema:mentions ?d . ?d skos:prefLabel ?name }
  ORDER BY ?p STR(?name)""",
]
