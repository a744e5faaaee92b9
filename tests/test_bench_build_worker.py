"""bench/build_worker.py counts the whole process tree: work the build moves into a child
process (the graph store's bulk load) must not hide its memory or its CPU.

No timings here: performance is measured by `python -m bench.run`, never asserted.
"""
from __future__ import annotations

import os
import subprocess
import sys

from bench.build_worker import RssSampler, descendants, live_children_cpu, tree_cpu

CHILD = """
import sys, time
block = bytearray(80 << 20)              # resident: every page written
for i in range(0, len(block), 4096):
    block[i] = 1
end = time.process_time() + 0.3           # some CPU of its own
while time.process_time() < end:
    pass
print("ready", flush=True)
sys.stdin.read()
"""


def test_a_child_s_memory_and_cpu_count_for_the_tree():
    sampler = RssSampler()
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert child.pid in descendants(os.getpid())
        assert sampler.tree_rss() >= sampler.rss() + (80 << 20)
        assert live_children_cpu() >= 0.25
        before = tree_cpu()
    finally:
        child.stdin.close()
        child.wait()
    # Waited for: its CPU moves from /proc to getrusage, and the tree's total keeps it.
    assert child.pid not in descendants(os.getpid())
    assert tree_cpu() >= before - 0.05
