"""The project's Slurm profile against a real Slurm: the tiny pipeline's data and language-model stages
run through sbatch on a local single-node cluster and give the same results as a local run.

Skipped where a cluster cannot be started (not root, Slurm not installed), except in CI (CI=true),
where .ci/install-slurm.sh has installed it and a missing cluster is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from tests.conftest import REPO, PipelineCopy, make_pipeline_copy
from tests.workflow import slurm_cluster

pytestmark = pytest.mark.e2e

CI_PROFILE = Path(__file__).resolve().parent / "slurm-ci"
# The whole pipeline (the default target, reports included) with one char-LM architecture: one is enough
# to show the wildcard rule runs as a Slurm job with a GPU request, and it keeps two cores within minutes.
ARCHS = ["gru"]
TRAINING_RULES = {"train_ngram", "train_charlm", "train_wordlm", "train_sentence_vae", "train_tense_cvae"}
STAGES = {"charlm-ngram", *(f"charlm-{arch}" for arch in ARCHS), "wordlm", "sentence_vae",
          "tense_cvae-default", "tense_cvae-cyclical", "tense_cvae-gru"}
TARGETS: list[str] = []  # the default target: everything
CANCELLED: list[str] = []  # the word-LM job the `runs` fixture cancels mid-training


@pytest.fixture(scope="module")
def cluster():
    reason = slurm_cluster.missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test the Slurm profile on a local cluster: {reason}")
        pytest.skip(reason)
    local = slurm_cluster.start()
    yield local
    local.stop()


def pipeline_copy(dest: Path) -> PipelineCopy:
    copy = make_pipeline_copy(dest)
    shutil.copytree(REPO / "slurm", copy.root / "slurm", dirs_exist_ok=True)  # the profile under test
    # Enough word-LM epochs that its job is still running when the test cancels it after one checkpoint.
    copy.set_params({"charlm": {"archs": ARCHS}, "wordlm": {"train": {"epochs": 8}}})
    return copy


def cancel_after_first_checkpoint(cluster, root: Path, cancelled: list[str], stop: threading.Event) -> None:
    """scancel the word-LM job once it has checkpointed an epoch, as a preemption or node failure would
    end it: Snakemake's retries must resubmit it and the trainer resume from that checkpoint."""
    checkpoint = root / "results/checkpoints/wordlm.pt"
    while not stop.is_set():
        if checkpoint.exists():
            running = [job for job in cluster.jobs(root)
                       if job.comment.startswith("rule_train_wordlm") and job.state == "RUNNING"]
            if running:
                subprocess.run(["scancel", running[0].job_id], check=True, timeout=30)
                cancelled.append(running[0].job_id)
                return
        time.sleep(0.05)


def ci_threads() -> list[str]:
    """The CI profile's per-rule threads as --set-threads arguments, for the local reference run."""
    threads = yaml.safe_load((CI_PROFILE / "config.yaml").read_text())["set-threads"]
    return [f"{rule}={count}" for rule, count in threads.items()]


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory) -> tuple[PipelineCopy, PipelineCopy]:
    """The same pipeline copy run through Slurm and locally, at once: the Slurm run mostly waits."""
    on_slurm = pipeline_copy(tmp_path_factory.mktemp("slurm") / "repo")
    local = pipeline_copy(tmp_path_factory.mktemp("local") / "repo")
    failures: list[BaseException] = []

    def run_locally() -> None:
        try:
            local.run("snakemake", "--cores", "2", "--set-threads", *ci_threads(), *TARGETS)
        except BaseException as err:  # re-raised in the test thread below
            failures.append(err)

    worker = threading.Thread(target=run_locally)
    worker.start()
    stop = threading.Event()
    canceller = threading.Thread(target=cancel_after_first_checkpoint,
                                 args=(cluster, on_slurm.root, CANCELLED, stop))
    canceller.start()
    try:
        # timeout -k: if the plugin ever loses track of a job, Snakemake ignores SIGTERM and waits forever.
        on_slurm.run("timeout", "-k", "15", "900", "snakemake", "--cores", "4", "--profile", "slurm",
                     "--profile", str(CI_PROFILE), *TARGETS, timeout=960)
    finally:
        stop.set()
        canceller.join()
        worker.join()
    if failures:
        raise failures[0]
    return on_slurm, local


def test_training_rules_ran_as_slurm_jobs(cluster, runs):
    on_slurm, _ = runs
    jobs = cluster.jobs(on_slurm.root)
    rules = {job.comment.removeprefix("rule_").split("_wildcards_")[0] for job in jobs}
    assert TRAINING_RULES <= rules
    assert all(job.state == "COMPLETED" for job in jobs if job.job_id not in CANCELLED), jobs
    # Data rules are local rules: they run beside Snakemake, never as jobs.
    assert not rules & {"fetch_reviews", "split_sentences", "build_vocab"}


def test_a_cancelled_training_job_is_retried_and_resumes_in_the_same_mlflow_run(cluster, runs):
    on_slurm, _ = runs
    assert CANCELLED, "the word-LM job finished before it could be cancelled"
    wordlm_jobs = [job for job in cluster.jobs(on_slurm.root) if job.comment.startswith("rule_train_wordlm")]
    assert {job.state for job in wordlm_jobs} == {"CANCELLED", "COMPLETED"}, wordlm_jobs
    # The stage log, and the Slurm job logs the profile keeps, tell that the second attempt resumed.
    logs = [on_slurm.root / "logs/train_wordlm.log",
            *(on_slurm.root / ".snakemake/slurm_logs").glob("rule_train_wordlm/**/*.log")]
    text = "".join(path.read_text(errors="replace") for path in logs if path.is_file())
    assert "resuming" in text, text[-2000:]
    # Its metrics equal the uninterrupted local run's (test_model_metrics_and_samples_match_a_local_run),
    # and the retry continued the first attempt's MLflow run instead of starting another.
    metrics = json.loads((on_slurm.root / "results/metrics/wordlm.json").read_text())
    client = MlflowClient(on_slurm.env["MLFLOW_TRACKING_URI"])
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs_of_stage = [run.info.run_id for run in client.search_runs(experiments)
                     if run.data.tags.get("stage") == "wordlm"]
    assert runs_of_stage == [metrics["mlflow_run_id"]]


def test_mlflow_runs_carry_their_slurm_job(cluster, runs):
    on_slurm, _ = runs
    job_ids = {job.job_id for job in cluster.jobs(on_slurm.root)}
    client = MlflowClient(on_slurm.env["MLFLOW_TRACKING_URI"])
    experiments = [e.experiment_id for e in client.search_experiments()]
    tagged = {run.data.tags["stage"]: run.data.tags.get("slurm_job_id")
              for run in client.search_runs(experiments) if "stage" in run.data.tags}
    assert STAGES <= set(tagged)
    assert all(tagged[stage] in job_ids for stage in STAGES), tagged


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_data_files_match_a_local_run(runs):
    on_slurm, local = runs
    slurm_data, local_data = files_under(on_slurm.root / "data"), files_under(local.root / "data")
    assert slurm_data.keys() == local_data.keys()
    assert [name for name in slurm_data if slurm_data[name] != local_data[name]] == []


def test_model_metrics_and_samples_match_a_local_run(runs):
    on_slurm, local = runs
    for stage in sorted(STAGES):
        metrics = [json.loads((copy.root / "results/metrics" / f"{stage}.json").read_text())
                   for copy in (on_slurm, local)]
        # Timings and run ids differ between any two runs; the rest is the same computation on one thread.
        timeless = [{k: v for k, v in m.items() if "second" not in k and k != "mlflow_run_id"} for m in metrics]
        assert timeless[0] == timeless[1], stage
        samples = [(copy.root / "results/samples" / f"{stage}.txt").read_text() for copy in (on_slurm, local)]
        assert samples[0] == samples[1], stage


def test_sbatch_asked_for_a_gpu_for_gpu_rules(cluster, runs):
    on_slurm, _ = runs
    gpu_jobs = [job for job in cluster.jobs(on_slurm.root) if job.comment.startswith("rule_train_charlm")]
    assert gpu_jobs
    for job in gpu_jobs:
        shown = subprocess.run(["scontrol", "show", "job", job.job_id], capture_output=True,
                               text=True, check=True, timeout=30).stdout
        assert "gres:gpu:1" in shown, shown
