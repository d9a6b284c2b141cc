"""``python -m reviewgen.bench [--tiny] [--pipeline]``: how fast the pipeline's hot paths are.

Each figure is the median of several timed repetitions after a warm-up, and every speed-up is a ratio
of two figures measured in the same run (the fast path and a naive one on the same data), so it holds
on a busy machine where absolute times do not. The table is printed and written to
``results/benchmarks/<date>-<commit>.json``.
"""
