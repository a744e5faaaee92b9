#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Python 3.11, pip, apt) and
# runs the test suite.  Extra arguments go to pytest (e.g. ./test.sh -m slow).
set -euo pipefail
cd "$(dirname "$0")"
. ./scripts/setup.sh
setup_venv "[test]"
setup_chromium
setup_virtuoso
set +e
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$rc"
