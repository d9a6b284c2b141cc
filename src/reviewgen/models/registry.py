"""Model files on disk: one format for every model, loadable without any of the training code.

A file holds ``{"format", "kind", "hparams", "state_dict", "extra"}``: the kind names a class in
:data:`MODEL_KINDS`, ``hparams`` are its constructor arguments, ``extra`` is anything the caller wants
to keep beside the weights (vocabulary size, training metrics...). Everything but the weights must be
plain data so that ``torch.load(..., weights_only=True)`` can read the file without running any code.

A kind is any class built from its hyperparameters whose ``state_dict()`` is a dict of tensors and
whose ``load_state_dict`` takes it back: every ``nn.Module``, and the count n-gram, whose tensors are
its counts.

Kinds name their class as ``"module:Class"``, imported only when a file of that kind is saved or loaded:
importing this module pulls in no model, so a stage's code dependencies (its import closure,
``pipeline/imports.py``) hold the models it imports itself, and editing one model's module reruns only
the stages that use it. Code that builds or runs a model therefore imports that model's module directly.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any, Protocol

import torch
from torch import nn

from ..io import atomic_path

FORMAT = 1


class Model(Protocol):
    def state_dict(self) -> dict[str, torch.Tensor]: ...

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> Any: ...


# A new model kind needs only one line here: its class as "module:Class".
MODEL_KINDS: dict[str, str] = {
    "charlm": "reviewgen.models.charrnn:CharRNNLM",
    "ngram-counts": "reviewgen.models.ngram_counts:CharNGramCounts",
    "ffngram": "reviewgen.models.ngram:FeedForwardNGramLM",
    "wordlm": "reviewgen.models.wordlm:ConditionedWordLM",
    "sentence_vae": "reviewgen.models.sentence_vae:SentenceVAE",
    "tense_cvae": "reviewgen.models.tense_cvae:TenseCVAE",
}


def model_class(kind: str, where: str = "model registry") -> type[Model]:
    """The class of ``kind``, its module imported now (``where`` names the file in errors)."""
    if kind not in MODEL_KINDS:
        known = ", ".join(sorted(MODEL_KINDS))
        raise ValueError(f"{where}: unknown model kind {kind!r}; known kinds: {known}")
    module, name = MODEL_KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def save_model(
    path: str | os.PathLike,
    kind: str,
    hparams: dict[str, Any],
    model: Model,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write ``model`` atomically: a crash mid-write leaves a temp file, never a truncated model file."""
    cls = model_class(kind, str(path))
    if not isinstance(model, cls):
        raise TypeError(f"{path}: kind {kind!r} is {cls.__name__}, got a {type(model).__name__}")
    extra = extra or {}
    for name, value in (("hparams", hparams), ("extra", extra)):
        try:  # fail now rather than when a weights_only load refuses the file
            json.dumps(value)
        except TypeError as err:
            raise TypeError(f"{path}: {name} must be plain JSON-able data: {err}") from err
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "kind": kind, "hparams": hparams, "state_dict": state, "extra": extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu",
               expected: type | None = None) -> tuple[Model, dict, dict]:
    """Rebuild a saved model (a network on ``device``, in eval mode); returns ``(model, hparams, extra)``.

    A caller that runs one kind of model passes its class as ``expected`` (a file of another kind is
    an error naming both); importing that class is also what puts its module in the caller's stage's
    code dependencies."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != FORMAT:
        found = payload.get("format")
        raise ValueError(f"{path}: unsupported model file format {found!r} (expected {FORMAT})")
    cls = model_class(payload["kind"], str(path))
    if expected is not None and not issubclass(cls, expected):
        raise TypeError(f"{path}: a {payload['kind']!r} model ({cls.__name__}), expected a {expected.__name__}")
    model = cls(**payload["hparams"])
    model.load_state_dict(payload["state_dict"])
    if isinstance(model, nn.Module):
        model = model.to(device).eval()
    return model, payload["hparams"], payload["extra"]
