"""Stage 3: the full-text index over provisions and their graph facts: analysis, the query
language, the engines (whoosh, tantivy) and ranked, faceted, highlighted results."""
