"""The `policykg` command line: thin, every command calls a library function."""
from __future__ import annotations

import dataclasses
import json
import sys
import typing
from pathlib import Path

import click

from policykg.corpus.vocabulary import LEVELS
from policykg.pipeline import exports as export_mod
from policykg.pipeline.build import build as run_build, stage_names
from policykg.pipeline.evaluate import evaluate, find_eval_dir, format_table
from policykg.pipeline.evaluate_wild import evaluate_wild, find_wild_dir, format_document, format_total
from policykg.pipeline.generation import Generation
from policykg.pipeline.datadir import NotBuilt, StoreBusy
from policykg.indexer.engines import serving_engine
from policykg.pipeline.datadir import MB, NoSpace
from policykg.ontology.diskstore import StoreWriteFailed
from policykg.ontology.virtuoso import IncompleteAnswer, VirtuosoUnavailable
from policykg.ontology.virtuoso_load import LoadFailed, SqlFailed
from policykg.ontology.virtuoso_server import VirtuosoFailed
from policykg.web.stores import data_dir, generation, graph_server, run_query
from policykg.web.settings import Settings, env_value, flag_help, flag_options, value_type
from policykg.ontology.sparql import FORM_NAMES, format_for, serialize
from policykg.indexer.results import render_text
from policykg.web.app import create_app
from policykg.web.server import default_workers, serve as run_server
from policykg.pipeline.update import STEPS
from policykg.pipeline.ingest import add_document, read_candidate
from policykg.pipeline.ingest import remove_document

# Errors a user can act on: shown as one line, never as a traceback.
# StoreWriteFailed: the graph store's loader (a child process) stopped, e.g. a full disk;
# its one-line reason is the message, and the build left nothing behind.
# The Virtuoso errors: the server missing, unreachable or refusing, a load it failed, an
# answer it cut short.
USER_ERRORS: tuple[type[BaseException], ...] = (StoreBusy, NotBuilt, NoSpace, FileNotFoundError,
                                                 PermissionError, ValueError, StoreWriteFailed,
                                                 VirtuosoFailed, VirtuosoUnavailable, LoadFailed,
                                                 SqlFailed, IncompleteAnswer)


class Ctx:
    def __init__(self, data: Path | None):
        self.settings = Settings.from_env(data_dir=data)
        self.store = data_dir(self.settings)        # what a build or add must leave free on the disk (Settings.min_free_mb)
        self.store = dataclasses.replace(self.store, min_free=self.settings.min_free_mb * MB)

    def generation(self) -> Generation:
        return generation(self.settings, self.store.require_current())


pass_ctx = click.make_pass_decorator(Ctx)


def setting_options(command: str):
    """The flags of the settings `command` takes, as web.settings declares them: each
    passes its value under the setting's name, None (or ()) when not given."""
    def decorate(fn):
        for f, flag in reversed(list(flag_options(command))):
            fn = click.option(flag, f.name, help=flag_help(f), **_flag_kind(f))(fn)
        return fn
    return decorate


def _flag_kind(f) -> dict:
    kind, choices, minimum = value_type(f.name), f.metadata["choices"], f.metadata["minimum"]
    multiple = typing.get_origin(kind) is tuple
    if choices:
        kind = click.Choice(choices)
    elif kind is Path:
        kind = click.Path(file_okay=False, path_type=Path)
    elif minimum is not None:
        kind = click.IntRange(min=minimum) if kind is int else click.FloatRange(min=minimum)
    return {"type": kind, "multiple": multiple, "default": () if multiple else None}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@setting_options("policykg")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """政策图谱 — search and knowledge graph over Chinese policy texts."""
    ctx.obj = Ctx(data_dir)


def do_build(ctx: Ctx, quiet: bool = False, engines: tuple[str, ...] = (),
             scheduler: str | None = None) -> dict:
    """A full build, indexed for `engines` (default: Settings.build_engines), its
    documents read and extracted on `scheduler` (default: Settings.scheduler)."""
    names = stage_names()
    with click.progressbar(length=len(names), label="building", file=sys.stderr,
                           show_pos=True, item_show_func=lambda s: s) as bar:
        def step(name: str) -> None:
            bar.update(1, name)
        meta = run_build(ctx.store, step=step, engines=engines or ctx.settings.build_engines,
                         scheduler=ctx.settings.scheduler if scheduler is None else scheduler)
    if not quiet:
        click.echo(f"built {meta['generation']}: {meta['documents']} documents, "
                   f"{meta['provisions']} provisions in {meta['seconds']} s "
                   f"→ {ctx.store.root}")
    return meta


@cli.command()
@setting_options("build")
@pass_ctx
def build(ctx: Ctx, index_engines: tuple[str, ...], scheduler: str | None) -> None:
    """Build the graph and the index from the corpus (atomically, as a new generation)."""
    with graph_server(ctx.settings):
        do_build(ctx, engines=index_engines, scheduler=scheduler)


@cli.command()
@click.argument("what", type=click.Choice(sorted([*export_mod.EXPORTS, "graph"])))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "ttl", "jsonld", "nt"]),
              default=None, help="Rows: jsonl (default) or csv.  graph: ttl (default), "
                                 "jsonld or nt.")
@pass_ctx
def export(ctx: Ctx, what: str, fmt: str | None) -> None:
    """Export documents, provisions, departments, targets, citations, alignments (one row
    per line), or the whole RDF graph (`export graph --format ttl|jsonld|nt`)."""
    if what == "graph":
        fmt = fmt or "ttl"
        if fmt not in export_mod.RDF_FORMATS:
            raise click.UsageError("export graph takes --format ttl, jsonld or nt")
        with graph_server(ctx.settings):
            click.echo(export_mod.rdf_export(ctx.generation(), fmt), nl=False)
        return
    fmt = fmt or "jsonl"
    if fmt not in ("jsonl", "csv"):
        raise click.UsageError(f"export {what} takes --format jsonl or csv")
    rows = export_mod.EXPORTS[what](ctx.generation())
    writer = export_mod.to_jsonl if fmt == "jsonl" else export_mod.to_csv
    for chunk in writer(rows):
        click.echo(chunk, nl=False)


@cli.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(sorted({n for names in FORM_NAMES.values() for n in names})), default="json",
              show_default=True,
              help="SELECT / ASK: json (SPARQL 1.1 results), csv, tsv or xml; "
                   "CONSTRUCT / DESCRIBE: json (JSON-LD), ttl, nt or rdfxml.")
@setting_options("sparql")
@pass_ctx
def sparql(ctx: Ctx, query: str, fmt: str, **flags) -> None:
    """Run a read-only SPARQL query (QUERY, or @FILE to read it from a file) on the graph,
    as the /sparql endpoint runs it: the same guard, time limit and row limit."""
    settings = Settings.from_env(data_dir=ctx.settings.data_dir, **flags)
    if query.startswith("@"):
        query = read_query_file(Path(query[1:]), settings.sparql_max_chars)
    with graph_server(settings):
        result = run_query(settings, generation(settings, ctx.store.require_current()), query)
    click.echo(serialize(result, format_for(result.kind, fmt)), nl=False)    # bytes: as they are
    if result.truncated:
        click.echo(f"note: the answer was cut at {settings.sparql_max_rows} rows "
                   "(--sparql-max-rows)", err=True)


def read_query_file(path: Path, max_chars: int) -> str:
    """A query from a file, reading no more than the longest query allowed (UTF-8: four
    bytes a character at most): @/dev/zero or a FIFO would otherwise be read without end."""
    with path.open("rb") as fh:
        data = fh.read(max_chars * 4 + 1)
    text = data.decode("utf-8", errors="replace")
    if len(data) > max_chars * 4 or len(text) > max_chars:
        raise ValueError(f"{path}: the query is longer than {max_chars} characters "
                         "(the sparql_max_chars setting)")
    return text


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--level", multiple=True, help=f"{', '.join(LEVELS[:-1])} or {LEVELS[-1]}.")
@click.option("--doc", multiple=True, help="Document: file name, key, number prefix or title words.")
@click.option("--dept", multiple=True, help="Department, full or short name (市人社局).")
@click.option("--kind", multiple=True, help="section, item, table_row, box, …")
@click.option("--year", multiple=True, help="Target or mentioned year, or a range 2021-2025.")
@click.option("--issuer", multiple=True, help="Issuing body of the document (全称或简称).")
@click.option("--date", multiple=True, help="Year of the document's date, or a range 2021-2022.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="date: newest document first.")
@click.option("--limit", "-n", type=int, default=10, show_default=True, help="Hits per page.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def search(ctx: Ctx, query: tuple[str, ...], limit: int, page: int, as_json: bool, sort: str,
           **filters) -> None:
    """Search the provisions: words, "phrases", OR, -word, level: doc: dept: kind: year:
    issuer: date:."""
    result = ctx.generation().searcher.search(
        " ".join(query), filters={k: v for k, v in filters.items() if v}, page=page,
        page_size=limit, options=ctx.settings.search_options(), sort=sort)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    for line in render_text(result, mark=lambda t: click.style(t, fg="red", bold=True)):
        click.echo(line)


@cli.command("eval")
@setting_options("eval")
@click.option("--verbose", "-v", is_flag=True, help="List every miss.")
@click.option("--no-wild", is_flag=True, help="Skip the wild documents (eval/wild/).")
@click.option("--one-by-one", is_flag=True,
              help="Add the wild documents one at a time (slower) instead of one build.")
@click.option("--no-cache", is_flag=True,
              help="Build the wild scratch corpus afresh and keep nothing (by default it is "
                   "kept under a hash of the code and inputs, and reused while they match).")
@pass_ctx
def eval_cmd(ctx: Ctx, eval_dir: Path | None, verbose: bool, no_wild: bool,
             one_by_one: bool, no_cache: bool) -> None:
    """Score the build against the hand-checked facts in ../shared/eval, and the wild
    documents (eval/wild/), added with no flags to a scratch corpus, against theirs.

    Printed: one table per wild document, the bundled table, then the wild total."""
    folder = find_eval_dir(eval_dir or ctx.settings.eval_dir)
    if folder is None:
        click.echo("no evaluation data found (../shared/eval); nothing to score")
        return
    # The bundled table needs this data folder's build, the wild part does not: with
    # nothing built the wild part is still scored, and the command fails at the end.
    try:
        bundled, unbuilt = format_table(evaluate(ctx.generation(), folder), verbose=verbose), None
    except NotBuilt as exc:
        bundled, unbuilt = f"  {exc}", exc
    wild = None if no_wild else find_wild_dir(folder)
    report = None
    if wild is not None:
        click.echo(f"adding the wild documents ({wild}) to a scratch corpus…", err=True)
        report = evaluate_wild(wild, ctx.settings.max_upload_bytes,
                               engines=ctx.settings.build_engines,
                               search_engine=ctx.settings.search_engine, one_by_one=one_by_one,
                               cache=not no_cache)
        for result in report.results:
            click.echo(format_document(result, verbose=verbose))
        click.echo("bundled corpus (this data folder's build):")
    click.echo(bundled)
    if report is not None:
        click.echo(format_total(report))
    if unbuilt is not None:
        raise unbuilt


@cli.command()
@setting_options("serve")
@pass_ctx
def serve(ctx: Ctx, **flags) -> None:
    """Serve the web UI and API with a production WSGI server (builds first if needed)."""

    settings = Settings.from_env(data_dir=ctx.settings.data_dir, **flags)
    if not settings.workers:
        settings = dataclasses.replace(settings, workers=default_workers())
    # --store counts for the build too
    ctx.settings = settings
    ctx.store = dataclasses.replace(data_dir(settings), min_free=ctx.store.min_free)
    # the graph's server (policykg's own Virtuoso) runs until the server stops
    with graph_server(settings):
        if ctx.store.current() is None:
            do_build(ctx)
        # whoosh asked of a tantivy-only generation: refused here, in one line
        serving_engine(ctx.store.require_current(), settings.search_engine)
        url = f"http://{settings.host}:{settings.port}/"
        run_server(settings, lambda: create_app(settings), on_ready=lambda: click.echo(
            f"serving {ctx.store.root} at {url} ({settings.workers} workers × "
            f"{settings.threads} threads)"))


# ---- add / remove: thin wrappers over pipeline.ingest --------------------------------------------

def _progress(label: str):
    """A progress bar over the steps of an add or remove, and the callback that advances it.

    An add is incremental (pipeline.update.STEPS) unless it falls back to a full build
    (stage_names()); the bar is sized for the longer of the two so it never overshoots.
    """
    bar = click.progressbar(length=max(len(stage_names()), len(STEPS)), label=label,
                            file=sys.stderr,
                            show_pos=True, item_show_func=lambda s: s)
    return bar, (lambda name: bar.update(1, name))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--title", help="Title (default: read from the text).")
@click.option("--level", type=click.Choice(LEVELS),
              help="Administrative level (default: from the issuers, 文号, title or body).")
@click.option("--region", help="Region, e.g. 东莞市, 浏阳市, 北京市朝阳区 (default: from the text).")
@click.option("--issuer", help="Issuing body; co-issuers separated by 、 (default: from the text).")
@click.option("--number", help="文号, e.g. 江人社发〔2023〕15号 (default: read from the text).")
@click.option("--date", help="Issuing date, 2023-03-08 or 2023年3月8日 (default: from the text).")
@click.option("--status", type=click.Choice(["issued", "draft"]), help="Default: from the text.")
@click.option("--wait", is_flag=True, help="Wait for a running build or add instead of refusing.")
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
@pass_ctx
def add(ctx: Ctx, file: Path, wait: bool, dry_run: bool, **given) -> None:
    """Add a policy document (.txt, .md, .html, .docx, .pdf) and rebuild."""
    candidate = read_candidate(file, ctx.settings.max_upload_bytes, given=given)
    bar, step = _progress("adding")
    with bar, graph_server(ctx.settings):
        result = add_document(ctx.store, candidate, step=step, wait=wait, dry_run=dry_run)
    if result.inferred is None:            # unchanged, restored (or would be)
        click.echo(f"{result.status}: {file.name}: {result.message}")
        return
    verb = "would add" if result.status == "dry-run" else "added"
    # The first line says what was inferred; what the text left open is a warning each.
    click.echo(f"{verb} {file.name} as {result.file} ({result.read.describe()}; "
               f"{result.provisions} provisions): {result.inferred.summary()}")
    for warning in result.inferred.warnings():
        click.echo(f"warning: {warning}", err=True)
    for line in result.inferred.report():
        click.echo(f"  {line}")
    if result.generation:
        click.echo(f"built {result.generation['generation']}: "
                   f"{result.generation['documents']} documents → {ctx.store.root}")


@cli.command()
@click.argument("doc")
@click.option("--wait", is_flag=True, help="Wait for a running build or add instead of refusing.")
@pass_ctx
def remove(ctx: Ctx, doc: str, wait: bool) -> None:
    """Take a document out (by file name, key or 文号) and rebuild."""
    bar, step = _progress("removing")
    with bar, graph_server(ctx.settings):
        result = remove_document(ctx.store, doc, step=step, wait=wait)
    kind = "bundled document" if result.bundled else "document"
    click.echo(f"removed {kind} {result.file} ({result.title}); built "
               f"{result.generation['generation']}: {result.generation['documents']} documents")


def main() -> None:
    """Entry point: user errors as one line and exit code 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except USER_ERRORS as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # the last guard: a bug, reported in one line
        if env_value("debug"):
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {exc} "
                   "(set POLICYKG_DEBUG=1 for the details)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
