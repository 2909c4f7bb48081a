"""Drip benchmarks: `python -m bench.run` (or `make bench`) prints one table of figures and baselines."""
