"""`dvc plots show` draws training curves against the epoch, never wall time, per model and side by side."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e


def plotted_fields(entry: dict) -> set[str]:
    """The column names a rendered Vega-Lite spec encodes (its data rows left out)."""
    spec = {key: value for key, value in entry["content"].items() if key != "data"}
    return set(re.findall(r'"field": "([^"]+)"', json.dumps(spec)))


def test_plots_use_epoch_and_loss_fields(dvc_pipeline):
    rendered = json.loads(dvc_pipeline.run("dvc", "plots", "show", "--json").stdout)["data"]
    wordlm = plotted_fields(rendered["results/histories/wordlm.csv"][0])
    assert {"epoch", "valid_loss"} <= wordlm and "seconds" not in wordlm
    ngram = plotted_fields(rendered["results/histories/charlm-ngram.csv"][0])
    assert "valid_bits_per_char" in ngram
    chars = rendered["charlm_valid_loss"][0]
    assert {"epoch", "valid_loss"} <= plotted_fields(chars)
    # Charts over several models draw report_overview's long tables, a line per model.
    assert "model" in plotted_fields(chars)
    models = {row["model"] for row in chars["content"]["data"]["values"]}
    assert {f"charlm-{arch}" for arch in ("rnn", "gru", "lstm")} <= models
    bleu = rendered["tense_bleu"][0]
    assert "bleu_valid" in plotted_fields(bleu)
    assert len({row["model"] for row in bleu["content"]["data"]["values"]}) == 3
    vae = rendered["sentence_vae_kl"][0]["content"]["data"]["values"]
    assert {row["field"] for row in vae} == {"train_kl", "valid_kl", "kl_weight"}
