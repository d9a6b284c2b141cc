"""The benchmark runs (tiny) so it never rots, and its fast paths compute what the naive ones do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reviewgen.bench.__main__ import bench_params, main
from reviewgen.bench.cases import build_cases
from reviewgen.bench.cli_latency import bench_cli
from reviewgen.bench.pipeline import bench_full_pipeline, bench_noop
from reviewgen.bench.sampling import naive_sample_words
from reviewgen.bench.spans import SITECUSTOMIZE, SPANS_ENV, read_records, work_seconds
from reviewgen.bench.training import batchings, fixed_latents, loss_per_token
from reviewgen.data.sentences import split_reviews
from reviewgen.data.synthetic import FEATURES, generate_corpus
from reviewgen.data.tokens import EOS_ID
from reviewgen.models.wordlm import ConditionedWordLM
from tests.reports.tiny_models import make_sentence_vae, make_tense_models
from tests.test_cli import make_charlms, make_wordlm


@pytest.fixture(scope="module")
def cases():
    params = bench_params(tiny=True)
    corpus = generate_corpus(60, seed=1)
    reviews = corpus.reviews.drop(columns="sentences").merge(corpus.tracks[["track_id", *FEATURES]], on="track_id")
    return build_cases(params, split_reviews(reviews, params["sentences"])[0], pool=48)


def test_tiny_benchmark_writes_its_table(tmp_path, capsys):
    path = main(["--tiny", "--out", str(tmp_path)])
    record = json.loads(path.read_text())
    rows = {row["name"]: row for row in record["rows"]}
    assert {row["section"] for row in record["rows"]} == {"training", "sampling", "data", "pipeline", "cli"}
    for model in ("charlm-rnn", "charlm-gru", "charlm-lstm", "wordlm", "sentence_vae", "tense_cvae"):
        fast, naive = rows[f"{model} cpu bucketed"]["figures"], rows[f"{model} cpu naive"]["figures"]
        assert fast["tokens_per_s"] > 0 and naive["seqs_per_s"] > 0
        assert fast["loss_per_token"] == pytest.approx(naive["loss_per_token"], rel=1e-5)
    assert rows["split_sentences"]["figures"]["reviews_per_s"] > 0
    assert "split_sentences" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["charlm-lstm", "wordlm", "sentence_vae", "tense_cvae"])
def test_same_loss_on_a_batch_whatever_the_padding(cases, name):
    case = next(c for c in cases if c.name == name)
    case.model.eval()
    batches, _ = batchings(case)["bucketed"]
    with torch.no_grad(), fixed_latents():
        for indices in batches:
            _, nll, tokens = case.loss(case.model, case.make(indices, None))
            _, wide_nll, wide_tokens = case.loss(case.model, case.make(indices, case.width))
            assert wide_tokens == tokens
            assert wide_nll / wide_tokens == pytest.approx(nll / tokens, rel=1e-5)


def test_both_batchings_time_the_same_sequences(cases):
    case = next(c for c in cases if c.name == "tense_cvae")
    plans = batchings(case, n_sequences=20)
    bucketed, naive = ([i for batch in plans[name][0] for i in batch] for name in ("bucketed", "naive"))
    # The first ceil(20 / batch) bucketed batches (one may be a bucket's short tail) are what both time.
    assert bucketed and len(plans["bucketed"][0]) == -(-20 // case.batch_size)
    assert sorted(bucketed) == sorted(naive) and len(set(bucketed)) == len(bucketed)
    assert plans["naive"][1] == case.width and plans["bucketed"][1] is None


@pytest.mark.parametrize("name", ["charlm-gru", "wordlm", "sentence_vae", "tense_cvae"])
def test_same_loss_per_token_whatever_the_bucketing(cases, name):
    case = next(c for c in cases if c.name == name)
    make = case.make
    (fast, fast_tokens), (naive, naive_tokens) = (loss_per_token(case, make, batches, width)
                                                  for batches, width in batchings(case).values())
    assert fast_tokens == naive_tokens
    assert fast == pytest.approx(naive, rel=1e-5)


def test_batched_and_naive_samplers_draw_first_tokens_alike():
    torch.manual_seed(0)
    model = ConditionedWordLM(vocab_size=10, n_features=1, emb_dim=8, hidden=8)
    row, n = torch.tensor([0.5]), 1500

    def shares(first_tokens: list[int]) -> torch.Tensor:
        return torch.bincount(torch.tensor(first_tokens), minlength=10).float() / len(first_tokens)

    generator = torch.Generator().manual_seed(1)
    batched = model.sample(row.expand(n, 1), 1, 1.0, generator)
    naive = naive_sample_words(model, row, n, 1, 1.0, generator)
    batched_shares = shares([ids[0] if ids else EOS_ID for ids in batched])
    naive_shares = shares([ids[0] if ids else EOS_ID for ids in naive])
    # Total variation distance between two samples of a 10-way distribution: ~0.04 at these sizes.
    assert 0.5 * (batched_shares - naive_shares).abs().sum() < 0.1


@pytest.mark.e2e
def test_nothing_to_do_runs_are_timed(tmp_path):
    rows = bench_noop(tmp_path, repeats=1, targets=("build_tense_data",))
    names = ["dvc repro, nothing to do", "snakemake --cores 2, nothing to do"]
    if shutil.which("scontrol"):
        names += ["  of which scontrol show config", "snakemake --cores 2, nothing to do, stale slurm.conf"]
    assert [row.name for row in rows] == names
    assert all(row.figures["seconds"] > 0 for row in rows)


def test_cli_latency_is_timed_against_the_eager_imports(tmp_path):
    results = tmp_path / "results"  # bench_cli runs in a pipeline copy: its models are under results/
    paths = make_sentence_vae(results)
    make_tense_models(results)
    make_wordlm(results, Path(paths["vocab"]))
    make_charlms(results)
    rows = bench_cli(tmp_path, repeats=1)
    assert [row.name for row in rows] == ["reviewgen tense convert", "reviewgen sample", "reviewgen sample charlm-lstm",
                                          "reviewgen interpolate", "  python -c 'import torch'"]
    assert all(row.figures["seconds"] > 0 for row in rows)
    assert all(row.figures["naive_s"] > 0 for row in rows[:4])


def test_spans_split_a_stage_into_work_and_overhead(tmp_path):
    """A stage script under the benchmark's sitecustomize records its spans; its outputs are unchanged."""
    hooks, spans = tmp_path / "hooks", tmp_path / "spans"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    scripts = tmp_path / "workflow" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "demo.py").write_text(
        "import pathlib, time\n"
        "from reviewgen.stage import run_stage\n"
        "def main():\n"
        "    time.sleep(0.2)\n"
        "    pathlib.Path('out.txt').write_text('made')\n"
        "if __name__ == '__main__':\n"
        "    run_stage(main)\n")
    env = dict(os.environ, **{SPANS_ENV: str(spans)})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hooks), env.get("PYTHONPATH", "")) if p)
    subprocess.run([sys.executable, "workflow/scripts/demo.py"], cwd=tmp_path, env=env, check=True, timeout=60)
    subprocess.run([sys.executable, "-c", "pass"], cwd=tmp_path, env=env, check=True, timeout=60)  # not a stage
    records = read_records(spans)
    assert [r["script"] for r in records] == ["workflow/scripts/demo.py"]
    assert (tmp_path / "out.txt").read_text() == "made"
    assert 0.2 <= work_seconds(records) <= records[0]["process_s"]


def test_work_of_a_training_stage_leaves_out_mlflow():
    records = [{"spans": {"main": 9.0, "mlflow_start": 3.0, "run_body": 5.0, "finish_stage": 2.0}, "process_s": 10.0}]
    assert work_seconds(records) == pytest.approx(3.0)
    assert work_seconds([{"spans": {"main": 1.5}, "process_s": 2.0}]) == pytest.approx(1.5)


@pytest.mark.e2e
def test_pipeline_stages_are_split_into_work_and_overhead(tmp_path):
    rows = bench_full_pipeline(tmp_path, tiny=True, first=7)  # the data stages and the n-gram's training
    stages = {row.name: row.figures for row in rows[:-1]}
    assert list(stages)[0] == "stage fetch_reviews" and "stage train_ngram" in stages
    for figures in stages.values():
        assert 0 < figures["work_s"] < figures["seconds"]
        assert figures["overhead_s"] == pytest.approx(figures["seconds"] - figures["work_s"])
    assert stages["stage train_ngram"]["mlflow_s"] > 0 and stages["stage join"]["mlflow_s"] == 0
    assert rows[-1].name == "whole pipeline, clean cache"
