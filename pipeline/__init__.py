"""Stage 4: the build that runs the corpus through the ontology and the indexer into a data
folder of immutable generations; add and remove; the per-generation catalog, exports and
evaluation."""
