"""Stage 4: the Flask app (JSON API, SPARQL endpoint, HTML pages) and the command line."""
