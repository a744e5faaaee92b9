"""The `policykg` command line: thin, every command calls a library function."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from indexer import exports as export_mod
from indexer.build import build as run_build, stage_names
from indexer.evaluate import evaluate, find_eval_dir, format_table
from indexer.generation import Generation
from indexer.store import DataDir, NotBuilt, StoreBusy
from web.settings import Settings

# Errors a user can act on: shown as one line, never as a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (StoreBusy, NotBuilt, FileNotFoundError,
                                                 PermissionError, ValueError)


class Ctx:
    def __init__(self, data: Path | None):
        self.settings = Settings.from_env(data_dir=data)
        self.store = DataDir(self.settings.data_dir)

    def generation(self) -> Generation:
        return Generation(self.store.require_current())


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data folder (default: $POLICYKG_DATA or ~/.local/share/policykg).")
@click.pass_context
def cli(ctx: click.Context, data: Path | None) -> None:
    """政策图谱 — search and knowledge graph over Chinese policy texts."""
    ctx.obj = Ctx(data)


def do_build(ctx: Ctx, quiet: bool = False) -> dict:
    names = stage_names()
    with click.progressbar(length=len(names), label="building", file=sys.stderr,
                           show_pos=True, item_show_func=lambda s: s) as bar:
        def step(name: str) -> None:
            bar.update(1, name)
        meta = run_build(ctx.store, step=step)
    if not quiet:
        click.echo(f"built {meta['generation']}: {meta['documents']} documents, "
                   f"{meta['provisions']} provisions in {meta['seconds']} s "
                   f"→ {ctx.store.root}")
    return meta


@cli.command()
@pass_ctx
def build(ctx: Ctx) -> None:
    """Build the graph and the index from the corpus (atomically, as a new generation)."""
    do_build(ctx)


@cli.command()
@click.argument("what", type=click.Choice(sorted(export_mod.EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@pass_ctx
def export(ctx: Ctx, what: str, fmt: str) -> None:
    """Export documents, provisions, departments, … one row per line."""
    rows = export_mod.EXPORTS[what](ctx.generation())
    writer = export_mod.to_jsonl if fmt == "jsonl" else export_mod.to_csv
    for chunk in writer(rows):
        click.echo(chunk, nl=False)


@cli.command("eval")
@click.option("--eval-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of evaluation files (default: ../shared/eval).")
@click.option("--verbose", "-v", is_flag=True, help="List every miss.")
@pass_ctx
def eval_cmd(ctx: Ctx, eval_dir: Path | None, verbose: bool) -> None:
    """Score the build against the hand-checked facts in ../shared/eval."""
    folder = find_eval_dir(eval_dir)
    if folder is None:
        click.echo("no evaluation data found (../shared/eval); nothing to score")
        return
    click.echo(format_table(evaluate(ctx.generation(), folder), verbose=verbose))


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5000).")
@pass_ctx
def serve(ctx: Ctx, host: str | None, port: int | None) -> None:
    """Serve the web UI and API with a production WSGI server (builds first if needed)."""
    from waitress import serve as waitress_serve
    from web.app import create_app

    settings = Settings.from_env(data_dir=ctx.settings.data_dir, host=host, port=port)
    if ctx.store.current() is None:
        do_build(ctx)
    app = create_app(settings)
    click.echo(f"serving {ctx.store.root} at http://{settings.host}:{settings.port}/")
    waitress_serve(app, host=settings.host, port=settings.port, threads=settings.threads,
                   ident="policykg")


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
        if os.environ.get("POLICYKG_DEBUG"):
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {exc} "
                   "(set POLICYKG_DEBUG=1 for the details)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
