"""Trained models as registered MLflow pyfunc Models, loaded back by registry name, sampling text."""

from pathlib import Path

import mlflow
import pandas as pd
import pytest
import torch
from mlflow import MlflowClient

from reviewgen import tracking
from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.tokens import SPECIALS
from reviewgen.data.vocab import Vocab
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.registry import save_model
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.tracking_model import SIGNATURE, registered_name

WORDS = ["great", "song", "loud", "calm", "beat"]


def tiny_wordlm(root):
    torch.manual_seed(0)
    vocab = Vocab(list(SPECIALS) + WORDS)
    vocab.save(root / "vocab.json")
    model = ConditionedWordLM(len(vocab), 1, emb_dim=8, hidden=8)
    scaler = FeatureScaler(["energy"], [0.5], [0.2])
    hparams = {"vocab_size": len(vocab), "n_features": 1, "emb_dim": 8, "hidden": 8}
    extra = {"vocab": str(root / "vocab.json"), "features": scaler.to_json(), "feature_medians": [0.5]}
    path = root / "models" / "wordlm.pt"
    path.parent.mkdir(exist_ok=True)
    save_model(path, "wordlm", hparams, model, extra=extra)
    return path


def test_wordlm_registered_and_loaded_by_name_samples_text(mlflow_store):
    uri, root = mlflow_store
    path = tiny_wordlm(root)
    with tracking.start_run("models-test", "train_wordlm", {}, {}, tracking_uri=uri) as run:
        model_uri = run.log_model(path)
    client = MlflowClient(uri)
    assert client.get_run(run.run_id).info.status == "FINISHED"
    assert mlflow.active_run() is None
    versions = client.search_model_versions("name='reviewgen-wordlm'")
    assert [v.run_id for v in versions] == [run.run_id]
    mlflow.set_tracking_uri(uri)
    loaded = mlflow.pyfunc.load_model("models:/reviewgen-wordlm/latest")
    assert loaded.metadata.signature == SIGNATURE
    texts = loaded.predict(pd.DataFrame([{"n": 3, "energy": 0.9, "seed": 1, "max_len": 6}]))
    assert len(texts) == 3
    assert all(set(t.split()) <= set(WORDS) | {"<unk>"} for t in texts)
    assert any(t for t in texts)  # an untrained 5-word LM still says something within six tokens
    again = mlflow.pyfunc.load_model(model_uri).predict(pd.DataFrame([{"n": 3, "energy": 0.9, "seed": 1,
                                                                       "max_len": 6}]))
    assert again == texts  # seeded: the same request, the same samples
    with pytest.raises(ValueError, match=r"conditioned on \[.energy.\], not on \[.tempo.\]"):
        loaded.predict(pd.DataFrame([{"n": 1, "tempo": 120.0}]))


def test_charlm_model_has_its_own_name_and_rejects_features(mlflow_store):
    uri, root = mlflow_store
    vocab = Vocab(list(SPECIALS) + list("abc"))
    vocab.save(root / "chars.json")
    model = CharRNNLM(len(vocab), emb_dim=4, hidden=4)
    path = root / "models" / "charlm-lstm.pt"
    path.parent.mkdir(exist_ok=True)
    save_model(path, "charlm", {"vocab_size": len(vocab), "emb_dim": 4, "hidden": 4}, model,
               extra={"vocab": str(root / "chars.json")})
    assert registered_name(path) == "reviewgen-charlm-lstm"
    with tracking.start_run("models-test", "train_charlm", {}, {}, tracking_uri=uri) as run:
        run.log_model(path)
    mlflow.set_tracking_uri(uri)
    loaded = mlflow.pyfunc.load_model("models:/reviewgen-charlm-lstm/latest")
    texts = loaded.predict(pd.DataFrame([{"n": 2, "max_len": 5}]))
    assert len(texts) == 2 and all(set(t) <= set("abc") for t in texts)
    with pytest.raises(ValueError, match="not conditioned"):
        loaded.predict(pd.DataFrame([{"n": 1, "energy": 0.5}]))


class Context:  # what MLflow hands load_context: the artifacts' local paths
    def __init__(self, **artifacts):
        self.artifacts = artifacts


def test_sampler_decodes_vae_and_tense_models_without_a_store(tmp_path):
    from reviewgen.models.sentence_vae import SentenceVAE
    from reviewgen.models.tense_cvae import TenseCVAE
    from reviewgen.tracking_model import ReviewgenSampler

    torch.manual_seed(0)
    vocab = Vocab(list(SPECIALS) + WORDS)
    vocab.save(tmp_path / "vocab.json")
    hparams = {"vocab_size": len(vocab), "emb_dim": 8, "hidden": 8, "latent": 4}
    save_model(tmp_path / "vae.pt", "sentence_vae", hparams, SentenceVAE(**hparams),
               extra={"vocab": str(tmp_path / "vocab.json")})
    sampler = ReviewgenSampler()
    sampler.load_context(Context(model=str(tmp_path / "vae.pt"), vocab=str(tmp_path / "vocab.json")))
    texts = sampler.predict(None, pd.DataFrame([{"n": 2, "max_len": 5}]))
    assert len(texts) == 2 and all(set(t.split()) <= set(WORDS) | {"<unk>"} for t in texts)

    chars = list(SPECIALS) + list("abc")
    hparams = {"n_chars": len(chars), "hidden": 8, "latent": 4, "cond_dim": 2, "emb_dim": 4}
    save_model(tmp_path / "tense.pt", "tense_cvae", hparams, TenseCVAE(**hparams), extra={"chars": chars})
    sampler = ReviewgenSampler()
    sampler.load_context(Context(model=str(tmp_path / "tense.pt")))
    words = sampler.predict(None, pd.DataFrame([{"n": 3, "max_len": 4}]))
    assert len(words) == 3 and all(len(w.split(" / ")) == 4 for w in words)
    assert all(set(w.replace(" / ", "").replace("<unk>", "")) <= set("abc") for w in words), words


def test_logging_a_model_maps_no_installed_distributions(mlflow_store, monkeypatch):
    """The pinned requirements are the installed versions themselves, so MLflow's mismatch check, which
    first maps every installed distribution to its modules, is skipped; the requirements are still written."""
    import importlib_metadata
    from mlflow.utils import requirements_utils

    scans = []  # MLflow's check swallows errors, so count the calls rather than raise
    real = importlib_metadata.packages_distributions
    monkeypatch.setattr(importlib_metadata, "packages_distributions", lambda: scans.append(1) or real())
    monkeypatch.setattr(requirements_utils, "_MODULES_TO_PACKAGES", None)  # as in a fresh stage process
    uri, root = mlflow_store
    path = tiny_wordlm(root)
    with tracking.start_run("models-test", "train_wordlm", {}, {}, tracking_uri=uri) as run:
        model_uri = run.log_model(path)
    mlflow.set_tracking_uri(uri)
    assert scans == []
    pinned = Path(mlflow.pyfunc.get_model_dependencies(model_uri)).read_text().split()
    assert {line.split("==")[0] for line in pinned} >= {"mlflow", "torch", "numpy", "pandas"}
    from mlflow.utils import environment

    # put back after the call, for any other model this process logs
    check = environment.warn_dependency_requirement_mismatches
    assert check is requirements_utils.warn_dependency_requirement_mismatches


def test_word_model_samples_read_as_sentences(tmp_path):
    """The pyfunc's word-model samples are detokenised like the samples files: no Treebank quote marks,
    clitics re-attached."""
    from reviewgen.models.sentence_vae import SentenceVAE
    from reviewgen.tracking_model import ReviewgenSampler

    vocab = Vocab(list(SPECIALS) + ["``", "it", "does", "n't", "''", "."])
    vocab.save(tmp_path / "vocab.json")
    hparams = {"vocab_size": len(vocab), "emb_dim": 8, "hidden": 8, "latent": 4}
    save_model(tmp_path / "vae.pt", "sentence_vae", hparams, SentenceVAE(**hparams),
               extra={"vocab": str(tmp_path / "vocab.json")})
    sampler = ReviewgenSampler()
    sampler.load_context(Context(model=str(tmp_path / "vae.pt"), vocab=str(tmp_path / "vocab.json")))
    tokens = ["``", "it", "does", "n't", "''", "."]
    sampler.model.decode_sample = lambda z, *args: [vocab.encode(tokens, add_eos=True)] * len(z)
    assert sampler.predict(None, pd.DataFrame([{"n": 2}])) == ['"it doesn\'t".'] * 2
