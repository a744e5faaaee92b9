"""web.settings: each setting declared once; env reading, flags and README's table follow."""
from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from policykg.indexer.query import Limits as QueryLimits
from policykg.indexer.results import SearchOptions
from policykg.ontology.sparql import Limits as SparqlLimits
from policykg.web import settings as st
from policykg.web.cli import cli
from policykg.web.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WITH_ENV = [f for f in st.declarations() if f.metadata["env"]]


def _written(f) -> tuple[str, object]:
    """A valid value of a setting as an environment variable writes it, and as read."""
    kind, choices = st.value_type(f.name), f.metadata["choices"]
    if typing.get_origin(kind) is tuple:
        return ",".join(choices), tuple(choices)
    if choices:
        return choices[-1], choices[-1]
    if kind is bool:
        return "1", True
    if kind is Path:
        return "/tmp/somewhere", Path("/tmp/somewhere")
    return {int: ("7", 7), float: ("2.5", 2.5), str: ("x", "x")}[kind]


@pytest.mark.parametrize("f", WITH_ENV, ids=[f.name for f in WITH_ENV])
def test_every_declared_variable_is_read(f, monkeypatch, tmp_path):
    text, value = _written(f)
    monkeypatch.setenv(f.metadata["env"], text)
    settings = Settings.from_env(data_dir=None if f.name == "data_dir" else tmp_path)
    assert getattr(settings, f.name) == value


def test_flags_win_over_the_environment_and_bad_values_fail(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICYKG_WORKERS", "3")
    assert Settings.from_env(data_dir=tmp_path).workers == 3
    assert Settings.from_env(data_dir=tmp_path, workers=2).workers == 2
    for var, text in (("POLICYKG_WORKERS", "-1"), ("POLICYKG_WORKERS", "many"),
                      ("POLICYKG_ENGINE", "lucene"), ("POLICYKG_INDEX_ENGINES", "whoosh,solr")):
        monkeypatch.setenv(var, text)
        with pytest.raises(ValueError, match=var):
            Settings.from_env(data_dir=tmp_path)
        monkeypatch.delenv(var)


def test_the_components_defaults_are_the_settings_defaults(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.search_options() == SearchOptions() and s.sparql_limits() == SparqlLimits()
    assert s.search_options().limits == QueryLimits()


@pytest.mark.parametrize("command", ["policykg", "serve", "build", "eval"])
def test_each_command_takes_the_flags_declared_for_it(command):
    click_command = cli if command == "policykg" else cli.commands[command]
    given = {opt for p in click_command.params for opt in p.opts}
    declared = {flag for _, flag in st.flag_options(command)}
    assert declared and declared <= given
    # the flags the command line always had
    assert {"policykg": {"--data"}, "serve": {"--host", "--port", "--workers", "--store",
                                                 "--sparql-store"},
            "build": {"--engine"}, "eval": {"--eval-dir"}}[command] <= declared


def test_no_module_reads_the_environment_but_settings():
    readers = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[")
    offenders = [str(p.relative_to(ROOT)) for pkg in ("corpus", "ontology", "indexer", "web")
                 for p in (ROOT / pkg).rglob("*.py")
                 if p.name != "settings.py" and readers.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_readme_carries_the_table_of_settings():
    assert st.markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")
