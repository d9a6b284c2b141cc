"""Tiny trained models for the report tests, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.reports.tiny_models import make_sentence_vae, make_tense_models


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def sentence_vae_files(tmp_path_factory) -> dict[str, Path]:
    return make_sentence_vae(tmp_path_factory.mktemp("sentence_vae"))


@pytest.fixture(scope="session")
def tense_files(tmp_path_factory) -> dict[str, object]:
    return make_tense_models(tmp_path_factory.mktemp("tense"))
