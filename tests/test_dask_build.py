"""`policykg build --scheduler local:2`: the documents read, segmented and extracted on a
Dask LocalCluster of two worker processes; every export and the graph equal the
in-process build's (the session's `built`)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from policykg.pipeline import exports
from policykg.pipeline.cluster import Scheduler, SchedulerError, parse_scheduler
from policykg.pipeline.datadir import DataDir
from policykg.pipeline.generation import Generation


def _cli(data, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
    return subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=240, env=env)


@pytest.fixture(scope="module")
def dask_built(tmp_path_factory):
    data = tmp_path_factory.mktemp("dask-data")
    done = _cli(data, "build", "--scheduler", "local:2", "--engine", "tantivy")
    assert done.returncode == 0, done.stderr[-2000:]
    return Generation(DataDir(data).require_current())


@pytest.mark.parametrize("kind", sorted(exports.EXPORTS))
def test_every_export_equals_the_in_process_build(kind, built, dask_built):
    _, reference = built
    expected = list(exports.EXPORTS[kind](reference))
    got = list(exports.EXPORTS[kind](dask_built))
    assert expected, kind
    # as `policykg export` writes them, line for line
    assert list(exports.to_jsonl(got)) == list(exports.to_jsonl(expected))


def test_the_graph_is_isomorphic(built, dask_built):
    _, reference = built
    expected = Graph().parse(data=exports.rdf_export(reference, "nt"), format="nt")
    got = Graph().parse(data=exports.rdf_export(dask_built, "nt"), format="nt")
    assert len(got) == len(expected) > 10_000
    assert isomorphic(got, expected)


def test_the_build_says_it_was_built_whole(built, dask_built):
    _, reference = built
    for key in ("documents", "provisions"):
        assert dask_built.meta[key] == reference.meta[key]


def test_scheduler_values():
    assert parse_scheduler("") is None
    assert parse_scheduler("local") == Scheduler(workers=2)
    assert parse_scheduler("local:3") == Scheduler(workers=3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == Scheduler(address="tcp://10.0.0.5:8786")
    for bad in ("local:0", "dask", "tcp://host", "http://host:8786"):
        with pytest.raises(SchedulerError):
            parse_scheduler(bad)


def test_a_bad_scheduler_is_one_line_and_builds_nothing(tmp_path):
    done = _cli(tmp_path / "data", "build", "--scheduler", "yarn")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: --scheduler takes local")
    assert "Traceback" not in done.stderr
    assert DataDir(tmp_path / "data").current() is None
