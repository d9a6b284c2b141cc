"""The benchmark command: ``python -m reviewgen.bench [--tiny] [--pipeline] [--out DIR]``."""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from reviewgen.bench.cases import build_cases
from reviewgen.bench.cli_latency import bench_cli
from reviewgen.bench.data_stages import bench_data
from reviewgen.bench.peer import bench_peer_wlm
from reviewgen.bench.pipeline import REPO, bench_full_pipeline, bench_noop, last_pipeline_rows
from reviewgen.bench.sampling import bench_sampling
from reviewgen.bench.timing import Row, format_table
from reviewgen.bench.training import bench_case
from reviewgen.config import deep_merge, load_params
from reviewgen.io import write_json
from reviewgen.training.runtime import set_threads


@dataclass(frozen=True)
class Scale:
    n_reviews: int  # the synthetic corpus of the data stages; training draws from its sentences
    pool: int  # sequences per model that bucketing sorts, as training sorts a chunk of batch_size * 50
    n_sequences: int  # of which a timed training pass takes this many, in whole batches
    repeats: int
    n_words: int  # sampled words per energy, by each sampler
    peer_batches: int  # bptt windows of word_language_model per timed pass (--peer-wlm)


# The default is sized to take under 5 minutes on 2 cores (docs/performance.md has the last time); tiny checks
# every code path.
FULL = Scale(n_reviews=20_000, pool=3_200, n_sequences=512, repeats=3, n_words=10_000, peer_batches=40)
TINY = Scale(n_reviews=120, pool=16, n_sequences=16, repeats=2, n_words=100, peer_batches=2)


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return f"{head}-dirty" if dirty else head


def bench_params(tiny: bool) -> dict[str, Any]:
    params = load_params(REPO / "params.yaml")
    if tiny:
        params = deep_merge(params, yaml.safe_load((REPO / "params" / "tiny.yaml").read_text()))
    return params


def progress(what: str, started: float) -> None:
    print(f"[bench {time.perf_counter() - started:5.0f} s] {what}", file=sys.stderr, flush=True)


def run_all(scale: Scale, tiny: bool, pipeline: bool, out_dir: Path, workdir: Path,
            peer_wlm: Path | None = None) -> list[Row]:
    started = time.perf_counter()
    params = bench_params(tiny)
    data_rows, sentences = bench_data(params, scale.n_reviews, scale.repeats)
    progress("data stages", started)
    cases = build_cases(params, sentences, scale.pool)
    rows = []
    for case in cases:
        rows += bench_case(case, scale.repeats, torch.device("cpu"), scale.n_sequences)
        progress(f"training {case.name}", started)
    if torch.cuda.is_available():
        for case in cases:
            rows += bench_case(case, scale.repeats, torch.device("cuda"), scale.n_sequences)
            rows += bench_case(case, scale.repeats, torch.device("cuda"), scale.n_sequences, bf16=True)
    wordlm = next(case for case in cases if case.name == "wordlm")
    rows += bench_sampling(wordlm, params["wordfreq"], scale.n_words, scale.repeats)
    progress("sampling", started)
    if peer_wlm is not None:  # on the default run's sentences, with the params of the day
        rows += bench_peer_wlm(params, peer_wlm, REPO / "data" / "processed", REPO / "data" / "raw" /
                               "synthetic_truth.json", scale.repeats, scale.peer_batches)
        progress("word_language_model", started)
    rows += data_rows
    if tiny:
        rows.append(Row("pipeline", "nothing to do", note="skipped with --tiny (starts DVC and Snakemake)"))
        rows.append(Row("cli", "reviewgen", note="skipped with --tiny (needs the models of a pipeline run)"))
    else:
        rows += bench_noop(workdir, scale.repeats)  # builds the tiny pipeline in workdir/noop
        progress("nothing to do", started)
        rows += bench_cli(workdir / "noop", scale.repeats)
        progress("cli", started)
    rows += bench_full_pipeline(workdir) if pipeline else last_pipeline_rows(out_dir)
    return rows


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m reviewgen.bench", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="small inputs: every code path in seconds")
    parser.add_argument("--pipeline", action="store_true",
                        help="also run the default pipeline from a clean cache, stage by stage (minutes)")
    parser.add_argument("--peer-wlm", type=Path, default=None, metavar="DIR",
                        help="pytorch/examples' word_language_model folder: also time our word LM against it")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "benchmarks")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: OMP_NUM_THREADS, else all cores); 1 gives steadier ratios "
                             "on a busy machine, where a parallel region waits for a descheduled thread")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    logging.getLogger("reviewgen").setLevel(logging.WARNING)  # the stages' progress lines would bury the table
    scale = TINY if args.tiny else FULL
    with tempfile.TemporaryDirectory(prefix="reviewgen-bench-") as workdir:
        rows = run_all(scale, args.tiny, args.pipeline, args.out, Path(workdir), args.peer_wlm)
    now = datetime.datetime.now(datetime.UTC)
    record = {
        "date": now.isoformat(timespec="seconds"), "commit": commit(), "tiny": args.tiny, "scale": vars(scale),
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average": os.getloadavg(), "cuda": torch.cuda.is_available()},
        "rows": [row.to_json() for row in rows],
    }
    path = args.out / f"{now:%Y-%m-%dT%H%M%S}-{record['commit']}{'-tiny' if args.tiny else ''}.json"
    write_json(path, record)  # atomic: a temporary file renamed into place
    print(format_table(rows))
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; written to {path}")
    return path


if __name__ == "__main__":
    main()
