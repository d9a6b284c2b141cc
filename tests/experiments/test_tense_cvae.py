"""The tense CVAE's training stage on tiny data: validation-only selection, the test split read last."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch

import reviewgen.experiments.tense_cvae as stage
from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import REFERENCE, TENSES, Pair, TenseData, write_tense_data
from reviewgen.experiments.runner import train
from reviewgen.inference.tense import OnnxTense
from reviewgen.models.registry import load_model
from reviewgen.training.trainer import StepContext, Trainer
from tests.experiments.test_charlm import outputs, without_timing
from tests.reports.tiny_models import TENSE_ROWS

VALID = [Pair("jump", "jumped", "sp", "p"), Pair("walks", "walking", "tp", "pg")]
TEST = [Pair("play", "played", "sp", "p"), Pair("looks", "looking", "tp", "pg")]


def config(epochs: int = 2) -> dict:
    section = {
        "model": {"hidden": 16, "latent": 4, "cond_dim": 4, "emb_dim": 8, "cell": "gru"},
        "kl": {"kind": "monotonic", "max_weight": 1.0, "warmup_epochs": 1, "n_cycles": 1, "ratio": 0.5},
        "free_bits": 0.5, "hide_attention": 0.5, "batch_size": 4, "gaussian_samples": 5,
        "prior_cover": {"weight": 1.0, "samples": 3},
        "teacher_forcing": {"start": 1.0, "end": 0.5, "decay_epochs": 2},
        "train": {"epochs": epochs, "lr": 0.01, "optimizer": "adam", "clip_grad": 5.0, "seed": 3,
                  "monitor": "monitor", "monitor_mode": "max"},
    }
    return {"tense": section, "tense_variants.default": {},
            "runtime": {"device": "cpu", "bf16": False, "progress": False}}


def test_the_test_split_is_read_only_after_training_and_never_logged(tracking_store, tmp_path, monkeypatch):
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    events: list[str] = []
    real_fit, real_load_pairs, real_load_data = Trainer.fit, stage.load_pairs, stage.load_tense_data

    def fit(self):
        result = real_fit(self)
        events.append("fit done")
        return result

    def load_pairs(directory, name):
        events.append(f"read {name}")
        return real_load_pairs(directory, name)

    def load_tense_data(directory, splits=("valid", "test", "reference")):
        events.extend(f"read {name}" for name in splits)
        return real_load_data(directory, splits)

    monkeypatch.setattr(Trainer, "fit", fit)
    monkeypatch.setattr(stage, "load_pairs", load_pairs)
    monkeypatch.setattr(stage, "load_tense_data", load_tense_data)
    out = outputs(tmp_path, "tense")
    metrics = train(stage.experiment("default", config(), tense_dir), out)

    assert events.index("read test") > events.index("fit done") and events.count("read test") == 1
    history = pd.read_csv(out.history)
    assert {"bleu_valid", "exact_valid", "gaussian_score", "monitor"} <= set(history.columns)
    assert not {c for c in history.columns if "heldout" in c or "reference" in c or "test" in c}
    # The kept epoch is the best of the validation monitor (validation BLEU + N(0, I) Gaussian score).
    assert metrics["best_epoch"] == int(history["monitor"].idxmax()) + 1
    assert metrics["best_monitor"] == history["monitor"].max()
    assert {"bleu_heldout", "exact_heldout", "bleu_reference", "gaussian_score"} <= set(metrics)
    assert 0 <= metrics["exact_train_strong_verbs"] <= 1  # begin, send and split are strong verbs
    assert 0 <= metrics["exact_train_strong_verbs_from_past"] <= 1


def test_the_stage_exports_the_kept_model_for_the_cli(tracking_store, tmp_path):
    """The ONNX folder is written from the kept weights, with the fitted aggregate prior."""
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    out = outputs(tmp_path, "tense")
    train(stage.experiment("default", config(), tense_dir, tmp_path / "onnx"), out)
    model, _, extra = load_model(out.model)
    codec, onnx = CharCodec(extra["chars"]), OnnxTense(tmp_path / "onnx")
    assert len(model.prior_mu) > 0
    assert (onnx.prior_mu == model.prior_mu.numpy()).all() and (onnx.prior_logvar == model.prior_logvar.numpy()).all()
    for pair in REFERENCE:
        source, target = TENSES.index(pair.source_tense), TENSES.index(pair.target_tense)
        chars, _ = codec.batch([pair.source])
        expected = codec.decode(model.convert(chars, torch.tensor([source]), torch.tensor([target]))[0])
        assert onnx.convert(pair.source, source, target) == expected


def test_each_training_source_is_decoded_in_the_four_tenses():
    codec = CharCodec.from_words(w for row in TENSE_ROWS for w in row)
    train, n = stage.training_examples(TENSE_ROWS, codec, batch_size=2, hide=0.5)
    assert n == len(TENSE_ROWS)
    batches = list(train(0, torch.Generator().manual_seed(0)))
    assert sum(len(b[0]) for b in batches) == len(TENSE_ROWS)
    for src, _, src_tense, tgt, tgt_tense, attend in batches:
        assert tgt.size(0) == 4 * src.size(0) == tgt_tense.size(0) == attend.size(0)
        assert tgt_tense.view(-1, 4).tolist() == [[0, 1, 2, 3]] * src.size(0)
        for i in range(src.size(0)):  # the source is one of its own verb's four targets
            assert codec.decode(src[i].tolist()) == codec.decode(tgt[4 * i + int(src_tense[i])].tolist())
    hidden = torch.cat([b[5] for b in batches])
    assert hidden.any() and (~hidden).any()


def test_the_monitor_counts_the_gaussian_score_only_up_to_its_cap(monkeypatch):
    """Above the cap only validation BLEU separates two epochs, so noise in the Gaussian score cannot
    keep a worse converter."""
    frame = pd.DataFrame({"bleu4": [0.5, 0.7], "exact": [False, True]})
    monkeypatch.setattr(stage, "convert_pairs", lambda *a: frame)
    monkeypatch.setattr(stage, "four_tense_samples", lambda *a, **k: [])
    monkeypatch.setattr(stage, "gaussian_score", lambda *a: 0.9)
    model = torch.nn.Linear(1, 1)
    capped = stage.validation_scores(model, None, VALID, [], 5, 0, gaussian_cap=0.6)
    assert capped["gaussian_score"] == 0.9 and capped["bleu_valid"] == 0.6 and capped["exact_valid"] == 0.5
    assert abs(capped["monitor"] - 1.2) < 1e-9
    assert abs(stage.validation_scores(model, None, VALID, [], 5, 0)["monitor"] - 1.5) < 1e-9


def test_a_run_crashed_mid_training_resumes_to_the_same_metrics(tracking_store, tmp_path):
    """The prior cover's posteriors are recomputed from the model when an epoch starts (one form per
    verb, turning with the epoch), so a resumed run recomputes exactly what the uninterrupted one had."""
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    clean = train(stage.experiment("default", config(epochs=3), tense_dir), outputs(tmp_path / "clean", "tense"))
    out = outputs(tmp_path / "crashed", "tense")
    exp = stage.experiment("default", config(epochs=3), tense_dir)

    def crash_in_epoch_2(epoch, model):
        if epoch == 2:
            raise KeyboardInterrupt("killed")
        return exp_end(epoch, model)

    exp_end = exp.epoch_end
    with pytest.raises(KeyboardInterrupt):
        train(dataclasses.replace(exp, epoch_end=crash_in_epoch_2), out)
    assert out.checkpoint.exists() and not out.metrics.exists()
    resumed = train(stage.experiment("default", config(epochs=3), tense_dir), out)
    assert without_timing(resumed) == without_timing(clean)


def hard_config(epochs: int = 3, cpu_bf16: bool = False, by: str = "verb") -> dict:
    cfg = config(epochs)
    cfg["tense"]["hard_examples"] = {"share": 0.5, "by": by}
    cfg["tense"]["train"]["cpu_bf16"] = cpu_bf16
    return cfg


def test_hard_replay_batches_name_their_verbs_and_the_step_records_their_conversion_loss(tmp_path):
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    exp = stage.experiment("default", hard_config(), tense_dir)
    hard = exp.state["hard_examples"]
    batch = next(iter(exp.train_batches(1, torch.Generator().manual_seed(0))))
    src, src_len, src_tense, _, _, _, verbs = batch
    for i in range(src.size(0)):  # each index names the verb its source is a form of (chars + <eos>)
        assert int(src_len[i]) == len(TENSE_ROWS[int(verbs[i])][int(src_tense[i])]) + 1
    torch.manual_seed(0)
    model = stage.TenseCVAE(**exp.hparams)
    ctx = StepContext(1, 0, True, exp.state)
    exp.step(model, batch, ctx)
    recorded = ~torch.isnan(hard.loss)
    assert recorded[verbs].any() and not recorded[[i for i in range(len(TENSE_ROWS)) if i not in verbs]].any()
    assert (hard.loss[recorded] > 0).all()


def test_replay_by_source_records_each_verb_and_source_tense_and_replays_the_tense_that_failed(tmp_path):
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    exp = stage.experiment("default", hard_config(by="source"), tense_dir)
    hard, n_tenses = exp.state["hard_examples"], len(TENSES)
    assert len(hard.loss) == n_tenses * len(TENSE_ROWS)
    batch = next(iter(exp.train_batches(1, torch.Generator().manual_seed(0))))
    src, src_len, src_tense, _, _, _, cells = batch
    for i in range(src.size(0)):  # each key names the verb and the tense its source is in
        verb, tense = divmod(int(cells[i]), n_tenses)
        assert tense == int(src_tense[i]) and int(src_len[i]) == len(TENSE_ROWS[verb][tense]) + 1
    torch.manual_seed(0)
    exp.step(stage.TenseCVAE(**exp.hparams), batch, StepContext(1, 0, True, exp.state))
    recorded = set(torch.nonzero(~torch.isnan(hard.loss)).flatten().tolist())
    assert recorded and recorded <= set(cells.tolist())  # a source whose rows were all hidden records none
    # One cell far harder than every other: the replayed half of the next epoch reads that verb in that tense.
    hard_cell = 2 * n_tenses + 3  # verb 2 from the past
    hard.record(torch.arange(len(hard.loss)), torch.full((len(hard.loss),), 1e-3))
    hard.record(torch.tensor([hard_cell]), torch.tensor([1e3]))
    epoch = list(exp.train_batches(2, torch.Generator().manual_seed(1)))
    keys, tenses = torch.cat([b[-1] for b in epoch]), torch.cat([b[2] for b in epoch])
    assert len(keys) == len(TENSE_ROWS) and (tenses[keys == hard_cell] == 3).all()
    assert int((keys == hard_cell).sum()) >= round(0.5 * len(TENSE_ROWS)) - 1


@pytest.mark.parametrize("cpu_bf16", [False, True])
def test_a_hard_replay_run_crashed_mid_training_resumes_to_the_same_metrics(tracking_store, tmp_path, cpu_bf16):
    """The recorded losses are trainer state: the resumed run draws the epochs the clean one drew; so
    under the CPU bf16 autocast the default params train with."""
    tense_dir = tmp_path / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=VALID, test=TEST, reference=list(REFERENCE)), tense_dir)
    cfg = hard_config(cpu_bf16=cpu_bf16)
    clean = train(stage.experiment("default", cfg, tense_dir), outputs(tmp_path / "clean", "tense"))
    out = outputs(tmp_path / "crashed", "tense")
    exp = stage.experiment("default", cfg, tense_dir)
    exp_end = exp.epoch_end

    def crash_in_epoch_3(epoch, model):
        if epoch == 3:
            raise KeyboardInterrupt("killed")
        return exp_end(epoch, model)

    with pytest.raises(KeyboardInterrupt):
        train(dataclasses.replace(exp, epoch_end=crash_in_epoch_3), out)
    resumed = train(stage.experiment("default", cfg, tense_dir), out)
    assert without_timing(resumed) == without_timing(clean)
