"""Benchmarks: a scaled synthetic corpus (generate.py) and the measurements (run.py)."""
