# Shared set-up steps for run.sh and test.sh (sourced, not run).

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# A virtual environment in .venv with the project installed (editable) and its extras.
setup_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || { apt_install python3-venv && python3 -m venv .venv; }
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras}"
}

# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser),
# and a CJK font so that screenshots show Chinese rather than empty boxes.
setup_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    apt_install chromium fonts-noto-cjk
  fi
}

# Debian's Virtuoso Open Source 7 (virtuoso-t, isql-vt) for the Virtuoso graph store
# (POLICYKG_GRAPH_STORE=virtuoso) and its tests.  policykg runs its own server, on
# loopback, in the data folder: the system server the package starts (with the default
# dba password) is stopped and disabled.
setup_virtuoso() {
  if ! command -v virtuoso-t >/dev/null 2>&1 || ! command -v isql-vt >/dev/null 2>&1; then
    apt_install --no-install-recommends virtuoso-opensource
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      as_root systemctl disable --now virtuoso-opensource-7 >/dev/null 2>&1 || true
    fi
  fi
}
