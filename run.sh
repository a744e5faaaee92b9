#!/usr/bin/env bash
# Sets up policykg on a fresh Debian machine (Python 3.11, pip, apt), builds the bundled
# corpus and serves it at http://127.0.0.1:5000 (HOST / PORT / POLICYKG_DATA to change).
set -euo pipefail
cd "$(dirname "$0")"
. ./scripts/setup.sh
setup_venv ""
# POLICYKG_GRAPH_STORE=virtuoso: the graph in policykg's own Virtuoso (Debian's package)
if [ "${POLICYKG_GRAPH_STORE:-}" = virtuoso ]; then setup_virtuoso; fi
.venv/bin/policykg build
exec .venv/bin/policykg serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
