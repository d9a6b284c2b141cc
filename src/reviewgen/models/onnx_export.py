"""Writing a model's inference pieces as ONNX graphs, for the commands that run them without torch.

Importing torch takes longer than a conversion or a sample takes once it is loaded, so the training
stages of the models the ``reviewgen`` command runs most (the tense CVAE, the word LM) also write an
export folder: the graphs ``onnxruntime`` runs (``reviewgen.inference``), and ``meta.json`` with the plain
data the command needs beside them. Each model's module says which graphs; this one writes them.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from reviewgen.io import atomic_directory

FORMAT = 1
BATCH = {0: "batch"}


def export_graph(module: nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str],
                 axes: dict[str, dict[int, str]]) -> None:
    """``module(*args)`` traced into ``path``; ``axes`` names the dimensions that vary between calls."""
    with warnings.catch_warnings():
        # torch warns that this (TorchScript) exporter is deprecated; the torch.export-based one needs
        # onnxscript, which the project does not install. The warnings say nothing about the model.
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), dynamo=False, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=17)


@contextmanager
def export_folder(folder: str | os.PathLike, meta: dict[str, Any]) -> Iterator[Path]:
    """A temporary folder to write the graphs into; with ``meta.json`` added, it replaces ``folder``
    atomically when the block succeeds."""
    with torch.no_grad(), atomic_directory(folder) as tmp:
        yield tmp
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, **meta}, indent=1))
