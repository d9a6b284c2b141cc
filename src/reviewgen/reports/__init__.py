"""Report stages: read trained models and results from disk, write tables, plots and summaries.

Like ``experiments`` for training, these sit between the stage scripts and the library: the
computations live in ``reviewgen.evaluation``; a report module loads, calls and writes. The rendering
is here too: ``tables`` (Markdown), ``plots`` (PNG figures) and ``runs`` (the table of tracked runs).
"""
