"""Trained models as MLflow Models: a pyfunc that samples text from a weights-only ``.pt`` file.

The MLflow Model holds the ``.pt`` file and its vocabulary as artifacts; loading it reads the weights
with :func:`reviewgen.models.registry.load_model` (``torch.load(weights_only=True)``), so no pickled
module is ever unpickled. The wrapper itself keeps no state: MLflow pickles it by reference to this
module. Every stage that does not log a model never imports this file or ``mlflow.pyfunc``.

    model = mlflow.pyfunc.load_model("models:/reviewgen-wordlm/latest")
    model.predict(pd.DataFrame([{"n": 3, "energy": 0.9}]))   # -> three sampled reviews
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import torch
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

FEATURES = ("energy", "valence", "danceability", "tempo")
# One input row asks for ``n`` samples; missing optional columns take these values.
DEFAULTS = {"n": 5, "temperature": 0.8, "max_len": 40, "seed": 0}

SIGNATURE = ModelSignature(
    inputs=Schema(
        [ColSpec("long", "n", required=False), ColSpec("double", "temperature", required=False),
         ColSpec("long", "max_len", required=False), ColSpec("long", "seed", required=False)]
        + [ColSpec("double", name, required=False) for name in FEATURES]
    ),
    outputs=Schema([ColSpec("string")]),
)


def registered_name(model_file: str | os.PathLike) -> str:
    """``results/models/charlm-lstm.pt`` -> ``reviewgen-charlm-lstm``: one registry name per model."""
    return f"reviewgen-{Path(model_file).stem}"


def _requirements() -> list[str]:
    # Pinned here rather than inferred: inference loads the model in a subprocess, a cost on every stage.
    return [f"{name}=={importlib.metadata.version(name)}" for name in ("mlflow", "torch", "numpy", "pandas")]


@contextlib.contextmanager
def _no_requirement_check() -> Iterator[None]:
    """Skip MLflow's check that the running environment satisfies the model's requirements.

    The requirements are this environment's own installed versions (:func:`_requirements`), so the check
    cannot find a mismatch; it still maps every installed distribution to its modules first
    (``packages_distributions``), which was most of a model's logging time in the profiles. The check is
    a module-level name MLflow's environment helpers call; where a release moves it, nothing is skipped.
    """
    import mlflow.utils.environment as environment

    check = getattr(environment, "warn_dependency_requirement_mismatches", None)
    if check is None:
        yield
        return
    environment.warn_dependency_requirement_mismatches = lambda requirements: None
    try:
        yield
    finally:
        environment.warn_dependency_requirement_mismatches = check


class ReviewgenSampler(mlflow.pyfunc.PythonModel):
    """Samples text from any model file the pipeline writes; ``predict`` returns one string per sample."""

    def load_context(self, context: Any) -> None:
        from reviewgen.data.vocab import Vocab
        from reviewgen.models.registry import load_model

        path = context.artifacts["model"]
        self.kind = torch.load(path, map_location="cpu", weights_only=True)["kind"]
        self.model, _, self.extra = load_model(path)
        vocab = context.artifacts.get("vocab")
        self.vocab = Vocab.load(vocab) if vocab else None

    def predict(self, context, model_input, params=None):  # untyped: MLflow reads hints as a schema
        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        texts: list[str] = []
        for row in rows:
            given = {k: v for k, v in row.items() if v is not None and not _is_nan(v)}
            texts += self._sample(DEFAULTS | given)
        return texts

    def _sample(self, row: dict[str, Any]) -> list[str]:
        n, max_len, temperature = int(row["n"]), int(row["max_len"]), float(row["temperature"])
        generator = torch.Generator().manual_seed(int(row["seed"]))
        features = {name: float(row[name]) for name in FEATURES if name in row}
        if features and self.kind != "wordlm":
            raise ValueError(f"{self.kind} is not conditioned on track features; drop {sorted(features)}")
        if self.kind == "ngram-counts":
            ids = self.model.sample(n, max_len, temperature, np.random.default_rng(int(row["seed"])))
            return [self.vocab.spell(s) for s in ids]
        if self.kind in ("wordlm", "sentence_vae"):  # word models: their samples read as sentences
            from reviewgen.data.detokenize import decode_text
        if self.kind == "wordlm":
            from reviewgen.data.scaling import FeatureScaler

            scaler = FeatureScaler(**self.extra["features"])
            values = scaler.row(self.extra["feature_medians"], **features)
            batch = torch.as_tensor(np.tile(values, (n, 1)), dtype=torch.float32)
            return [decode_text(self.vocab, s) for s in self.model.sample(batch, max_len, temperature, generator)]
        if self.kind == "sentence_vae":
            z = torch.randn(n, self.model.latent, generator=generator)
            ids = self.model.decode_sample(z, max_len, temperature, generator)
            return [decode_text(self.vocab, s) for s in ids]
        if self.kind == "tense_cvae":
            from reviewgen.data.charcodec import CharCodec

            codec = CharCodec(self.extra["chars"])
            # One line per sampled latent: the word in every tense, in the order of extra["tenses"].
            forms = self.model.generate_four_tenses(n, generator, max_len)
            return [" / ".join(codec.decode(form) for form in word) for word in forms]
        return [self.vocab.spell(s) for s in self.model.sample(n, max_len, temperature, generator)]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def log_model(model_file: str | os.PathLike, name: str | None = None) -> str:
    """Log ``model_file`` as an MLflow Model of the active run and register it; returns the model URI."""
    payload_extra = torch.load(model_file, map_location="cpu", weights_only=True).get("extra", {})
    artifacts = {"model": str(model_file)}
    if payload_extra.get("vocab") and Path(payload_extra["vocab"]).exists():
        artifacts["vocab"] = payload_extra["vocab"]
    with _no_requirement_check():
        info = mlflow.pyfunc.log_model(
            name="model", python_model=ReviewgenSampler(), artifacts=artifacts, signature=SIGNATURE,
            pip_requirements=_requirements(), registered_model_name=name or registered_name(model_file),
        )
    return info.model_uri
