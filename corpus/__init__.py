"""Stage 1 of the pipeline: read policy documents, clean them, cut them into provisions.

`load_corpus()` gives every bundled document segmented into its provision tree;
`segment_document()` does the same for one text.  The one jieba tokenizer that indexing
and querying share lives in `corpus.tokenize`.
"""
from policykg.corpus.records import DocumentMeta, Provision, Document, doc_key
from policykg.corpus.manifest import load_manifest, bundled_dir
from policykg.corpus.segment import segment_document
from policykg.corpus.loader import load_corpus, load_document

__all__ = [
    "DocumentMeta", "Provision", "Document", "doc_key",
    "load_manifest", "bundled_dir", "segment_document", "load_corpus", "load_document",
]
