#!/usr/bin/env bash
# The benchmarks in one command: sets up .venv with the project and its `bench` extra
# (psutil, pyinstrument, rjieba, oxrdflib, matplotlib) and Debian's wrk, then runs
# `python -m bench.run` with the given arguments (--quick: 5 and 200 documents).
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/setup.sh
setup_venv "[bench]"
command -v wrk >/dev/null 2>&1 || apt_install wrk
exec .venv/bin/python -m bench.run "$@"
