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

from reviewgen.bench.timing import Row, median_seconds
from reviewgen.config import deep_merge

REPO = Path(__file__).resolve().parents[3]
# What a pipeline run needs (the end-to-end tests use the same copies); data/ and results/ start empty.
PIPELINE_FILES = ["Snakefile", "dvc.yaml", "params.yaml", "params", "workflow", "src", "slurm", ".dvc/config",
                  ".dvc/.gitignore", ".gitignore", "data/.gitkeep", "data/external/README.md", "results/.gitkeep"]
# Runs a command and prints the peak resident set size of its largest descendant, in KiB (Linux).
_PEAK_RSS = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def _env(root: Path, first_on_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}")
    env["PATH"] = os.pathsep.join([*([str(first_on_path)] if first_on_path else []), str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    return env


def run(root: Path, *command: str, first_on_path: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, cwd=root, env=_env(root, first_on_path), capture_output=True, text=True)
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


def _without_scontrol(workdir: Path) -> Path:
    """A folder whose ``scontrol`` fails at once, as a missing command does (exit 127), to put first on PATH."""
    folder = workdir / "no-slurm-bin"
    folder.mkdir(exist_ok=True)
    stub = folder / "scontrol"
    stub.write_text("#!/bin/sh\nexit 127\n")
    stub.chmod(0o755)
    return folder


def bench_noop(workdir: Path, repeats: int, targets: tuple[str, ...] = ()) -> list[Row]:
    """``dvc repro`` and ``snakemake --cores 2`` on an up-to-date tiny pipeline (built here first).

    Snakemake loads every installed executor plugin when it starts, and the Slurm plugin runs
    ``scontrol show config`` then (to word a help text). It answers at once on a cluster, and is absent on
    a laptop, but a machine with Slurm's client and no running controller (this project's test machines,
    between Slurm tests) waits about 9 s for it. So where ``scontrol`` exists, the probe is timed too, and
    Snakemake once more with an ``scontrol`` that fails at once.
    """
    root = make_copy(workdir / "noop", tiny=True)
    started = time.perf_counter()
    # Snakemake builds it, running independent stages side by side; `dvc commit` then records the
    # outputs in dvc.lock as DVC's own run would have (about 20 s sooner than `dvc repro`).
    run(root, "snakemake", "--cores", "2", *targets)
    run(root, "dvc", "commit", "--force", *targets)
    build_s = time.perf_counter() - started
    run(root, "dvc", "repro", *targets)  # warm-up
    stub = _without_scontrol(workdir)
    dry_run = run(root, "snakemake", "--dry-run", "--cores", "2", *targets, first_on_path=stub)
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
            note=f"tiny params, {scope}; target < 5 s for both"),
    ]
    if shutil.which("scontrol"):
        probe_s = median_seconds(lambda: subprocess.run(["scontrol", "show", "config"], capture_output=True,
                                                        timeout=60), repeats, warmup=0)
        rows += [
            Row("pipeline", "  of which scontrol show config", {"seconds": probe_s},
                note="the Slurm executor plugin's probe at Snakemake start-up"),
            Row("pipeline", "snakemake --cores 2, nothing to do, no Slurm client",
                {"seconds": median_seconds(lambda: run(root, "snakemake", "--cores", "2", *targets,
                                                       first_on_path=stub), repeats, warmup=0)},
                note="scontrol fails at once, as on a machine without Slurm"),
        ]
    return rows


def bench_full_pipeline(workdir: Path) -> list[Row]:
    """Every stage of the default pipeline from a clean cache, one ``dvc repro -s`` at a time, in order."""
    root = make_copy(workdir / "full", tiny=False)
    stages = run(root, "dvc", "stage", "list", "--name-only").stdout.split()
    rows, total = [], 0.0
    for stage in stages:
        started = time.perf_counter()
        proc = run(root, sys.executable, "-c", _PEAK_RSS, "dvc", "repro", "-s", stage)
        seconds = time.perf_counter() - started
        total += seconds
        peak_mib = int(proc.stderr.strip().splitlines()[-1]) / 1024
        rows.append(Row("pipeline", f"stage {stage}", {"seconds": seconds, "peak_mib": peak_mib}))
    peak = max(row.figures["peak_mib"] for row in rows)
    rows.append(Row("pipeline", "whole pipeline, clean cache", {"seconds": total, "peak_mib": peak},
                    note="default params; peak = largest single process"))
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
