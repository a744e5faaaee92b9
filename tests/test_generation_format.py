"""One generation format: a generation written in another is refused with what to do, and a
build writes one of this format (pipeline.layout)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from policykg.pipeline import layout
from policykg.pipeline.generation import Generation


@pytest.fixture()
def other_format(data_copy):
    """A copy of the bundled build whose meta.json says another format."""
    root = data_copy.root
    current = data_copy.require_current()
    meta_path = current / layout.META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.unlink()            # never write through a link another copy shares
    meta_path.write_text(json.dumps({**meta, "format": layout.FORMAT + 1}), encoding="utf-8")
    return root, current


def test_a_build_writes_this_format(built):
    assert built[1].meta["format"] == layout.FORMAT


def test_another_format_is_refused_in_one_line_naming_the_fix(other_format):
    root, current = other_format
    with pytest.raises(layout.OtherFormat, match="policykg build"):
        Generation(current)
    proc = subprocess.run([sys.executable, "-m", "policykg.web.cli", "--data", str(root),
                           "search", "技师"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "policykg build" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
