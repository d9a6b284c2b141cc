"""Medians of repeated timings, and the rows of the benchmark table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def median_seconds(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """The median wall time of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones (caches, allocators,
    lazy initialisation in torch all make a first call slower than the rest)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved_median_seconds(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """The median wall time of each of ``fns``, timed in turns (A B, B A, A B, ...) rather than all of A
    then all of B, so that load from other processes on a shared machine falls on both alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(repeats):
        for name in (list(fns) if round_ % 2 == 0 else list(reversed(fns))):
            started = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


@dataclass
class Row:
    section: str  # training | sampling | data | pipeline
    name: str  # what was measured
    figures: dict[str, float | int | str | None] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return "" if value is None else str(value)


def format_table(rows: list[Row]) -> str:
    """One block per section: a header of the figure names of its rows, then one line per row."""
    lines: list[str] = []
    for section in dict.fromkeys(row.section for row in rows):
        chosen = [row for row in rows if row.section == section]
        keys = list(dict.fromkeys(key for row in chosen for key in row.figures))
        table = [["", *keys, "note"]] + [[row.name, *(_cell(row.figures.get(k)) for k in keys), row.note]
                                         for row in chosen]
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        lines.append(f"\n== {section} ==")
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join(lines).lstrip("\n")
