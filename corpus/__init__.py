"""Stage 1 of the pipeline: read policy documents, clean them, cut them into provisions.

`load_corpus()` gives every bundled document segmented into its provision tree;
`segment_document()` does the same for one text.  The one jieba tokenizer that indexing
and querying share lives in `corpus.tokenize`.
"""
from corpus.records import DocumentMeta, Provision, Document, doc_key
from corpus.manifest import load_manifest, bundled_dir
from corpus.segment import segment_document
from corpus.loader import load_corpus, load_document

__all__ = [
    "DocumentMeta", "Provision", "Document", "doc_key",
    "load_manifest", "bundled_dir", "segment_document", "load_corpus", "load_document",
]
