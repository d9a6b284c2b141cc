"""The ``reviewgen`` command end to end, on tiny trained models in a temporary results folder."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from reviewgen.cli import main
from reviewgen.data.charcodec import CharCodec
from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.homotopy import homotopy
from reviewgen.models.charlm_onnx import export_charlm_onnx
from reviewgen.models.registry import load_model, model_class, save_model
from reviewgen.models.wordlm_onnx import export_wordlm_onnx
from tests.reports.tiny_models import SENTENCES, make_sentence_vae, make_tense_models


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("results")
    paths = make_sentence_vae(root)
    make_tense_models(root)
    make_wordlm(root, Path(paths["vocab"]))
    make_charlms(root)
    return root


def make_wordlm(root: Path, vocab_path: Path) -> None:
    """An untrained energy-conditioned word LM: enough for the CLI's checks, which come before sampling."""
    torch.manual_seed(0)
    hparams = {"vocab_size": len(Vocab.load(vocab_path)), "n_features": 1, "emb_dim": 8, "hidden": 8,
               "tie_weights": False}
    model = model_class("wordlm")(**hparams)
    scaler = FeatureScaler(["energy"], [0.5], [0.2])
    extra = {"vocab": str(vocab_path), "features": scaler.to_json(), "feature_medians": [0.5],
             "feature_train_range": [[0.1], [0.9]]}
    save_model(root / "models" / "wordlm.pt", "wordlm", hparams, model, extra | {"metrics": {}})
    export_wordlm_onnx(model, extra, root / "models" / "wordlm-onnx")  # as train_wordlm does


def make_charlms(root: Path) -> None:
    """The count n-gram fitted on the tiny sentences and an untrained LSTM, saved as the char stages save them."""
    counts: dict[str, int] = {}
    for char in "".join(SENTENCES):
        counts[char] = counts.get(char, 0) + 1
    vocab, vocab_path = Vocab.from_counts(counts), root / "vocab_chars.json"
    vocab.save(vocab_path)
    seqs = [vocab.encode(list(s)) for s in SENTENCES]
    ngram = {"order": 3, "vocab_size": len(vocab)}
    counts = model_class("ngram-counts")(**ngram).fit(seqs)
    save_model(root / "models" / "charlm-ngram.pt", "ngram-counts", ngram, counts, {"vocab": str(vocab_path)})
    counts.save_arrays(root / "models" / "charlm-ngram-counts.npz", str(vocab_path))  # as train_ngram does
    torch.manual_seed(0)
    lstm = {"vocab_size": len(vocab), "cell": "lstm", "emb_dim": 4, "hidden": 8}
    model = model_class("charlm")(**lstm)
    save_model(root / "models" / "charlm-lstm.pt", "charlm", lstm, model, {"vocab": str(vocab_path)})
    export_charlm_onnx(model, {"vocab": str(vocab_path)}, root / "models" / "charlm-lstm-onnx")  # as train_charlm


def run(capsys, results: Path, *args: str) -> tuple[int, list[str], str]:
    code = main(["--results", str(results), *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def one_line_error(capsys, results: Path, *args: str) -> str:
    code, out, err = run(capsys, results, *args)
    assert code == 2 and out == []
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_interpolate_prints_the_homotopy_laid_out(capsys, results, method):
    s0, s1 = "the band played a slow song .", "it was a loud record ."
    code, out, _ = run(capsys, results, "interpolate", s0, s1, "--steps", "5", "--method", method)
    assert code == 0
    model, _, extra = load_model(results / "models" / "sentence_vae.pt")
    decoded = homotopy(model, Vocab.load(extra["vocab"]), s0, s1, 5, method, extra["max_tokens"] + 1)
    assert out == [f"(s0) {s0}", f"(z0) {decoded[0]}", f"(t=0.25) {decoded[1]}", f"(t=0.50) {decoded[2]}",
                   f"(t=0.75) {decoded[3]}", f"(z1) {decoded[4]}", f"(s1) {s1}"]


def test_interpolate_reads_unknown_words_as_unk(capsys, results):
    code, out, _ = run(capsys, results, "interpolate", "the zebra played", "it was loud", "--steps", "2")
    assert code == 0 and len(out) == 4


def test_interpolate_errors(capsys, results, tmp_path):
    assert "`dvc repro train_sentence_vae`" in one_line_error(capsys, tmp_path, "interpolate", "a b", "c d")
    assert "sentence 2 is empty" in one_line_error(capsys, results, "interpolate", "it was loud", "  ")
    assert "at least 2" in one_line_error(capsys, results, "interpolate", "it was loud", "a song", "--steps", "1")


def test_tense_convert_one_word(capsys, results):
    # The tiny default model has learnt the reference verbs.
    code, out, _ = run(capsys, results, "tense", "convert", "abandon", "--from", "sp", "--to", "p")
    assert (code, out) == (0, ["abandon (sp) -> abandoned (p)"])
    code, out, _ = run(capsys, results, "tense", "convert", "heals", "--from", "tp", "--to", "pg", "--variant", "gru")
    assert code == 0 and len(out) == 1 and out[0].startswith("heals (tp) -> ")


def test_tense_convert_a_file(capsys, results, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("sent p tp\n\nhealing pg tp\n")
    code, out, _ = run(capsys, results, "tense", "convert", "--file", str(pairs))
    assert (code, out) == (0, ["sent (p) -> sends (tp)", "healing (pg) -> heals (tp)"])


@pytest.mark.parametrize(("content", "message"), [
    ("sent p tp\nhealing pg\n", "pairs.txt:2: expected 'word from to', got 'healing pg'"),
    ("sent p tp\nheal sp xx\n", "pairs.txt:2: unknown tense code 'xx'"),
    ("\n", "holds no 'word from to' lines"),
])
def test_tense_convert_a_bad_file_names_the_line(capsys, results, tmp_path, content, message):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(content)
    assert message in one_line_error(capsys, results, "tense", "convert", "--file", str(pairs))


def test_tense_convert_errors(capsys, results, tmp_path):
    err = one_line_error(capsys, results, "tense", "convert", "abandon", "--from", "sp", "--to", "past")
    assert "unknown tense code 'past': use one of sp (simple present)" in err
    err = one_line_error(capsys, results, "tense", "convert", "abandon", "--from", "sp", "--to", "p",
                         "--variant", "cyclical")
    assert "tense_cvae-cyclical-onnx not found" in err and "`dvc repro train_tense_cvae@cyclical`" in err
    assert "never saw: 9" in one_line_error(capsys, results, "tense", "convert", "ab9", "--from", "sp", "--to", "p")
    assert "--from and --to" in one_line_error(capsys, results, "tense", "convert", "abandon", "--from", "sp")
    assert "not found" in one_line_error(capsys, results, "tense", "convert", "--file", str(tmp_path / "none"))


@pytest.mark.parametrize("prior", ["standard", "aggregate"])
def test_tense_generate_decodes_the_draws_as_the_model_does(capsys, results, prior):
    code, out, _ = run(capsys, results, "tense", "generate", "-n", "4", "--prior", prior, "--seed", "5")
    assert code == 0
    model, _, extra = load_model(results / "models" / "tense_cvae-default.pt")
    codec, rng = CharCodec(extra["chars"]), np.random.default_rng(5)  # the command's draws, from numpy
    eps = torch.from_numpy(rng.standard_normal((4, model.latent)).astype(np.float32))
    if prior == "standard":
        z = eps
    else:
        k = torch.from_numpy(rng.integers(len(model.prior_mu), size=4))
        z = model.prior_mu[k] + torch.exp(0.5 * model.prior_logvar[k]) * eps
    forms = [model.generate(z, torch.full((4,), tense)) for tense in range(4)]
    assert out == [" ".join(codec.decode(ids) for ids in row) for row in zip(*forms, strict=True)]


def test_tense_generate_errors(capsys, results):
    err = one_line_error(capsys, results, "tense", "generate", "--variant", "gru", "--prior", "aggregate")
    assert "no fitted aggregate prior" in err
    assert "at least 1" in one_line_error(capsys, results, "tense", "generate", "-n", "0")


def test_params_overlay_becomes_dvc_set_flags(tmp_path, capsys):
    overlay = tmp_path / "full.yaml"
    overlay.write_text("reviews:\n  synthetic: {n_reviews: 20000}\nwordlm:\n  data: {features: [energy, valence]}\n")
    assert main(["params", "dvc-args", str(overlay)]) == 0
    expected = """-S reviews.synthetic.n_reviews=20000 -S 'wordlm.data.features=["energy", "valence"]'"""
    assert capsys.readouterr().out.strip() == expected
    assert main(["params", "dvc-args", str(tmp_path / "missing.yaml")]) == 2


def test_sample_wordlm_inside_the_training_range(capsys, results):
    code, out, _ = run(capsys, results, "sample", "--model", "wordlm", "--energy", "0.8", "-n", "2",
                       "--max-len", "5")
    assert code == 0 and len(out) == 2


def test_word_samples_read_as_text(capsys, results):
    """Treebank tokens joined back as a reader writes them: "." sticks to the word before it."""
    code, out, _ = run(capsys, results, "sample", "--model", "wordlm", "-n", "30", "--max-len", "12",
                       "--seed", "3")
    assert code == 0 and any("." in line for line in out)  # the untrained model draws "." often
    assert not any(" ." in line for line in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--energy", "7"], "outside the documented range of energy, [0, 1]"),
        (["--energy", "0.95"], "outside the range seen in training, [0.1, 0.9]"),
        (["--energy", "0.05"], "outside the range seen in training, [0.1, 0.9]"),
        (["--energy", "nan"], "--energy nan"),
        (["--valence", "0.2"], "conditioned on ['energy'] only; drop --valence"),
        (["--tempo", "-5"], "outside the documented range of tempo, > 0"),
        (["-n", "-3"], "-n must be a positive count"),
        (["--temperature", "nan"], "--temperature must be a finite number > 0"),
        (["--max-len", "0"], "--max-len must be a positive length"),
    ],
)
def test_sample_refuses_values_that_cannot_be_right(capsys, results, args, message):
    assert message in one_line_error(capsys, results, "sample", "--model", "wordlm", *args)


@pytest.mark.parametrize(("command", "uses"), [
    (["tense", "convert", "walk", "--from", "sp", "--to", "p"], []),  # its ONNX export answers, not torch
    (["tense", "generate", "-n", "2"], []),
    # The Treebank tokenizer and detokenizer (the tokenizer's module also imports pandas).
    (["interpolate", "it was loud", "it was quiet", "--steps", "3"], ["nltk", "pandas"]),
    (["sample", "--model", "wordlm", "-n", "2", "--max-len", "5"], ["nltk"]),  # the Treebank detokenizer
    (["sample", "--model", "charlm-lstm", "-n", "2", "--max-len", "5"], []),
    (["sample", "--model", "charlm-ngram", "-n", "2", "--max-len", "5"], []),
])
def test_a_conversion_or_a_sample_imports_nothing_it_does_not_use(results, command, uses):
    """What a user waits for: the command answers without torch, MLflow, pandas and the tense-data tools,
    and without NLTK unless it detokenises words."""
    heavy = [name for name in ("torch", "mlflow", "pandas", "matplotlib", "nltk", "wordfreq", "lemminflect",
                               "jsonschema", "scipy", "sklearn") if name not in uses]
    code = (f"import sys; from reviewgen.cli import main; assert main({['--results', str(results), *command]!r}) == 0; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(("env", "threads"),
                         [({}, 1), ({"OMP_NUM_THREADS": "2"}, 2), ({"SLURM_CPUS_PER_TASK": "3"}, 3)])
def test_a_command_runs_on_one_thread_unless_the_environment_asks(results, env, threads):
    """A homotopy is a few dozen small steps: a second thread only waits (seconds on a busy machine)."""
    command = ["--results", str(results), "interpolate", "it was loud", "it was quiet", "--steps", "2"]
    code = (f"import reviewgen.inference.sentence_vae as s, reviewgen.cli as cli; seen = []; run = s.open_export; "
            f"s.open_export = lambda folder, names, threads: seen.append(threads) or run(folder, names, threads); "
            f"assert cli.main({command!r}) == 0; print(*seen)")
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=clean | env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].split() == [str(threads)]


def test_sample_the_count_ngram(capsys, results):
    code, out, _ = run(capsys, results, "sample", "--model", "charlm-ngram", "-n", "3", "--seed", "4",
                       "--max-len", "30")
    assert code == 0
    model, _, extra = load_model(results / "models" / "charlm-ngram.pt")  # the torch file the stage also writes
    expected = model.sample(3, 30, 0.8, np.random.default_rng(4))
    assert out == ["".join(Vocab.load(extra["vocab"]).decode(ids)) for ids in expected]
    assert len(out) == 3 and any(out)


def test_sample_a_neural_character_lm(capsys, results):
    """From its ONNX export: at a temperature near 0 it decodes what the torch model decodes greedily; a
    seed repeats its draws."""
    model, _, extra = load_model(results / "models" / "charlm-lstm.pt")
    vocab = Vocab.load(extra["vocab"])
    code, out, _ = run(capsys, results, "sample", "--model", "charlm-lstm", "-n", "2", "--temperature", "1e-4",
                       "--max-len", "20")
    assert code == 0 and out == ["".join(vocab.decode(ids)) for ids in model.sample(2, 20, 0.0)]
    seeded = [run(capsys, results, "sample", "--model", "charlm-lstm", "-n", "3", "--seed", str(seed))[1]
              for seed in (4, 4, 5)]
    assert seeded[0] == seeded[1] != seeded[2] and len(seeded[0]) == 3


def test_sample_a_character_lm_refuses_features_and_names_its_stage(capsys, results, tmp_path):
    err = one_line_error(capsys, results, "sample", "--model", "charlm-ngram", "--energy", "0.5")
    assert "charlm-ngram is not conditioned on track features" in err
    assert "`dvc repro train_ngram`" in one_line_error(capsys, tmp_path, "sample", "--model", "charlm-ngram")
    assert "`dvc repro train_charlm@gru`" in one_line_error(capsys, results, "sample", "--model", "charlm-gru")
    for name in ("sentence_vae", "lstm", "charlm-"):
        assert "cannot sample: use wordlm, charlm-ngram or charlm-<arch>" in one_line_error(
            capsys, results, "sample", "--model", name)
