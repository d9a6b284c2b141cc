"""The orchestrators' own cost: a run with nothing to do, and (``--pipeline``) every stage from a clean
cache with its wall time and peak memory, in a throw-away copy of the pipeline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from reviewgen.bench.spans import SITECUSTOMIZE, SPANS_ENV, read_records, work_seconds
from reviewgen.bench.timing import Row, median_seconds
from reviewgen.config import deep_merge

REPO = Path(__file__).resolve().parents[3]
# What a pipeline run needs (the end-to-end tests use the same copies); data/ and results/ start empty.
PIPELINE_FILES = ["Snakefile", "dvc.yaml", "params.yaml", "params", "workflow", "src", "slurm", ".dvc/config",
                  ".dvc/.gitignore", ".gitignore", "data/.gitkeep", "data/external/README.md", "results/.gitkeep",
                  ".dvc/plots"]
# Runs a command and prints the peak resident set size of its largest descendant, in KiB (Linux).
_PEAK_RSS = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def _env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env | (extra or {})


def run(root: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``command`` in ``root``, with ``env`` added to this process's environment; fails loudly."""
    proc = subprocess.run(command, cwd=root, env=_env(root, env), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_copy(dest: Path, tiny: bool) -> Path:
    """A git repository holding the pipeline, with params/tiny.yaml merged into params.yaml if ``tiny``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PIPELINE_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    if tiny:
        params = deep_merge(yaml.safe_load((dest / "params.yaml").read_text()),
                            yaml.safe_load((dest / "params" / "tiny.yaml").read_text()))
        (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git = ("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost")
    run(dest, "git", "init", "-q")
    run(dest, *git, "add", "-A")
    run(dest, *git, "commit", "-q", "-m", "pipeline copy")
    return dest


def stale_slurm_conf(workdir: Path) -> Path:
    """A slurm.conf naming a controller that is not running (nothing listens on port 9 of this machine),
    as the local test cluster left behind in /etc/slurm before its stop script removed it."""
    conf = workdir / "stale-slurm.conf"
    conf.write_text("ClusterName=bench\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=9\n")
    return conf


def bench_noop(workdir: Path, repeats: int, targets: tuple[str, ...] = ()) -> list[Row]:
    """``dvc repro`` and ``snakemake --cores 2`` on an up-to-date tiny pipeline (built here first).

    Snakemake loads every installed executor plugin when it starts, and the Slurm plugin runs
    ``scontrol show config`` then (to word a help text). That answers at once on a cluster and where no
    Slurm is configured, but a slurm.conf naming a controller that is down makes it wait out Slurm's
    MessageTimeout (10 s): the local test cluster's config did, until its stop script removed it. So where
    ``scontrol`` exists, the probe is timed as this machine answers it, and Snakemake once more with a
    stale config (``SLURM_CONF``), the naive baseline.
    """
    root = make_copy(workdir / "noop", tiny=True)
    started = time.perf_counter()
    # Snakemake builds it, running independent stages side by side; `dvc commit` then records the
    # outputs in dvc.lock as DVC's own run would have (sooner than `dvc repro`, one stage at a time).
    run(root, "snakemake", "--cores", "2", *targets)
    run(root, "dvc", "commit", "--force", *targets)
    build_s = time.perf_counter() - started
    run(root, "dvc", "repro", *targets)  # warm-up
    dry_run = run(root, "snakemake", "--dry-run", "--cores", "2", *targets)
    if json.loads(run(root, "dvc", "status", "--json", *targets).stdout or "{}") or \
            "Nothing to be done" not in dry_run.stdout + dry_run.stderr:
        raise RuntimeError(f"the pipeline copy in {root} is not up to date after building it")
    scope = " ".join(targets) or "whole pipeline"
    rows = [
        Row("pipeline", "dvc repro, nothing to do",
            {"seconds": median_seconds(lambda: run(root, "dvc", "repro", *targets), repeats, warmup=0)},
            note=f"tiny params, {scope}; building it took {build_s:.0f} s"),
        Row("pipeline", "snakemake --cores 2, nothing to do",
            {"seconds": median_seconds(lambda: run(root, "snakemake", "--cores", "2", *targets), repeats, warmup=0)},
            note=f"tiny params, {scope}; target <= 3 s for both"),
    ]
    if shutil.which("scontrol"):
        probe_s = median_seconds(lambda: subprocess.run(["scontrol", "show", "config"], capture_output=True,
                                                        timeout=60), repeats, warmup=0)
        stale = {"SLURM_CONF": str(stale_slurm_conf(workdir))}
        rows += [
            Row("pipeline", "  of which scontrol show config", {"seconds": probe_s},
                note="the Slurm executor plugin's probe at Snakemake start-up, as this machine answers it"),
            Row("pipeline", "snakemake --cores 2, nothing to do, stale slurm.conf",
                {"seconds": median_seconds(lambda: run(root, "snakemake", "--cores", "2", *targets, env=stale),
                                           repeats, warmup=0)},
                note="naive: a config naming a controller that is down, as the test cluster left it"),
        ]
    return rows


def bench_full_pipeline(workdir: Path, tiny: bool = False, first: int | None = None) -> list[Row]:
    """Every stage of the default pipeline from a clean cache, one ``dvc repro -s`` at a time, in order.

    Each stage's fixed overhead is its wall time less its work, the time its Python processes spend in
    the stage's own job (see :func:`reviewgen.bench.spans.work_seconds`): process start, imports, data
    loading, MLflow's set-up and logging, and DVC's bookkeeping are overhead; training and evaluation
    loops are not. ``tiny`` merges params/tiny.yaml and ``first`` keeps only the first stages, for the
    benchmark's own test.
    """
    root = make_copy(workdir / "full", tiny=tiny)
    hooks, spans = workdir / "spans-hook", workdir / "spans"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {SPANS_ENV: str(spans),
           "PYTHONPATH": os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)}
    stages = run(root, "dvc", "stage", "list", "--name-only").stdout.split()[:first]
    rows, total, total_overhead = [], 0.0, 0.0
    for stage in stages:
        shutil.rmtree(spans, ignore_errors=True)
        started = time.perf_counter()
        proc = run(root, sys.executable, "-c", _PEAK_RSS, "dvc", "repro", "-s", stage, env=env)
        seconds = time.perf_counter() - started
        records = read_records(spans)
        work = work_seconds(records)
        mlflow = sum(r["spans"].get(k, 0.0) for r in records for k in ("mlflow_start", "finish_stage", "mlflow_end"))
        in_python = sum(r["process_s"] for r in records)
        total += seconds
        total_overhead += seconds - work
        peak_mib = int(proc.stderr.strip().splitlines()[-1]) / 1024
        rows.append(Row("pipeline", f"stage {stage}", {
            "seconds": seconds, "work_s": work, "overhead_s": seconds - work, "mlflow_s": mlflow,
            "outside_python_s": seconds - in_python, "peak_mib": peak_mib}))
    peak = max(row.figures["peak_mib"] for row in rows)
    rows.append(Row("pipeline", "whole pipeline, clean cache",
                    {"seconds": total, "overhead_s": total_overhead, "peak_mib": peak},
                    note=f"{'tiny' if tiny else 'default'} params, {len(stages)} stages; overhead target <= 2 s "
                         "a stage; outside_python = DVC's own time; peak = largest single process"))
    return rows


def last_pipeline_rows(out_dir: Path) -> list[Row]:
    """The stage rows of the newest earlier ``--pipeline`` record, so the default run can show them."""
    for path in sorted(out_dir.glob("*.json"), reverse=True):
        record = json.loads(path.read_text())
        rows = [Row(**r) for r in record["rows"] if r["name"].startswith(("stage ", "whole pipeline")) and r["figures"]]
        if rows:
            for row in rows:
                row.note = f"from {path.name}"
            return rows
    return [Row("pipeline", "whole pipeline, clean cache", note="not measured yet: run with --pipeline (minutes)")]
