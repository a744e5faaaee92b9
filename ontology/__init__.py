"""Stage 2: the vocabulary, extraction of departments, targets, citations and alignment,
the RDF graph built from them and the queries that read it."""
